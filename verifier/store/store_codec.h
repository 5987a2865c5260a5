// Encodings shared by the SQL backends: how labels and reason codes are
// kept in columns that an operator can query with SQL.
#ifndef VTPM_VERIFIER_STORE_STORE_CODEC_H_
#define VTPM_VERIFIER_STORE_STORE_CODEC_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::verifier::store_internal {

// Labels as a JSON object of strings, e.g. {"zone":"a"}; "{}" when empty.
// InvalidArgument if a key or value is not valid UTF-8.
absl::StatusOr<std::string> LabelsToJson(
    const std::map<std::string, std::string>& labels);

// The inverse of LabelsToJson. DataLoss if `json` is not an object of
// strings. An empty string means no labels.
absl::StatusOr<std::map<std::string, std::string>> LabelsFromJson(
    const std::string& json);

// The reason codes of a verdict by name, comma-separated, in order:
// "NONCE_MISMATCH,PCR_MISMATCH"; empty without reasons.
std::string ReasonCodesText(const vtpm_attest::v1::Verdict& verdict);

}  // namespace vtpm::verifier::store_internal

#endif  // VTPM_VERIFIER_STORE_STORE_CODEC_H_
