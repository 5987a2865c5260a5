// Checking a TPM signature with OpenSSL (the agent's self-check of its own
// quotes, before they go on the wire).
#ifndef VTPM_AGENT_TPM_SIGNATURE_H_
#define VTPM_AGENT_TPM_SIGNATURE_H_

#include <tss2/tss2_tpm2_types.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace vtpm::agent {

// Verifies `sig` (RSASSA-PKCS1-v1_5, RSA-PSS or ECDSA, with the hash named
// in the signature) over `message` with the public key `key`. OK when it
// verifies; FailedPrecondition when it does not or the scheme does not fit
// the key; InvalidArgument for unsupported schemes or malformed values.
absl::Status VerifyTpmSignature(const TPMT_PUBLIC& key,
                                absl::string_view message,
                                const TPMT_SIGNATURE& sig);

}  // namespace vtpm::agent

#endif  // VTPM_AGENT_TPM_SIGNATURE_H_
