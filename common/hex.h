// Hex encoding of byte strings. Bytes are held in std::string throughout
// the project (as protobuf does).
#ifndef VTPM_COMMON_HEX_H_
#define VTPM_COMMON_HEX_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vtpm {

// Lower-case hex of `bytes`.
std::string HexEncode(absl::string_view bytes);

// Decodes hex (either case, optional "0x" prefix). Fails on odd length or
// a non-hex character, naming its position.
absl::StatusOr<std::string> HexDecode(absl::string_view hex);

}  // namespace vtpm

#endif  // VTPM_COMMON_HEX_H_
