// Authorizing the use of an EK: a policy session that satisfies the TCG
// EK Credential Profile policies.
#ifndef VTPM_AGENT_TPM_EK_SESSION_H_
#define VTPM_AGENT_TPM_EK_SESSION_H_

#include <tss2/tss2_tpm2_types.h>

#include "absl/status/statusor.h"
#include "agent/tpm/tpm_context.h"

namespace vtpm::agent {

// Starts a policy session with the EK's nameAlg (unsalted, unbound, no
// parameter encryption) and runs TPM2_PolicySecret(TPM_RH_ENDORSEMENT) with
// the (empty) endorsement password; when the EK's authPolicy is PolicyB
// (high-range templates), also TPM2_PolicyOR(PolicyA, PolicyC). The session
// then authorizes one command on the EK (TPM2_Create, TPM2_Load,
// TPM2_ActivateCredential); the returned handle flushes it.
// Errors: FailedPrecondition when the EK's authPolicy is neither PolicyA
// nor PolicyB of its nameAlg, or when the endorsement hierarchy has a
// password (vtpm-attest expects it empty); TPM errors otherwise.
absl::StatusOr<ScopedHandle> StartEkPolicySession(TpmContext& ctx,
                                                  const TPMT_PUBLIC& ek);

// If `rc` is an authorization failure of the endorsement hierarchy, a
// FailedPrecondition error saying so; otherwise `status` unchanged.
absl::Status ExplainEndorsementAuth(absl::Status status, TSS2_RC rc);

}  // namespace vtpm::agent

#endif  // VTPM_AGENT_TPM_EK_SESSION_H_
