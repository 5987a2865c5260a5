// PCR selections: parsing the tpm2-tools text form ("sha256:0-7,10+sha1:0"),
// conversion to TPML_PCR_SELECTION and the proto, and the quote's PCR
// digest over values in selection order.
#ifndef VTPM_COMMON_PCR_SELECTION_H_
#define VTPM_COMMON_PCR_SELECTION_H_

#include <tss2/tss2_tpm2_types.h>

#include <bitset>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_field.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm {

inline constexpr int kMaxPcrs = 24;

struct PcrBankSelection {
  TPMI_ALG_HASH hash;
  std::bitset<kMaxPcrs> pcrs;
  bool operator==(const PcrBankSelection&) const = default;
};

// Banks in the order given; each bank at most once.
using PcrSelection = std::vector<PcrBankSelection>;

// PCR values by bank then index. Values are raw digests.
using PcrValues = std::map<TPMI_ALG_HASH, std::map<uint32_t, std::string>>;

// Parses "sha256:0-7,10+sha1:0,1". Banks separated by '+', PCRs by ',',
// ranges with '-'. Errors name the offending token.
absl::StatusOr<PcrSelection> ParsePcrSelection(absl::string_view text);

// Inverse of ParsePcrSelection, with ranges collapsed ("sha256:0-7,10").
std::string PcrSelectionToString(const PcrSelection& sel);

// To and from the TPM structure. FromTpml fails on PCRs >= 24, repeated
// banks or sizeofSelect > 3 with bits set past PCR 23.
TPML_PCR_SELECTION ToTpml(const PcrSelection& sel);
absl::StatusOr<PcrSelection> FromTpml(const TPML_PCR_SELECTION& tpml);

// To and from the proto.
void ToProto(
    const PcrSelection& sel,
    google::protobuf::RepeatedPtrField<vtpm_attest::v1::PcrSelection>* out);
absl::StatusOr<PcrSelection> FromProto(
    const google::protobuf::RepeatedPtrField<vtpm_attest::v1::PcrSelection>&
        in);

// Values for a selection to and from the proto.
void PcrValuesToProto(
    const PcrValues& values,
    google::protobuf::RepeatedPtrField<vtpm_attest::v1::PcrBankValues>* out);
// Fails on unknown banks, repeated banks, PCR >= 24 or digests of the wrong
// size for their bank.
absl::StatusOr<PcrValues> PcrValuesFromProto(
    const google::protobuf::RepeatedPtrField<vtpm_attest::v1::PcrBankValues>&
        in);

// The digest TPM2_Quote puts in TPMS_QUOTE_INFO.pcrDigest:
// H_hash(concatenation of the selected PCR values, banks in selection order,
// PCRs ascending). Fails when a selected value is missing from `values`.
absl::StatusOr<std::string> ComputePcrDigest(const PcrSelection& sel,
                                             const PcrValues& values,
                                             TPMI_ALG_HASH hash);

}  // namespace vtpm

#endif  // VTPM_COMMON_PCR_SELECTION_H_
