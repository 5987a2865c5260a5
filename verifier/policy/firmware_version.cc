#include "verifier/policy/firmware_version.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace vtpm::verifier {

absl::StatusOr<FirmwareVersion> ParseFirmwareVersion(absl::string_view text) {
  FirmwareVersion out;
  size_t i = 0;
  while (i < text.size()) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() &&
           absl::ascii_isdigit(static_cast<unsigned char>(text[j]))) {
      ++j;
    }
    absl::string_view run = text.substr(i, j - i);
    uint64_t v = 0;
    if (run.size() > 18 || !absl::SimpleAtoi(run, &v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("version component '", run, "' is too long"));
    }
    out.push_back(v);
    i = j;
  }
  if (out.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("version '", text, "' contains no number"));
  }
  return out;
}

int CompareFirmwareVersions(const FirmwareVersion& a,
                            const FirmwareVersion& b) {
  size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    uint64_t x = i < a.size() ? a[i] : 0;
    uint64_t y = i < b.size() ? b[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

}  // namespace vtpm::verifier
