#include "common/tpm_vendor.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace vtpm {

std::string TpmManufacturerCode(absl::string_view value) {
  if (value.size() != 11 || !absl::StartsWithIgnoreCase(value, "id:")) {
    return std::string(value);
  }
  std::string hex = absl::AsciiStrToUpper(value.substr(3));
  std::string bytes;
  for (size_t i = 0; i < 8; i += 2) {
    int n = 0;
    for (char c : hex.substr(i, 2)) {
      if (!absl::ascii_isxdigit(c)) return std::string(value);
      n = n * 16 + (absl::ascii_isdigit(c) ? c - '0' : c - 'A' + 10);
    }
    bytes.push_back(static_cast<char>(n));
  }
  std::string canonical = absl::StrCat("id:", hex);
  while (!bytes.empty() && (bytes.back() == '\0' || bytes.back() == ' ')) {
    bytes.pop_back();
  }
  if (bytes.empty()) return canonical;
  for (char c : bytes) {
    if (c < 0x21 || c > 0x7e) return canonical;
  }
  return bytes;
}

}  // namespace vtpm
