// TPM2_MakeCredential in software, for the verifier: protects a secret so
// that only the TPM holding a given endorsement key can recover it with
// TPM2_ActivateCredential, and only for an object (the AK) with a given
// name. This is what binds an AK to the EK whose certificate was checked.
#ifndef VTPM_COMMON_CRYPTO_MAKE_CREDENTIAL_H_
#define VTPM_COMMON_CRYPTO_MAKE_CREDENTIAL_H_

#include <tss2/tss2_tpm2_types.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vtpm {

// The two parameters of TPM2_ActivateCredential, each in TPM wire format
// WITH its 2-byte size prefix.
struct CredentialChallenge {
  std::string credential_blob;   // TPM2B_ID_OBJECT
  std::string encrypted_secret;  // TPM2B_ENCRYPTED_SECRET
};

// Software TPM2_MakeCredential (TPM 2.0 Part 1 §24, Part 3 §12.6).
// Protects `credential` so that only the TPM holding the EK `ek` can release
// it, and only to an object whose name is `object_name`.
//
// `ek` must be a restricted decryption key (restricted and decrypt set,
// sign clear), RSA or ECC on NIST P-256/P-384/P-521, with nameAlg
// SHA1/256/384/512 and symmetric AES-128/192/256 in CFB mode; anything else
// is an InvalidArgument error that carries ReasonCode EK_PUBLIC_INVALID
// (see common/reason.h).
// `object_name` is the raw TPM name of the object: nameAlg (big-endian
// UINT16, SHA1/256/384/512) followed by a digest of that algorithm's size.
// `credential` is 1 to DigestSize(ek.nameAlg) bytes.
// Violations of these two are plain InvalidArgument errors.
//
// The seed is fresh randomness for every call: RSA EKs get it encrypted
// with RSA-OAEP (nameAlg, label "IDENTITY\0"); ECC EKs get an ephemeral
// ECDH key on the EK's curve and seed = KDFe(nameAlg, Z.x, "IDENTITY",
// ephemeral.x, ek.x), with encrypted_secret holding the ephemeral point.
// Intermediate secrets (seed, keys, plaintext) are wiped before returning.
absl::StatusOr<CredentialChallenge> MakeCredential(
    const TPMT_PUBLIC& ek, absl::string_view object_name,
    absl::string_view credential);

}  // namespace vtpm

#endif  // VTPM_COMMON_CRYPTO_MAKE_CREDENTIAL_H_
