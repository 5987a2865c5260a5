// UTF-16LE (UEFI CHAR16 strings) to UTF-8.
#ifndef VTPM_COMMON_BOOTSTATE_UCS2_H_
#define VTPM_COMMON_BOOTSTATE_UCS2_H_

#include <string>

#include "absl/strings/string_view.h"

namespace vtpm::bootstate {

// Decodes UTF-16LE `bytes` to UTF-8. With `stop_at_nul` decoding ends at
// the first U+0000 (UEFI strings are NUL-terminated); otherwise NULs are
// kept. Unpaired surrogates and a trailing odd byte become U+FFFD; the
// function never fails.
std::string Utf16LeToUtf8(absl::string_view bytes, bool stop_at_nul = true);

// `s` made safe for one line of text and for protobuf string fields (which
// must be valid UTF-8): valid UTF-8 is kept, while control characters
// (below 0x20, and 0x7f) and bytes that are not part of a valid UTF-8
// sequence become "\xNN". A backslash stays a single backslash.
std::string ToDisplayString(absl::string_view s);

// True when `bytes` has even length, at least one character, and every
// second byte is zero: an ASCII string stored as UTF-16LE.
bool LooksLikeAsciiUtf16(absl::string_view bytes);

// A string as boot components log it (EV_IPL, EV_S_CRTM_VERSION, tag
// labels): UTF-16LE when LooksLikeAsciiUtf16, else the bytes up to the
// first NUL; display-safe either way.
std::string LoggedString(absl::string_view data);

}  // namespace vtpm::bootstate

#endif  // VTPM_COMMON_BOOTSTATE_UCS2_H_
