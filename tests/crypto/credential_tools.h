// Test helpers: TPM2_ActivateCredential on a real swtpm through tpm2-tools,
// and tpm2-tools' credential file format.
#ifndef VTPM_TESTS_CRYPTO_CREDENTIAL_TOOLS_H_
#define VTPM_TESTS_CRYPTO_CREDENTIAL_TOOLS_H_

#include <tss2/tss2_tpm2_types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/make_credential.h"
#include "tests/harness/process.h"
#include "tests/harness/swtpm.h"

namespace vtpm::testing {

// tpm2_makecredential's output file (tpm2-tools 5.x, checked against a real
// file by CredentialToolsTest): magic 0xBADCC0DE and version 1, both
// big-endian UINT32, then TPM2B_ID_OBJECT, then TPM2B_ENCRYPTED_SECRET.
std::string ToToolsCredentialFile(const CredentialChallenge& challenge);

// Inverse of ToToolsCredentialFile: checks magic and version and that both
// TPM2Bs unmarshal (tss2-mu) and end the file.
absl::StatusOr<CredentialChallenge> ParseToolsCredentialFile(
    absl::string_view file);

// An EK on the TPM as tpm2-tools addresses it.
struct ToolsEk {
  std::string ref;       // persistent handle ("0x81010001") or context file
  std::string pub_path;  // TPM2B_PUBLIC file
  TPMT_PUBLIC pub;
};

// An AK created under an EK.
struct ToolsAk {
  std::string ctx_path;
  std::string name;  // raw TPM name
};

struct Activation {
  bool ok = false;
  std::string secret;  // released credential when ok
  std::string output;  // tpm2-tools' output (error messages)
};

// tpm2-tools against one swtpm, with files under `dir`. Every command is
// followed by flushing transient objects and sessions: swtpm has no
// resource manager and only 3 object slots.
class CredentialTools {
 public:
  CredentialTools(const Swtpm& tpm, std::string dir)
      : tpm_(tpm), dir_(std::move(dir)) {}

  // The EK at a persistent handle (as swtpm_setup makes them).
  absl::StatusOr<ToolsEk> PersistentEk(const std::string& handle);
  // A new EK from tpm2_createek's default template for `alg` ("ecc256",
  // "ecc521", "rsa3072", ...), kept as a context file.
  absl::StatusOr<ToolsEk> CreateEk(const std::string& alg);
  // A restricted ECDSA P-256 signing key created under `ek`
  // (tpm2_createak), named `label` for its files.
  absl::StatusOr<ToolsAk> CreateAk(const ToolsEk& ek, const std::string& label);
  // tpm2_activatecredential of the credential file at `cred_path` with `ak`
  // and `ek`, authorising the EK with the policy session its authPolicy
  // needs (PolicySecret(endorsement), OR'd with the TCG PolicyC for
  // high-range EKs). Fails only when the session could not be set up; a
  // TPM refusal is Activation::ok == false.
  absl::StatusOr<Activation> Activate(const ToolsEk& ek, const ToolsAk& ak,
                                      const std::string& cred_path);

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  absl::StatusOr<std::string> Tool(const std::vector<std::string>& argv);

 private:
  void FlushAll();
  absl::Status StartEkPolicySession(const ToolsEk& ek,
                                    const std::string& session);

  const Swtpm& tpm_;
  std::string dir_;
  int counter_ = 0;
};

}  // namespace vtpm::testing

#endif  // VTPM_TESTS_CRYPTO_CREDENTIAL_TOOLS_H_
