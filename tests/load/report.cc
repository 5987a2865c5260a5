#include "tests/load/report.h"

#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace vtpm::load {
namespace {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += absl::StrFormat("\\u%04x", c);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

void Report::Section(const std::string& title) { rows_.push_back({"", title}); }

void Report::Num(const std::string& key, const std::string& label, double v,
                 const char* fmt) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, v);
  rows_.push_back({label, buf});
  json_.push_back(
      {key, std::isfinite(v) ? absl::StrFormat("%.3f", v) : "null"});
}

void Report::Int(const std::string& key, const std::string& label, int64_t v) {
  rows_.push_back({label, absl::StrCat(v)});
  json_.push_back({key, absl::StrCat(v)});
}

void Report::Str(const std::string& key, const std::string& label,
                 const std::string& v) {
  rows_.push_back({label, v});
  json_.push_back({key, JsonString(v)});
}

void Report::Print() const {
  for (const auto& [label, value] : rows_) {
    if (label.empty()) {
      std::printf("\n== %s\n", value.c_str());
    } else {
      std::printf("  %-44s %s\n", label.c_str(), value.c_str());
    }
  }
  std::fflush(stdout);
}

std::string Report::Json() const {
  std::vector<std::string> parts;
  for (const auto& [k, v] : json_) {
    parts.push_back(absl::StrCat("  \"", k, "\": ", v));
  }
  return absl::StrCat("{\n", absl::StrJoin(parts, ",\n"), "\n}\n");
}

}  // namespace vtpm::load
