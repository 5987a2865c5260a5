#include "common/guest_text.h"

#include "absl/strings/ascii.h"

namespace vtpm {

bool IsPrintableAscii(absl::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool IsValidLabelKey(absl::string_view key) {
  if (key.empty() || key.size() > kMaxLabelKeyBytes ||
      !absl::ascii_isalnum(key[0])) {
    return false;
  }
  for (char c : key) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-' &&
        c != '/') {
      return false;
    }
  }
  return true;
}

bool IsValidLabelValue(absl::string_view value) {
  return value.size() <= kMaxLabelValueBytes && IsPrintableAscii(value);
}

bool IsValidHostname(absl::string_view hostname) {
  if (hostname.size() > kMaxHostnameBytes) return false;
  if (!hostname.empty() && (hostname[0] == '-' || hostname[0] == '.')) {
    return false;
  }
  for (char c : hostname) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace vtpm
