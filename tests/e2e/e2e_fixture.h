// End-to-end fixture: a real swtpm provisioned with a per-test CA, a real
// verifier (in process) serving gRPC over loopback TLS with a real SQLite
// file, and the real agent Attestor. A driver runs the conversation over a
// real stream and can alter messages in flight, the way an attacker
// between TPM and verifier could.
#ifndef VTPM_TESTS_E2E_E2E_FIXTURE_H_
#define VTPM_TESTS_E2E_E2E_FIXTURE_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/attestor.h"
#include "agent/platform/platform.h"
#include "tests/harness/pki.h"
#include "tests/harness/swtpm.h"
#include "verifier/grpc/server.h"

namespace vtpm::testing {

// Hooks that alter messages in flight; each may be empty.
struct Tamper {
  std::function<void(vtpm_attest::v1::Hello*)> hello;
  // Alters a verifier message before the agent sees it.
  std::function<void(vtpm_attest::v1::VerifierMessage*)> to_agent;
  // Alters the agent's reply before the verifier sees it.
  std::function<void(vtpm_attest::v1::AgentMessage*)> to_verifier;
};

struct RunResult {
  std::optional<vtpm_attest::v1::Verdict> verdict;
  grpc::Status status;  // how the stream ended
};

class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Trust store: platform "libvirt" with `ca`'s root (and intermediate
  // unless `root_only`).
  void WriteTrustStore(const TestCa& ca, bool root_only = false);
  // Replaces the policy directory with one policy file "default.json".
  void WritePolicy(const std::string& json);
  // Starts the verifier on 127.0.0.1:0; `tweak` may change its config.
  void StartVerifier(
      const std::function<void(verifier::VerifierConfig*)>& tweak = {});
  struct VerifierBinary {
    pid_t pid = -1;
    int port = 0;
    std::string log;  // its stdout and stderr
  };
  // Starts the shipped vtpm-attest-verifier binary on 127.0.0.1:`port`
  // (0: any free port; or the address of a "--listen" in `extra`) with
  // this test's TLS files, trust store and policy directory, database
  // `database`, then the flags in `extra`. It logs to
  // `<name>.log` in the test directory. Returns once it wrote its port
  // file, or an error carrying its log. The caller stops it (StopProcess).
  absl::StatusOr<VerifierBinary> StartVerifierBinary(
      const std::string& name, const std::string& database, int port = 0,
      const std::vector<std::string>& extra = {});
  // The SMBIOS UUID the guest (platform_) reports from now on.
  void SetVmUuid(const std::string& uuid);

  // An attestor on `tpm` with its own state directory.
  std::unique_ptr<agent::Attestor> MakeAttestor(
      const Swtpm& tpm, agent::AkAlgorithm ak = agent::AkAlgorithm::kEccP256,
      agent::EkAlgorithm ek = agent::EkAlgorithm::kAuto,
      const std::string& state_name = "agent-state");

  // One conversation in once mode over a real TLS stream.
  RunResult Run(agent::Attestor& attestor, const Tamper& tamper = {});
  // One conversation with the verifier on 127.0.0.1:`port` (e.g. a
  // verifier binary), in `mode`, until the first verdict. `between` (may be
  // empty) runs before each agent reply is sent, with the verifier message
  // it answers.
  RunResult RunOn(
      int port, agent::Attestor& attestor, const Tamper& tamper,
      vtpm_attest::v1::Hello::Mode mode,
      const std::function<void(const vtpm_attest::v1::VerifierMessage&)>&
          between = {});

  static std::string DefaultPolicy();

  TempDir dir_;
  std::unique_ptr<TestCa> ca_;
  std::unique_ptr<Swtpm> tpm_;
  TlsFiles tls_;
  std::unique_ptr<agent::Platform> platform_;
  std::unique_ptr<verifier::VerifierServer> verifier_;
};

// The reason codes of a verdict, for EXPECT_THAT.
std::vector<int> Codes(const vtpm_attest::v1::Verdict& v);

// The stream (`run`, a RunResult, evaluated once) reached a verdict with
// this result.
#define EXPECT_RESULT(run, result_code)                    \
  do {                                                     \
    const ::vtpm::testing::RunResult& result_run_ = (run); \
    ASSERT_TRUE(result_run_.verdict.has_value())           \
        << "no verdict; stream ended with "                \
        << result_run_.status.error_message();             \
    EXPECT_EQ(result_run_.verdict->result(), result_code)  \
        << result_run_.verdict->DebugString();             \
  } while (0)

// ... and exactly these reason codes, in order (none: no reasons).
#define EXPECT_VERDICT(run, result_code, ...)                  \
  do {                                                         \
    const ::vtpm::testing::RunResult& verdict_run_ = (run);    \
    EXPECT_RESULT(verdict_run_, result_code);                  \
    EXPECT_THAT(::vtpm::testing::Codes(*verdict_run_.verdict), \
                ::testing::ElementsAre(__VA_ARGS__))           \
        << verdict_run_.verdict->DebugString();                \
  } while (0)

}  // namespace vtpm::testing

#endif  // VTPM_TESTS_E2E_E2E_FIXTURE_H_
