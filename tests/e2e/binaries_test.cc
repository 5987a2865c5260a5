// The shipped binaries as a user runs them: vtpm-attest-verifier and
// vtpm-attest-agent as processes on a real swtpm, over loopback TLS.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/e2e/e2e_fixture.h"

namespace vtpm::testing {
namespace {

using ::testing::HasSubstr;

class BinariesTest : public E2eTest {
 protected:
  void TearDown() override {
    StopProcess(verifier_pid_);
    E2eTest::TearDown();
  }

  // Starts the verifier binary; `port` 0 picks one.
  void StartVerifierBinary(int port = 0, int quote_interval = 300) {
    auto v = E2eTest::StartVerifierBinary(
        "verifier", dir_.Sub("verifier.db"), port,
        {"--quote-interval", absl::StrCat(quote_interval)});
    ASSERT_TRUE(v.ok()) << v.status();
    verifier_pid_ = v->pid;
    port_ = v->port;
  }

  std::vector<std::string> AgentArgs(const std::string& cmd) {
    return {BinaryPath("agent/vtpm-attest-agent"),
            cmd,
            "--config",
            "/dev/null",
            "--tcti",
            tpm_->tcti(),
            "--state-dir",
            dir_.Sub("agent-state"),
            "--verifier",
            absl::StrCat("localhost:", port_),
            "--ca-cert",
            tls_.ca_cert,
            "--label",
            "image=test"};
  }

  pid_t verifier_pid_ = -1;
  int port_ = 0;
};

TEST_F(BinariesTest, AttestOncePassesWithExitZero) {
  StartVerifierBinary();
  auto args = AgentArgs("attest");
  args.push_back("--once");
  auto r = RunCommand(args);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->output;
  EXPECT_THAT(r->output, HasSubstr("verdict: PASS"));
}

TEST_F(BinariesTest, AttestOnceJsonIsValidJson) {
  StartVerifierBinary();
  auto args = AgentArgs("attest");
  args.insert(args.end(), {"--once", "--json"});
  auto r = RunCommand(args);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->output;
  ASSERT_TRUE(WriteFile(dir_.Sub("verdict.json"), r->stdout_text).ok());
  auto check = RunCommand({"python3", "-c",
                           "import json,sys; v=json.load(open(sys.argv[1])); "
                           "assert v['result']=='RESULT_PASS', v; "
                           "print(v['identity']['ek_fingerprint'])",
                           dir_.Sub("verdict.json")});
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->exit_code, 0) << check->output;
}

TEST_F(BinariesTest, PolicyFailureExitsOne) {
  WritePolicy(R"json({"name": "strict", "allowedTpmModels": ["IFX"]})json");
  StartVerifierBinary();
  auto args = AgentArgs("attest");
  args.push_back("--once");
  auto r = RunCommand(args);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 1) << r->output;
  EXPECT_THAT(r->output, HasSubstr("verdict: FAIL"));
  EXPECT_THAT(r->output, HasSubstr("POLICY_TPM_MODEL"));
}

TEST_F(BinariesTest, UnreachableVerifierExitsTwo) {
  port_ = 1;  // nothing listens there
  auto args = AgentArgs("attest");
  args.insert(args.end(), {"--once", "--timeout", "5"});
  auto r = RunCommand(args);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 2) << r->output;
  EXPECT_THAT(r->output, HasSubstr("verifier"));
}

TEST_F(BinariesTest, NoTpmExitsTwoWithAClearMessage) {
  StartVerifierBinary();
  auto args = AgentArgs("attest");
  args.push_back("--once");
  for (auto& a : args) {
    if (absl::StartsWith(a, "swtpm:")) a = "device:" + dir_.Sub("no-such-tpm");
  }
  auto r = RunCommand(args);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 2) << r->output;
  EXPECT_THAT(r->output, HasSubstr("no-such-tpm"));
}

