#include "common/text_escape.h"

#include <cstdint>

#include "absl/strings/str_format.h"

namespace vtpm {
namespace {

struct Range {
  char32_t first;
  char32_t last;
};

// Code points above U+009F that IsTerminalUnsafe holds for (see the header),
// sorted; noncharacters are tested apart.
constexpr Range kUnsafe[] = {
    {0x00AD, 0x00AD},   {0x034F, 0x034F},   {0x0600, 0x0605},
    {0x061C, 0x061C},   {0x06DD, 0x06DD},   {0x070F, 0x070F},
    {0x0890, 0x0891},   {0x08E2, 0x08E2},   {0x115F, 0x1160},
    {0x17B4, 0x17B5},   {0x180B, 0x180F},   {0x200B, 0x200F},
    {0x2028, 0x202E},   {0x2060, 0x2069},   {0x206A, 0x206F},
    {0x3164, 0x3164},   {0xFEFF, 0xFEFF},   {0xFFA0, 0xFFA0},
    {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD}, {0x110CD, 0x110CD},
    {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},
    {0xE0000, 0xE0FFF},
};

constexpr char kHex[] = "0123456789abcdef";

void AppendByteEscape(uint8_t b, std::string* out) {
  out->push_back('\\');
  out->push_back('x');
  out->push_back(kHex[b >> 4]);
  out->push_back(kHex[b & 0xf]);
}

}  // namespace

Utf8Char DecodeUtf8(absl::string_view s) {
  if (s.empty()) return {};
  const auto b0 = static_cast<uint8_t>(s[0]);
  if (b0 < 0x80) return {b0, 1};
  size_t len;
  char32_t cp;
  char32_t min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1F;
    min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0F;
    min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07;
    min = 0x10000;
  } else {
    return {};  // continuation byte, 0xC0/0xC1 (overlong), 0xF5..0xFF
  }
  if (s.size() < len) return {};
  for (size_t i = 1; i < len; ++i) {
    const auto b = static_cast<uint8_t>(s[i]);
    if ((b & 0xC0) != 0x80) return {};
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {};
  return {cp, len};
}

bool IsTerminalUnsafe(char32_t c) {
  if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) return true;
  if (c < 0xAD) return false;
  if ((c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE) return true;
  for (const Range& r : kUnsafe) {
    if (c < r.first) return false;
    if (c <= r.last) return true;
  }
  return false;
}

namespace {

std::string Escape(absl::string_view text, absl::string_view also,
                   bool backslash) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    Utf8Char ch = DecodeUtf8(text.substr(i));
    if (ch.length == 0) {
      AppendByteEscape(static_cast<uint8_t>(text[i]), &out);
      ++i;
      continue;
    }
    const char32_t c = ch.code_point;
    if (c == '\\' && backslash) {
      out += "\\\\";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F ||
               (c < 0x80 &&
                also.find(static_cast<char>(c)) != absl::string_view::npos)) {
      AppendByteEscape(static_cast<uint8_t>(c), &out);
    } else if (IsTerminalUnsafe(c)) {
      absl::StrAppendFormat(&out, "\\u{%x}", static_cast<uint32_t>(c));
    } else {
      out.append(text.data() + i, ch.length);
    }
    i += ch.length;
  }
  return out;
}

}  // namespace

std::string EscapeForTerminal(absl::string_view text, absl::string_view also) {
  return Escape(text, also, /*backslash=*/true);
}

std::string EscapeControlsForTerminal(absl::string_view text) {
  return Escape(text, "", /*backslash=*/false);
}

bool IsTerminalSafe(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    Utf8Char ch = DecodeUtf8(text.substr(i));
    if (ch.length == 0 || IsTerminalUnsafe(ch.code_point)) return false;
    i += ch.length;
  }
  return true;
}

std::string ToValidUtf8(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    Utf8Char c = DecodeUtf8(text);
    if (c.length == 0) {
      out += "\xef\xbf\xbd";  // U+FFFD
      text.remove_prefix(1);
      continue;
    }
    out.append(text.data(), c.length);
    text.remove_prefix(c.length);
  }
  return out;
}

}  // namespace vtpm
