// The agent's side of the conversation, free of any transport: builds the
// Hello and answers each verifier message using the TPM. The gRPC client
// (client.h) carries its messages; tests drive it directly.
#ifndef VTPM_AGENT_ATTESTOR_H_
#define VTPM_AGENT_ATTESTOR_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "agent/platform/platform.h"
#include "agent/tpm/ak.h"
#include "agent/tpm/ek.h"
#include "agent/tpm/tpm_context.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::agent {

struct AttestorOptions {
  // TCTI configuration; empty tries the platform's defaults in order.
  std::string tcti;
  std::string state_dir = "/var/lib/vtpm-attest";
  EkAlgorithm ek_algorithm = EkAlgorithm::kAuto;
  AkAlgorithm ak_algorithm = AkAlgorithm::kEccP256;
  std::map<std::string, std::string> labels;
  // Interface to report when the platform cannot tell (tests: EMULATOR).
  vtpm_attest::v1::TpmInterface interface_override =
      vtpm_attest::v1::TPM_INTERFACE_UNSPECIFIED;
};

class Attestor {
 public:
  // Opens the TPM, loads the EK (and its certificates) and loads or creates
  // the AK. Errors say which step failed and why.
  static absl::StatusOr<std::unique_ptr<Attestor>> Create(
      const AttestorOptions& options, const Platform& platform);

  // The first message of a stream.
  absl::StatusOr<vtpm_attest::v1::AgentMessage> MakeHello(
      vtpm_attest::v1::Hello::Mode mode);

  // The answer to a CredentialChallenge or QuoteRequest. A Verdict has no
  // answer (nullopt). TPM failures become an AgentError message, so the
  // verifier learns why; this function itself does not fail.
  std::optional<vtpm_attest::v1::AgentMessage> Handle(
      const vtpm_attest::v1::VerifierMessage& msg);

  // Direct access for the offline `quote` command and tests.
  TpmContext& tpm() { return *tpm_; }
  const Ek& ek() const { return *ek_; }
  const Ak& ak() const { return *ak_; }

 private:
  Attestor(AttestorOptions options, const Platform& platform)
      : options_(std::move(options)), platform_(platform) {}
  vtpm_attest::v1::AgentMessage Activate(
      const vtpm_attest::v1::CredentialChallenge& c);
  vtpm_attest::v1::AgentMessage AnswerQuote(
      const vtpm_attest::v1::QuoteRequest& q);

  AttestorOptions options_;
  const Platform& platform_;
  std::optional<TpmContext> tpm_;
  std::optional<Ek> ek_;
  std::optional<Ak> ak_;
};

// Opens the TPM named by `tcti`, or the platform's defaults in order when
// empty; the error lists every TCTI tried.
absl::StatusOr<TpmContext> OpenTpm(const std::string& tcti,
                                   const Platform& platform);

}  // namespace vtpm::agent

#endif  // VTPM_AGENT_ATTESTOR_H_
