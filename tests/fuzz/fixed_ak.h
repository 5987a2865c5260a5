// A fixed ECC P-256 attestation key for fuzz_quote and its seed generator:
// the same private scalar in every run, so that seed quotes signed with it
// stay valid across builds and machines. Test-only key material.
#ifndef VTPM_TESTS_FUZZ_FIXED_AK_H_
#define VTPM_TESTS_FUZZ_FIXED_AK_H_

#include <tss2/tss2_tpm2_types.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/ossl.h"

namespace vtpm::fuzz {

// The P-256 key pair whose private scalar is SHA-256("vtpm-attest fuzz AK")
// (a valid scalar: below the group order).
absl::StatusOr<EvpPkeyPtr> FixedEccP256Key();

// The TPMT_PUBLIC a TPM would report for `key` as an AK made by
// tpm2_createak -G ecc: nameAlg SHA-256, fixedTPM, fixedParent,
// sensitiveDataOrigin, userWithAuth, restricted, sign; scheme ECDSA with
// SHA-256, curve NIST P-256, no KDF. Fails if `key` is not a P-256 key.
absl::StatusOr<TPMT_PUBLIC> EccAkPublic(EVP_PKEY* key);

// The TPMT_SIGNATURE (TPM wire format) of ECDSA with SHA-256 over
// `message`, made with the private `key` (P-256), as TPM2_Quote returns it.
absl::StatusOr<std::string> SignEcdsaSha256(EVP_PKEY* key,
                                            absl::string_view message);

}  // namespace vtpm::fuzz

#endif  // VTPM_TESTS_FUZZ_FIXED_AK_H_
