// Loading the inputs of `vtpm-attest verify-quote` from tpm2-tools files.
#ifndef VTPM_VERIFIER_CLI_QUOTE_INPUTS_H_
#define VTPM_VERIFIER_CLI_QUOTE_INPUTS_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/pcr_selection.h"
#include "verifier/quote/prepared_ak.h"

namespace vtpm::cli {

// Every input of verify-quote is far smaller than this.
inline constexpr size_t kMaxInputFileSize = 1 << 20;

// Reads a whole file of at most `max_size` bytes. Errors name the path.
absl::StatusOr<std::string> ReadFileBytes(const std::string& path,
                                          size_t max_size = kMaxInputFileSize);

struct LoadedAk {
  // From a TPM2B_PUBLIC: its public area (judged by VerifyQuote's AK check).
  std::optional<TPMT_PUBLIC> public_area;
  // From a PEM file: the prepared bare key.
  std::shared_ptr<const verifier::PreparedAk> bare_key;
  // "TPM2B_PUBLIC, ecc" / "PEM public key, rsa 2048", for the report.
  std::string description;
};

// An AK from a file holding either a TPM2B_PUBLIC (tpm2_createak -u,
// tpm2_readpublic -o) or a PEM SubjectPublicKeyInfo ("-----BEGIN PUBLIC
// KEY-----", tpm2_createak -f pem). A PEM key carries no TPM attributes:
// see PreparedAk::FromEvp for what goes unchecked.
absl::StatusOr<LoadedAk> LoadAk(absl::string_view contents);

// The PCR selection and values from a tpm2-tools PCR file. Without
// `pcrs_flag` the file must be in the serialized form (tpm2_quote -o). With
// it ("sha256:0-7"), a serialized file is still accepted if its selection
// equals the flag's; otherwise the file must be the values form
// (`-F values`) for that selection.
absl::StatusOr<std::pair<PcrSelection, PcrValues>> LoadPcrs(
    absl::string_view contents, absl::string_view pcrs_flag);

}  // namespace vtpm::cli

#endif  // VTPM_VERIFIER_CLI_QUOTE_INPUTS_H_
