// Making untrusted text (anything a guest could have chosen: hostnames,
// labels, event log strings quoted in reasons) safe to print on an
// operator's terminal, and the UTF-8 decoding the JSON and XML writers
// share with it.
#ifndef VTPM_COMMON_TEXT_ESCAPE_H_
#define VTPM_COMMON_TEXT_ESCAPE_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace vtpm {

// One UTF-8 sequence decoded from the start of a string.
struct Utf8Char {
  char32_t code_point = 0;
  // Bytes taken; 0 when the string does not start with a well-formed
  // sequence (stray continuation byte, truncated or overlong sequence,
  // surrogate, beyond U+10FFFF, or an empty string).
  size_t length = 0;
};

// Decodes the first UTF-8 sequence of `s` strictly (RFC 3629).
Utf8Char DecodeUtf8(absl::string_view s);

// `text` with every byte that is not part of well-formed UTF-8 replaced by
// U+FFFD: what a proto3 string field may hold (a record stored before its
// text was validated must not break a response that carries it).
std::string ToValidUtf8(absl::string_view text);

// True for code points that a terminal may act on or that hide or reorder
// text instead of showing as themselves:
//  - C0 controls U+0000-U+001F, DEL U+007F, C1 controls U+0080-U+009F
//    (8-bit CSI, OSC, ...);
//  - bidirectional controls: U+061C, U+200E, U+200F, U+202A-U+202E,
//    U+2066-U+2069;
//  - invisible format and separator characters: U+00AD, U+034F,
//    U+115F, U+1160, U+17B4, U+17B5, U+180B-U+180F, U+200B-U+200D,
//    U+2028, U+2029, U+2060-U+2065, U+206A-U+206F, U+3164, U+FEFF,
//    U+FFA0, U+FFF9-U+FFFB, U+1D173-U+1D17A, U+E0000-U+E0FFF (tags,
//    variation selectors 17-256 and the rest of that block);
//  - other format characters (U+0600-U+0605, U+06DD, U+070F, U+0890,
//    U+0891, U+08E2, U+110BD, U+110CD, U+13430-U+1343F, U+1BCA0-U+1BCA3);
//  - noncharacters (U+FDD0-U+FDEF and U+xFFFE, U+xFFFF of every plane).
// Printable text, including combining marks, emoji (U+FE0F) and
// right-to-left letters themselves, is not affected.
bool IsTerminalUnsafe(char32_t code_point);

// `text` (any bytes) as text that is safe to print on a terminal, on one
// line, and that tells every input apart:
//  - a backslash becomes "\\";
//  - TAB, LF and CR become "\t", "\n" and "\r"; every other C0 control
//    and DEL becomes "\xNN" (two lower-case hex digits, e.g. "\x1b");
//  - a byte that is not part of well-formed UTF-8 becomes "\xNN";
//  - any other code point for which IsTerminalUnsafe holds (C1 controls,
//    bidi and invisible format characters) becomes "\u{N}" with lower-
//    case hex and no leading zeros, e.g. "\u{9b}", "\u{202e}";
//  - every other character (valid UTF-8) is kept as it is.
// Each ASCII character in `also` (e.g. " ", ",=") is escaped as "\xNN"
// too, for fields printed between such separators. The result contains
// no byte below 0x20, no DEL and only well-formed UTF-8.
std::string EscapeForTerminal(absl::string_view text,
                              absl::string_view also = "");

// EscapeForTerminal without doubling backslashes: as safe for the
// terminal, easier to read for text full of them (device paths such as
// "\EFI\BOOT\BOOTX64.EFI"), but a literal "\x1b" in the input prints
// like an escaped ESC.
std::string EscapeControlsForTerminal(absl::string_view text);

// Whether EscapeForTerminal(`text`) would change nothing but backslashes:
// true when `text` holds no unsafe code point and no ill-formed UTF-8.
bool IsTerminalSafe(absl::string_view text);

}  // namespace vtpm

#endif  // VTPM_COMMON_TEXT_ESCAPE_H_
