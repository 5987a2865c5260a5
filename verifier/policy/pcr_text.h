// PCR values as text, one per line, as read in a guest from
// /sys/class/tpm/tpm0/pcr-<bank>/<N> (tests/data/eventlogs/*/pcrs-*.txt):
//
//   0 177e29c417b6b61c7cf46ed30b4468931f58642527a268b556254e39b941ec6a
//   sha384:0 1f2e...
//
// "INDEX HEX" is a sha256 value; "BANK:INDEX HEX" names the bank (sha1,
// sha256, sha384, sha512). Blank lines and lines starting with '#' are
// skipped.
#ifndef VTPM_VERIFIER_POLICY_PCR_TEXT_H_
#define VTPM_VERIFIER_POLICY_PCR_TEXT_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/pcr_selection.h"

namespace vtpm::verifier {

// Parses the text. Errors (InvalidArgument) name the line: a bad index
// (not 0-23), an unknown bank, bad hex, a digest of the wrong size for its
// bank, a (bank, PCR) given twice, or no value at all.
absl::StatusOr<vtpm::PcrValues> ParsePcrText(absl::string_view text);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_POLICY_PCR_TEXT_H_
