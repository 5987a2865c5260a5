// TPM hash algorithm identifiers and their OpenSSL and proto counterparts.
#ifndef VTPM_COMMON_TPM_ALG_H_
#define VTPM_COMMON_TPM_ALG_H_

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm {

// OpenSSL digest for a TPM hash algorithm (SHA1/256/384/512), or an
// InvalidArgument error naming the algorithm.
absl::StatusOr<const EVP_MD*> EvpMdForTpmAlg(TPMI_ALG_HASH alg);

// Digest size in bytes, or 0 for an unknown algorithm.
size_t DigestSize(TPMI_ALG_HASH alg);

// "sha1", "sha256", "sha384", "sha512", or "0xNNNN" for others.
std::string HashAlgName(TPMI_ALG_HASH alg);

// Inverse of HashAlgName for the four supported names.
absl::StatusOr<TPMI_ALG_HASH> HashAlgFromName(absl::string_view name);

// Proto enum values equal the TPM_ALG_ID values.
inline TPMI_ALG_HASH FromProto(vtpm_attest::v1::HashAlgorithm h) {
  return static_cast<TPMI_ALG_HASH>(h);
}
inline vtpm_attest::v1::HashAlgorithm ToProto(TPMI_ALG_HASH h) {
  return static_cast<vtpm_attest::v1::HashAlgorithm>(h);
}

// Hash of `data` with the TPM algorithm `alg`.
absl::StatusOr<std::string> Hash(TPMI_ALG_HASH alg, absl::string_view data);

}  // namespace vtpm

#endif  // VTPM_COMMON_TPM_ALG_H_
