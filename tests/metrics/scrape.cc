#include "tests/metrics/scrape.h"

#include <curl/curl.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace vtpm::testing {
namespace {

size_t Append(char* data, size_t size, size_t nmemb, void* user) {
  static_cast<std::string*>(user)->append(data, size * nmemb);
  return size * nmemb;
}

struct Label {
  std::string name;
  std::string value;  // unescaped
};

// Parses `{a="x",b="y"}` starting at text[pos] == '{'; sets pos after '}'.
absl::StatusOr<std::vector<Label>> ParseLabels(const std::string& text,
                                               size_t& pos) {
  std::vector<Label> labels;
  ++pos;  // '{'
  while (pos < text.size() && text[pos] != '}') {
    size_t eq = text.find('=', pos);
    if (eq == std::string::npos || eq + 1 >= text.size() ||
        text[eq + 1] != '"') {
      return absl::InvalidArgumentError(absl::StrCat("bad label in: ", text));
    }
    Label l{text.substr(pos, eq - pos), ""};
    pos = eq + 2;
    while (true) {
      if (pos >= text.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("unterminated label value in: ", text));
      }
      char c = text[pos++];
      if (c == '"') break;
      if (c == '\\') {
        if (pos >= text.size()) {
          return absl::InvalidArgumentError("dangling backslash");
        }
        char e = text[pos++];
        if (e == 'n') {
          l.value += '\n';
        } else if (e == '\\' || e == '"') {
          l.value += e;
        } else {
          return absl::InvalidArgumentError(
              absl::StrCat("bad escape \\", std::string(1, e), " in: ", text));
        }
      } else {
        l.value += c;
      }
    }
    labels.push_back(std::move(l));
    if (pos < text.size() && text[pos] == ',')
      ++pos;
    else if (pos >= text.size() || text[pos] != '}') {
      return absl::InvalidArgumentError(
          absl::StrCat("expected ',' or '}' in: ", text));
    }
  }
  if (pos >= text.size()) return absl::InvalidArgumentError("missing '}'");
  ++pos;  // '}'
  return labels;
}

absl::StatusOr<double> ParseValue(const std::string& v) {
  if (v == "+Inf") return std::numeric_limits<double>::infinity();
  if (v == "-Inf") return -std::numeric_limits<double>::infinity();
  if (v == "NaN") return std::numeric_limits<double>::quiet_NaN();
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || end != v.c_str() + v.size()) {
    return absl::InvalidArgumentError(absl::StrCat("bad value '", v, "'"));
  }
  return d;
}

}  // namespace

absl::StatusOr<HttpGetResult> HttpGet(const std::string& url) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(),
                                                        &curl_easy_cleanup);
  if (c == nullptr) return absl::InternalError("curl_easy_init");
  HttpGetResult r;
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT_MS, 2000L);
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &r.body);
  CURLcode rc = curl_easy_perform(c.get());
  if (rc != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat("GET ", url, ": ", curl_easy_strerror(rc)));
  }
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &r.status);
  char* type = nullptr;
  curl_easy_getinfo(c.get(), CURLINFO_CONTENT_TYPE, &type);
  if (type != nullptr) r.content_type = type;
  return r;
}

absl::StatusOr<Exposition> ParseExposition(const std::string& text) {
  Exposition e;
  if (!text.empty() && text.back() != '\n') {
    return absl::InvalidArgumentError("exposition must end with a newline");
  }
  for (absl::string_view line_view : absl::StrSplit(text, '\n')) {
    std::string line(line_view);
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      std::string rest = line.substr(7);
      size_t sp = rest.find(' ');
      if (sp == std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat("bad line: ", line));
      }
      std::string family = rest.substr(0, sp);
      std::string value = rest.substr(sp + 1);
      if (line[2] == 'T') {
        e.types[family] = value;
      } else {
        std::string help;
        for (size_t i = 0; i < value.size(); ++i) {
          if (value[i] == '\\' && i + 1 < value.size()) {
            help += value[i + 1] == 'n' ? '\n' : value[i + 1];
            ++i;
          } else {
            help += value[i];
          }
        }
        e.helps[family] = help;
      }
      continue;
    }
    if (line[0] == '#') continue;
    size_t pos = line.find_first_of("{ ");
    if (pos == std::string::npos || pos == 0) {
      return absl::InvalidArgumentError(absl::StrCat("bad sample: ", line));
    }
    if (line[pos] == '{') {
      auto labels = ParseLabels(line, pos);
      if (!labels.ok()) return labels.status();
    }
    if (pos >= line.size() || line[pos] != ' ') {
      return absl::InvalidArgumentError(absl::StrCat("bad sample: ", line));
    }
    std::string key = line.substr(0, pos);
    auto value = ParseValue(line.substr(pos + 1));
    if (!value.ok()) return value.status();
    if (!e.samples.emplace(key, *value).second) {
      return absl::InvalidArgumentError(absl::StrCat("repeated: ", key));
    }
  }
  return e;
}

std::string LabelOf(const std::string& key, const std::string& label) {
  size_t pos = key.find('{');
  if (pos == std::string::npos) return "";
  auto labels = ParseLabels(key, pos);
  if (!labels.ok()) return "";
  for (const auto& l : *labels) {
    if (l.name == label) return l.value;
  }
  return "";
}

}  // namespace vtpm::testing
