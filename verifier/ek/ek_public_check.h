// Plausibility of a TPM public area presented as an endorsement key.
#ifndef VTPM_VERIFIER_EK_EK_PUBLIC_CHECK_H_
#define VTPM_VERIFIER_EK_EK_PUBLIC_CHECK_H_

#include <tss2/tss2_tpm2_types.h>

#include "absl/status/status.h"

namespace vtpm::verifier {

// OK when `ek` has the shape every TCG EK template (EK Credential Profile
// 2.x, templates L-1..L-3 and H-1..H-7) gives an EK:
//  - type RSA (keyBits >= 2048, unique of keyBits/8 bytes) or ECC (NIST
//    P-256/P-384/P-521);
//  - nameAlg SHA-256, SHA-384 or SHA-512 (the EK's name binds credential
//    activation, so SHA-1 is refused);
//  - objectAttributes with fixedTPM, fixedParent, restricted and decrypt set
//    and sign clear: a storage key that never leaves this TPM and cannot
//    sign (so it cannot be used to forge quotes for an AK);
//  - a symmetric algorithm (restricted decryption keys need one) and no
//    asymmetric scheme.
// Otherwise ReasonError(EK_PUBLIC_INVALID) listing every violation.
absl::Status CheckEkPublicArea(const TPMT_PUBLIC& ek);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_EK_EK_PUBLIC_CHECK_H_
