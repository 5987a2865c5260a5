#include "verifier/cli/json_writer.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/text_escape.h"

namespace vtpm::cli {

namespace {

void AppendU16(uint32_t unit, std::string* out) {
  absl::StrAppendFormat(out, "\\u%04x", unit);
}

// `c` as one "\uXXXX" escape, or two (a surrogate pair) above U+FFFF.
void AppendCodePointEscape(char32_t c, std::string* out) {
  if (c < 0x10000) {
    AppendU16(c, out);
    return;
  }
  uint32_t v = static_cast<uint32_t>(c) - 0x10000;
  AppendU16(0xD800 + (v >> 10), out);
  AppendU16(0xDC00 + (v & 0x3FF), out);
}

}  // namespace

std::string JsonQuote(absl::string_view s) {
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    Utf8Char ch = DecodeUtf8(s.substr(i));
    if (ch.length == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    switch (ch.code_point) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (IsTerminalUnsafe(ch.code_point)) {
          AppendCodePointEscape(ch.code_point, &out);
        } else {
          out.append(s.data() + i, ch.length);
        }
    }
    i += ch.length;
  }
  out += '"';
  return out;
}

std::string MakeJsonTerminalSafe(absl::string_view json) {
  std::string out;
  out.reserve(json.size());
  bool in_string = false;
  size_t i = 0;
  while (i < json.size()) {
    const char b = json[i];
    if (!in_string) {
      if (b == '"') in_string = true;
      out.push_back(b);
      ++i;
      continue;
    }
    if (b == '\\' && i + 1 < json.size()) {  // an escape: keep both bytes
      out.append(json.data() + i, 2);
      i += 2;
      continue;
    }
    if (b == '"') {
      in_string = false;
      out.push_back(b);
      ++i;
      continue;
    }
    Utf8Char ch = DecodeUtf8(json.substr(i));
    if (ch.length == 0) {
      out += "\\ufffd";
      ++i;
    } else {
      if (IsTerminalUnsafe(ch.code_point)) {
        AppendCodePointEscape(ch.code_point, &out);
      } else {
        out.append(json.data() + i, ch.length);
      }
      i += ch.length;
    }
  }
  return out;
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

void JsonWriter::Open(char c) {
  BeforeValue();
  out_ += c;
  first_.push_back(true);
}

void JsonWriter::Close(char c) {
  out_ += c;
  if (!first_.empty()) first_.pop_back();
}

void JsonWriter::Key(absl::string_view key) {
  BeforeValue();
  out_ += JsonQuote(key);
  out_ += ':';
  after_key_ = true;
}

void JsonWriter::String(absl::string_view value) {
  BeforeValue();
  out_ += JsonQuote(value);
}

void JsonWriter::Number(uint64_t value) {
  BeforeValue();
  absl::StrAppend(&out_, value);
}

void JsonWriter::Bool(bool value) {
  BeforeValue();
  out_ += value ? "true" : "false";
}

void JsonWriter::Null() {
  BeforeValue();
  out_ += "null";
}

}  // namespace vtpm::cli
