// Test fixture for the agent's TPM layer: a per-test CA and a real,
// provisioned swtpm, plus tpm2-tools as a second opinion. swtpm serves
// one connection at a time: close every TpmContext before running tools.
#ifndef VTPM_TESTS_AGENT_TPM_AGENT_TPM_FIXTURE_H_
#define VTPM_TESTS_AGENT_TPM_AGENT_TPM_FIXTURE_H_

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/tpm/tpm_context.h"
#include "common/status_macros.h"
#include "tests/harness/swtpm.h"

#define VTPM_TEST_ASSIGN_(tmp, lhs, expr) \
  auto tmp = (expr);                      \
  ASSERT_TRUE(tmp.ok()) << tmp.status();  \
  lhs = std::move(tmp).value()
// Asserts that a StatusOr is OK and assigns its value.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  VTPM_TEST_ASSIGN_(VTPM_CONCAT_(vtpm_test_or_, __LINE__), lhs, expr)
// Asserts that a Status or StatusOr is OK.
#define ASSERT_OK(expr)                                                \
  do {                                                                 \
    ::absl::Status vtpm_test_st_ = ::vtpm::internal::ToStatus((expr)); \
    ASSERT_TRUE(vtpm_test_st_.ok()) << vtpm_test_st_;                  \
  } while (0)

namespace vtpm::agent {

class AgentTpmTest : public ::testing::Test {
 protected:
  // Creates the CA and starts a provisioned swtpm with `opts`.
  void StartTpm(const testing::SwtpmOptions& opts = {}) {
    auto ca = testing::TestCa::Create(dir_.path());
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    auto tpm = testing::Swtpm::Start(dir_.Sub("tpm"), *ca_, opts);
    ASSERT_TRUE(tpm.ok()) << tpm.status();
    tpm_ = std::move(*tpm);
    ASSERT_NO_FATAL_FAILURE(WaitUntilServing());
  }

  // Stops and starts swtpm on its state (a reboot: PCRs reset, new PCR
  // allocation in effect).
  void RestartTpm() {
    ASSERT_OK(tpm_->Restart());
    ASSERT_NO_FATAL_FAILURE(WaitUntilServing());
  }

  // Connects once (then disconnects) so that tpm2-tools, which do not
  // retry, find swtpm accepting connections.
  void WaitUntilServing() {
    auto ctx = Open();
    ASSERT_TRUE(ctx.ok()) << ctx.status();
  }

  // Opens the swtpm. The harness returns as soon as swtpm's socket files
  // exist, which can be a moment before swtpm accepts connections: retry
  // briefly on Unavailable.
  absl::StatusOr<TpmContext> Open() {
    absl::StatusOr<TpmContext> ctx = TpmContext::Open(tpm_->tcti());
    for (int i = 0; i < 50 && absl::IsUnavailable(ctx.status()); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      ctx = TpmContext::Open(tpm_->tcti());
    }
    return ctx;
  }

  // Runs a tpm2-tools command against the swtpm.
  absl::StatusOr<std::string> Tool(const std::vector<std::string>& argv) {
    return testing::RunOrError(argv, {tpm_->tools_env()});
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::TestCa> ca_;
  std::unique_ptr<testing::Swtpm> tpm_;
};

}  // namespace vtpm::agent

#endif  // VTPM_TESTS_AGENT_TPM_AGENT_TPM_FIXTURE_H_
