// The PCR value files of tpm2-tools 5.x: what `tpm2_quote -o FILE` and
// `tpm2_pcrread -o FILE -F serialized` write and `tpm2_checkquote -f FILE`
// reads ("serialized", the default of tpm2_quote), and the "values" form
// (`-F values`, the default of tpm2_pcrread).
//
// The serialized form is a dump of tpm2-tools' in-memory structures with
// their C layout on x86-64, every integer little-endian (tpm2-tools applies
// htole16/htole32 before fwrite):
//
//   offset  size  field
//   0       4     TPML_PCR_SELECTION.count (1..16 banks)
//   4       128   16 x TPMS_PCR_SELECTION, 8 bytes each:
//                   +0 hash (UINT16), +2 sizeofSelect (UINT8),
//                   +3 pcrSelect[4], +7 one padding byte
//   132     4     number N of TPML_DIGEST blocks that follow (UINT32)
//   136     532*N N x TPML_DIGEST (one per TPM2_PCR_Read response):
//                   +0 count (UINT32, 1..8), then 8 x TPM2B_DIGEST of 66
//                   bytes each: +0 size (UINT16), +2 buffer[64]
//
// The digests of all blocks, taken in order, are the selected PCR values in
// selection order (banks as listed, PCRs ascending); a block boundary may
// fall anywhere (a TPM returns at most 8 digests per TPM2_PCR_Read).
// Everything past the used part of each structure (unused selections,
// pcrSelect bytes past sizeofSelect, padding, digest bytes past size,
// unused TPM2B_DIGEST slots) is zero in files tpm2-tools writes.
//
// The values form is the selected digests concatenated in the same order,
// with nothing else; the selection has to come from elsewhere.
#ifndef VTPM_COMMON_TPM2TOOLS_PCR_FILE_H_
#define VTPM_COMMON_TPM2TOOLS_PCR_FILE_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/pcr_selection.h"

namespace vtpm::tpm2tools {

// Size of the fixed head (TPML_PCR_SELECTION + block count) and of one
// TPML_DIGEST block in the serialized form.
inline constexpr size_t kSerializedSelectionSize = 132;
inline constexpr size_t kSerializedHeadSize = kSerializedSelectionSize + 4;
inline constexpr size_t kSerializedDigestListSize = 532;
// tpm2-tools keeps at most this many TPML_DIGEST blocks (tpm2_pcrs holds
// TPM2_MAX_PCRS of them).
inline constexpr size_t kMaxSerializedDigestLists = 32;

// Parses a serialized PCR file. Strict: the size must be exactly
// 136 + 532 * N; the selection must name 1..16 distinct known banks
// (sha1/sha256/sha384/sha512) with sizeofSelect <= 4, PCRs 0..23 only and at
// least one PCR; 1 <= N <= 32, each block's count is 1..8; the total number
// of digests equals the number of selected PCRs; each digest's size equals
// its bank's digest size; every padding and unused byte is zero. Errors are
// InvalidArgument and name the offending field and its offset.
// Returns the selection and the values of exactly the selected PCRs.
absl::StatusOr<std::pair<PcrSelection, PcrValues>> ParseSerializedPcrs(
    absl::string_view file);

// Writes the serialized form the way tpm2-tools does (sizeofSelect 3,
// blocks of 8 digests, zero padding), so that
// SerializePcrs(ParseSerializedPcrs(f)) == f for files written by
// tpm2_quote against a TPM that returns 8 digests per TPM2_PCR_Read.
// `values` must hold exactly the selected PCRs, each of its bank's digest
// size; the selection must be non-empty with known, distinct banks.
absl::StatusOr<std::string> SerializePcrs(const PcrSelection& selection,
                                          const PcrValues& values);

// Parses the values form: the digests of `selection` concatenated in
// selection order. The size must be exactly the sum of the selected
// digests' sizes. Returns the values of the selected PCRs.
absl::StatusOr<PcrValues> ParseRawPcrValues(absl::string_view file,
                                            const PcrSelection& selection);

}  // namespace vtpm::tpm2tools

#endif  // VTPM_COMMON_TPM2TOOLS_PCR_FILE_H_
