// Checks on the agent's Hello that do not need the trust store: sizes and
// the attestation key's public area and name.
#ifndef VTPM_VERIFIER_SERVICE_HELLO_CHECKS_H_
#define VTPM_VERIFIER_SERVICE_HELLO_CHECKS_H_

#include <tss2/tss2_tpm2_types.h>

#include "absl/status/statusor.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::verifier {

// Every field within its limit (limits.h); OVERSIZED_MESSAGE otherwise.
absl::Status CheckHelloSizes(const vtpm_attest::v1::Hello& hello);

// Parses the AK public area and checks, in order:
//  1. it unmarshals exactly (MALFORMED_MESSAGE);
//  2. it is a restricted signing key bound to its TPM: fixedTPM,
//     fixedParent, sensitiveDataOrigin, restricted, sign, not decrypt
//     (AK_INVALID);
//  3. it is RSA or ECC with a name algorithm of SHA-256 or stronger
//     (AK_INVALID);
//  4. the name the agent claims equals nameAlg || H(public area)
//     (AK_NAME_MISMATCH).
// Returns the verified public area.
absl::StatusOr<TPMT_PUBLIC> VerifyAkPublic(
    const vtpm_attest::v1::AttestationKey& ak);

// Parses the EK public area (MALFORMED_MESSAGE) and checks it is a
// restricted decryption key that cannot sign, fixed to its TPM
// (EK_PUBLIC_INVALID).
absl::StatusOr<TPMT_PUBLIC> ParseEkPublic(absl::string_view tpm2b_public);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_SERVICE_HELLO_CHECKS_H_
