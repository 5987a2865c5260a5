// The Attestation Key: a restricted signing key created under the EK,
// saved in the agent's state directory, and credential activation with it.
#ifndef VTPM_AGENT_TPM_AK_H_
#define VTPM_AGENT_TPM_AK_H_

#include <tss2/tss2_tpm2_types.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/tpm/ek.h"
#include "agent/tpm/tpm_context.h"

namespace vtpm::agent {

enum class AkAlgorithm { kEccP256, kRsa2048 };

// "ecc256", "rsa2048".
const char* AkAlgorithmName(AkAlgorithm alg);

struct Ak {
  // The loaded AK (a transient object: flushed on destruction).
  ScopedHandle handle;
  // Its public area.
  TPM2B_PUBLIC pub = {};
  // Its TPM name (nameAlg || SHA-256(public area)), raw bytes: what
  // TPM2_MakeCredential binds the credential to.
  std::string name;
  // True when this call created the AK (the verifier has not seen it).
  bool created = false;
  // Why a saved AK was not used (empty when it was, or there was none).
  std::string recreated_because;
};

// The AK template: fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|
// restricted|sign, nameAlg SHA-256, empty authPolicy and authValue; ECC
// NIST P-256 with ECDSA-SHA256, or RSA-2048 (exponent 65537) with
// RSASSA-SHA256.
TPM2B_PUBLIC AkTemplate(AkAlgorithm alg);

// Loads the AK saved in `state_dir` or creates and saves a new one.
//
// State files (TPM wire format, mode 0600, each written atomically: temp
// file, fsync, rename): ak.pub (TPM2B_PUBLIC), ak.priv (TPM2B_PRIVATE,
// encrypted by the EK's storage seed, useless on another TPM) and
// ak.ek_name (hex of the name of the EK it was created under). The
// directory is created (mode 0700) if missing.
//
// A saved AK is used when it was made under this `ek` (same EK name), has
// the template of `alg`, and TPM2_Load accepts it. Otherwise - other EK
// (TPM replaced, another EK algorithm), other algorithm, files unreadable,
// Load refused - a new AK is created (TPM2_Create under the EK) and saved,
// and `recreated_because` says why. Create and Load are authorized on the
// EK with a PolicySecret(endorsement) session that is flushed after use.
// Errors: TPM errors, file system errors naming the path; a TPM that is
// unreachable or in failure mode while loading a saved AK is an error
// (the AK is not replaced because of it).
absl::StatusOr<Ak> LoadOrCreateAk(TpmContext& ctx, const Ek& ek,
                                  const std::string& state_dir,
                                  AkAlgorithm alg);

// TPM2_ActivateCredential: recovers the secret that TPM2_MakeCredential
// protected for the name of `ak` and the public key of `ek`.
// `credential_blob` is a TPM2B_ID_OBJECT and `encrypted_secret` a
// TPM2B_ENCRYPTED_SECRET, both TPM wire format with their size prefix and
// nothing after. The EK is authorized with a policy session
// (StartEkPolicySession: PolicySecret(TPM_RH_ENDORSEMENT) with the EK's
// nameAlg), the AK with its empty password. Returns the secret
// (TPM2B_DIGEST contents).
// Errors: InvalidArgument for malformed inputs, and when the TPM rejects
// the credential as not made for this EK and AK name (integrity/value
// check failed); TPM errors otherwise.
absl::StatusOr<std::string> ActivateCredential(
    TpmContext& ctx, const Ek& ek, const Ak& ak,
    absl::string_view credential_blob, absl::string_view encrypted_secret);

}  // namespace vtpm::agent

#endif  // VTPM_AGENT_TPM_AK_H_
