// Test helpers: a real HTTP GET (libcurl) and a parser of the Prometheus
// text exposition format, so tests read metrics the way Prometheus does.
#ifndef VTPM_TESTS_METRICS_SCRAPE_H_
#define VTPM_TESTS_METRICS_SCRAPE_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace vtpm::testing {

struct HttpGetResult {
  long status = 0;
  std::string content_type;
  std::string body;
};

// GET `url` with libcurl (2 s timeout).
absl::StatusOr<HttpGetResult> HttpGet(const std::string& url);

struct Exposition {
  // Sample key -> value; the key is the metric name followed by its label
  // set exactly as written, e.g. `a_total{result="pass",reason="none"}`.
  std::map<std::string, double> samples;
  std::map<std::string, std::string> types;  // family -> "counter", ...
  std::map<std::string, std::string> helps;  // family -> unescaped help
};

// Parses the text format 0.0.4 strictly enough for tests: every line is a
// comment, blank, or `name[{labels}] value`; label values are unescaped and
// re-escaped to check they were escaped correctly. InvalidArgument on a
// malformed line, a repeated sample or a bad escape.
absl::StatusOr<Exposition> ParseExposition(const std::string& text);

// The unescaped value of label `label` in a sample key, or "" when absent.
std::string LabelOf(const std::string& key, const std::string& label);

}  // namespace vtpm::testing

#endif  // VTPM_TESTS_METRICS_SCRAPE_H_
