// The character sets of the text a guest sends about itself (labels,
// hostname): what the verifier accepts (verifier/service/hello_checks.h,
// INVALID_TEXT otherwise) and what the agent checks in its configuration
// before it sends anything.
#ifndef VTPM_COMMON_GUEST_TEXT_H_
#define VTPM_COMMON_GUEST_TEXT_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace vtpm {

inline constexpr size_t kMaxLabelKeyBytes = 63;
inline constexpr size_t kMaxLabelValueBytes = 256;
inline constexpr size_t kMaxHostnameBytes = 253;  // RFC 1123

// 1-63 bytes of [A-Za-z0-9._/-], starting with a letter or digit.
bool IsValidLabelKey(absl::string_view key);
// Up to 256 bytes of printable ASCII (0x20-0x7e).
bool IsValidLabelValue(absl::string_view value);
// Up to 253 bytes of [A-Za-z0-9._-], not starting with '-' or '.'; empty
// is valid (no hostname).
bool IsValidHostname(absl::string_view hostname);
// Every byte printable ASCII (0x20-0x7e).
bool IsPrintableAscii(absl::string_view text);

}  // namespace vtpm

#endif  // VTPM_COMMON_GUEST_TEXT_H_
