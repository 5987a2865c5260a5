// TPM2B_PUBLIC handling: parsing from wire bytes, conversion to OpenSSL
// keys, and TPM object names.
#ifndef VTPM_COMMON_TPM_PUBLIC_H_
#define VTPM_COMMON_TPM_PUBLIC_H_

#include <tss2/tss2_tpm2_types.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/ossl.h"

namespace vtpm {

// Unmarshals a TPM2B_PUBLIC (TPM wire format, with size prefix). The whole
// input must be consumed; the size field must be non-zero and equal the
// length of the public area that follows. Errors are
// InvalidArgument and say what was wrong.
absl::StatusOr<TPM2B_PUBLIC> ParsePublic(absl::string_view tpm2b_public);

// Marshals a TPM2B_PUBLIC to TPM wire format.
absl::StatusOr<std::string> MarshalPublic(const TPM2B_PUBLIC& pub);

// Marshals only the TPMT_PUBLIC (no size prefix).
absl::StatusOr<std::string> MarshalPublicArea(const TPMT_PUBLIC& pub);

// The object's name: nameAlg (big-endian UINT16) || H_nameAlg(TPMT_PUBLIC).
absl::StatusOr<std::string> ComputeName(const TPMT_PUBLIC& pub);

// OpenSSL public key for an RSA or ECC (P-256/P-384/P-521) TPM key.
// RSA exponent 0 means 65537.
absl::StatusOr<EvpPkeyPtr> PublicToEvp(const TPMT_PUBLIC& pub);

// True when `key` (from a certificate) is the same public key as `pub`.
absl::StatusOr<bool> PublicMatchesEvp(const TPMT_PUBLIC& pub, EVP_PKEY* key);

}  // namespace vtpm

#endif  // VTPM_COMMON_TPM_PUBLIC_H_
