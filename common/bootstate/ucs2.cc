#include "common/bootstate/ucs2.h"

#include <cstdint>

#include "absl/strings/str_format.h"

namespace vtpm::bootstate {
namespace {

constexpr uint32_t kReplacement = 0xFFFD;

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

uint16_t UnitAt(absl::string_view bytes, size_t i) {
  return static_cast<uint16_t>(static_cast<uint8_t>(bytes[2 * i]) |
                               (static_cast<uint8_t>(bytes[2 * i + 1]) << 8));
}

// Length of the valid multi-byte UTF-8 sequence at the start of `s`
// (lead byte >= 0x80), or 0 when it is not valid: no overlong forms, no
// surrogates, nothing above U+10FFFF.
size_t Utf8SequenceLength(absl::string_view s) {
  auto at = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  uint8_t b = at(0);
  size_t len;
  uint32_t cp;
  if (b >= 0xC2 && b <= 0xDF) {
    len = 2;
    cp = b & 0x1F;
  } else if (b >= 0xE0 && b <= 0xEF) {
    len = 3;
    cp = b & 0x0F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    len = 4;
    cp = b & 0x07;
  } else {
    return 0;
  }
  if (s.size() < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((at(i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (at(i) & 0x3F);
  }
  if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return 0;
  if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
  return len;
}

}  // namespace

std::string Utf16LeToUtf8(absl::string_view bytes, bool stop_at_nul) {
  std::string out;
  const size_t units = bytes.size() / 2;
  for (size_t i = 0; i < units; ++i) {
    uint16_t u = UnitAt(bytes, i);
    if (u == 0 && stop_at_nul) return out;
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (i + 1 < units) {
        uint16_t low = UnitAt(bytes, i + 1);
        if (low >= 0xDC00 && low <= 0xDFFF) {
          AppendUtf8(0x10000 + ((static_cast<uint32_t>(u) - 0xD800) << 10) +
                         (low - 0xDC00),
                     &out);
          ++i;
          continue;
        }
      }
      AppendUtf8(kReplacement, &out);
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      AppendUtf8(kReplacement, &out);
    } else {
      AppendUtf8(u, &out);
    }
  }
  if (bytes.size() % 2 != 0) AppendUtf8(kReplacement, &out);
  return out;
}

std::string ToDisplayString(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<uint8_t>(s[i]);
    if (b < 0x80) {
      if (b < 0x20 || b == 0x7f) {
        absl::StrAppendFormat(&out, "\\x%02x", b);
      } else {
        out.push_back(static_cast<char>(b));
      }
      ++i;
      continue;
    }
    size_t len = Utf8SequenceLength(s.substr(i));
    if (len == 0) {
      absl::StrAppendFormat(&out, "\\x%02x", b);
      ++i;
    } else {
      out.append(s.data() + i, len);
      i += len;
    }
  }
  return out;
}

bool LooksLikeAsciiUtf16(absl::string_view bytes) {
  if (bytes.size() < 2 || bytes.size() % 2 != 0) return false;
  for (size_t i = 1; i < bytes.size(); i += 2) {
    if (bytes[i] != 0) return false;
  }
  return true;
}

std::string LoggedString(absl::string_view data) {
  if (LooksLikeAsciiUtf16(data)) return ToDisplayString(Utf16LeToUtf8(data));
  return ToDisplayString(data.substr(0, data.find('\0')));
}

}  // namespace vtpm::bootstate
