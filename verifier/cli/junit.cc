#include "verifier/cli/junit.h"

#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/text_escape.h"

namespace vtpm::cli {

std::string XmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    Utf8Char ch = DecodeUtf8(text.substr(i));
    if (ch.length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    switch (ch.code_point) {
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
      case '\t':
        out += "&#9;";
        break;
      case '\n':
        out += "&#10;";
        break;
      case '\r':
        out += "&#13;";
        break;
      case 0xFFFE:
      case 0xFFFF:
        out += "\xEF\xBF\xBD";
        break;
      default:
        if (ch.code_point < 0x20) {
          out += "\xEF\xBF\xBD";
        } else {
          out.append(text.data() + i, ch.length);
        }
    }
    i += ch.length;
  }
  return out;
}

namespace {

// A one-line field: escaped for display, then for XML.
std::string Field(absl::string_view text) {
  return XmlEscape(EscapeForTerminal(text));
}

// Multi-line text: each line escaped for display, lines kept.
std::string Lines(absl::string_view text) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    lines.push_back(EscapeForTerminal(line));
  }
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += '\n';
    out += XmlEscape(lines[i]);
  }
  return out;
}

}  // namespace

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
  absl::StrAppend(&x, "  <testsuite name=\"", Field(suite), "\" tests=\"",
                  cases.size(), "\" failures=\"", failures, "\" errors=\"",
                  errors, "\" skipped=\"0\" time=\"",
                  absl::StrFormat("%.3f", total), "\" timestamp=\"", timestamp,
                  "\">\n");
  if (!properties.empty()) {
    x += "    <properties>\n";
    for (const auto& [k, v] : properties) {
      absl::StrAppend(&x, "      <property name=\"", Field(k), "\" value=\"",
                      Field(v), "\"/>\n");
    }
    x += "    </properties>\n";
  }
  for (const auto& c : cases) {
    absl::StrAppend(&x, "    <testcase classname=\"", Field(c.classname),
                    "\" name=\"", Field(c.name), "\" time=\"",
                    absl::StrFormat("%.3f", c.seconds), "\">\n");
    if (c.outcome != JunitCase::Outcome::kPassed) {
      const char* tag =
          c.outcome == JunitCase::Outcome::kFailure ? "failure" : "error";
      absl::StrAppend(&x, "      <", tag, " message=\"", Field(c.message),
                      "\" type=\"", tag, "\">", Lines(c.details), "</", tag,
                      ">\n");
    }
    if (!c.system_out.empty()) {
      absl::StrAppend(&x, "      <system-out>", Lines(c.system_out),
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
