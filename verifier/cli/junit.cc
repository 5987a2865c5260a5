#include "verifier/cli/junit.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace vtpm::cli {

std::string XmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' &&
            c != '\r') {
          break;
        }
        out += c;
    }
  }
  return out;
}

std::string JunitXml(
    const std::string& suite,
    const std::vector<std::pair<std::string, std::string>>& properties,
    const std::vector<JunitCase>& cases) {
  int failures = 0, errors = 0;
  double total = 0;
  for (const auto& c : cases) {
    if (c.outcome == JunitCase::Outcome::kFailure) ++failures;
    if (c.outcome == JunitCase::Outcome::kError) ++errors;
    total += c.seconds;
  }
  std::string timestamp =
      absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::Now(), absl::UTCTimeZone());
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  absl::StrAppend(&x, "<testsuites tests=\"", cases.size(), "\" failures=\"",
                  failures, "\" errors=\"", errors, "\">\n");
  absl::StrAppend(&x, "  <testsuite name=\"", XmlEscape(suite), "\" tests=\"",
                  cases.size(), "\" failures=\"", failures, "\" errors=\"",
                  errors, "\" skipped=\"0\" time=\"",
                  absl::StrFormat("%.3f", total), "\" timestamp=\"", timestamp,
                  "\">\n");
  if (!properties.empty()) {
    x += "    <properties>\n";
    for (const auto& [k, v] : properties) {
      absl::StrAppend(&x, "      <property name=\"", XmlEscape(k),
                      "\" value=\"", XmlEscape(v), "\"/>\n");
    }
    x += "    </properties>\n";
  }
  for (const auto& c : cases) {
    absl::StrAppend(&x, "    <testcase classname=\"", XmlEscape(c.classname),
                    "\" name=\"", XmlEscape(c.name), "\" time=\"",
                    absl::StrFormat("%.3f", c.seconds), "\">\n");
    if (c.outcome != JunitCase::Outcome::kPassed) {
      const char* tag =
          c.outcome == JunitCase::Outcome::kFailure ? "failure" : "error";
      absl::StrAppend(&x, "      <", tag, " message=\"", XmlEscape(c.message),
                      "\" type=\"", tag, "\">", XmlEscape(c.details), "</", tag,
                      ">\n");
    }
    if (!c.system_out.empty()) {
      absl::StrAppend(&x, "      <system-out>", XmlEscape(c.system_out),
                      "</system-out>\n");
    }
    x += "    </testcase>\n";
  }
  x += "  </testsuite>\n</testsuites>\n";
  return x;
}

absl::Status WriteJunitFile(const std::string& path, const std::string& xml) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::NotFoundError(absl::StrCat("cannot write ", path));
  out << xml;
  out.close();
  if (!out) return absl::DataLossError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace vtpm::cli