TEST_F(BinariesTest, VerifierRefusesToStartWithoutTlsOrWithBadPolicy) {
  auto r = RunCommand({BinaryPath("verifier/vtpm-attest-verifier"), "--config",
                       "/dev/null", "--policy-dir", dir_.Sub("policies")});
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->exit_code, 0);
  EXPECT_THAT(r->output, HasSubstr("TLS"));
  WritePolicy(R"json({"name": "x", "pcrValuez": []})json");
  r = RunCommand({BinaryPath("verifier/vtpm-attest-verifier"), "--config",
                  "/dev/null", "--tls-cert", tls_.server_cert, "--tls-key",
                  tls_.server_key, "--trust-store", dir_.Sub("trust"),
                  "--policy-dir", dir_.Sub("policies"), "--database",
                  dir_.Sub("v.db")});
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->exit_code, 0);
  EXPECT_THAT(r->output, HasSubstr("default.json"));
  EXPECT_THAT(r->output, HasSubstr("pcrValuez"));
}

int CountVerdicts(const std::string& log) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (line == "verdict: PASS") ++n;
  }
  return n;
}

bool WaitForVerdicts(const std::string& log_path, int want, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (CountVerdicts(ReadFile(log_path).value_or("")) >= want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST_F(BinariesTest, DaemonAnswersEveryRoundAndReconnectsAfterVerifierRestart) {
  StartVerifierBinary(0, /*quote_interval=*/1);
  int port = port_;
  std::string log = dir_.Sub("agent.log");
  auto agent = StartBackground(AgentArgs("run"), log);
  ASSERT_TRUE(agent.ok());
  EXPECT_TRUE(WaitForVerdicts(log, 3, 30)) << *ReadFile(log);

  // The verifier goes away and comes back on the same port and database.
  StopProcess(verifier_pid_);
  verifier_pid_ = -1;
  int before = CountVerdicts(*ReadFile(log));
  StartVerifierBinary(port, /*quote_interval=*/1);
  EXPECT_TRUE(WaitForVerdicts(log, before + 2, 60)) << *ReadFile(log);
  EXPECT_THAT(*ReadFile(log), HasSubstr("reconnecting in"));

  StopProcess(*agent);
}

TEST_F(BinariesTest, OfflineQuotePassesTpm2Checkquote) {
  std::string out = dir_.Sub("evidence");
  std::string nonce = "00112233445566778899aabbccddeeff";
  auto args = AgentArgs("quote");
  args.insert(args.end(),
              {"--nonce", nonce, "--pcrs", "sha256:0-7,16", "--out", out});
  auto r = RunCommand(args);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->exit_code, 0) << r->output;
  // tpm2-tools as the second opinion: signature, nonce and PCR digest.
  auto check = RunCommand({"tpm2_checkquote", "-u", out + "/ak.pem", "-m",
                           out + "/quote.msg", "-s", out + "/quote.sig", "-f",
                           out + "/pcrs.bin", "-g", "sha256", "-q", nonce});
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->exit_code, 0) << check->output;
  // A wrong nonce is rejected by tpm2_checkquote too.
  check = RunCommand({"tpm2_checkquote", "-u", out + "/ak.pem", "-m",
                      out + "/quote.msg", "-s", out + "/quote.sig", "-f",
                      out + "/pcrs.bin", "-g", "sha256", "-q",
                      "ff" + nonce.substr(2)});
  ASSERT_TRUE(check.ok());
  EXPECT_NE(check->exit_code, 0);
  // And our own offline verifier agrees, with ak.pub as TPM2B_PUBLIC.
  auto ours =
      RunCommand({BinaryPath("verifier/cli/vtpm-attest"), "verify-quote",
                  "--ak-public", out + "/ak.pub", "--message",
                  out + "/quote.msg", "--signature", out + "/quote.sig",
                  "--pcr-values", out + "/pcrs.bin", "--nonce", nonce});
  ASSERT_TRUE(ours.ok());
  EXPECT_EQ(ours->exit_code, 0) << ours->output;
}

}  // namespace
}  // namespace vtpm::testing
