// Attacks on the conversation before proof of possession, against the
// shipped binaries: a vtpm-attest-verifier, a victim VM's
// vtpm-attest-agent daemon on its own swtpm, and an attacker who is root
// in another VM (a real agent on a real vTPM of its own) and holds the
// victim's public data (EK public and certificate, AK public and name, VM
// UUID: none of them secret). Whatever the attacker sends, the victim's
// record, status, verdict history, nonce and daemon stream stay as they
// were, and the attempt shows in the audit trail and in a metric.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/adversarial/attack_util.h"
#include "tests/fleet/fleet_fixture.h"
#include "verifier/store/store.h"

namespace vtpm::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
namespace v1 = vtpm_attest::v1;

constexpr char kVictimVm[] = "a77ac000-0000-4000-8000-00000000000a";
constexpr char kThirdVm[] = "a77ac000-0000-4000-8000-00000000000c";

class SessionAttackTest : public FleetTest {
 protected:
  void SetUp() override {
    FleetTest::SetUp();
    WritePolicy(R"json({"name": "default", "quoteIntervalSeconds": 2})json");
    db_ = dir_.Sub("verifier.db");
    metrics_port_ = FreePort();
    replica_ = StartReplica(
        "replica", db_,
        {"--metrics-listen", absl::StrCat("127.0.0.1:", metrics_port_)});
    ASSERT_GT(replica_.port, 0);
    victim_ = StartAgent("victim", kVictimVm,
                         absl::StrCat("localhost:", replica_.port),
                         /*own_tpm=*/true);
    ASSERT_TRUE(WaitForVerdicts(victim_, 2, IsPass, 60))
        << ReadFile(victim_.log).value_or("");
    auto before = ReadVictim(db_, kVictimVm);
    ASSERT_TRUE(before.ok()) << before.status();
    before_ = *std::move(before);
  }

  static bool IsPass(const PrintedVerdict& v) { return v.result == "PASS"; }

  // The victim still holds its stream, and the verifier still knows it is
  // there: attest-now reaches it and it passes, without reconnecting.
  void ExpectVictimUntouched() {
    auto after = ReadVictim(db_, kVictimVm, before_.identity.ek_fingerprint);
    ASSERT_TRUE(after.ok()) << after.status();
    ExpectSameIdentity(before_.identity, after->identity);
    for (const auto& v : after->verdicts) {
      EXPECT_EQ(v.result(), v1::RESULT_PASS) << v.DebugString();
    }
    EXPECT_GE(after->verdicts.size(), before_.verdicts.size());
    size_t passes = ParseAgentVerdicts(*ReadFile(victim_.log)).size();
    auto now = Cli(replica_, {"attest-now", "--vm", kVictimVm});
    EXPECT_EQ(now.exit_code, 0) << now.output;
    EXPECT_TRUE(WaitForVerdicts(victim_, passes + 1, IsPass, 30))
        << ReadFile(victim_.log).value_or("");
    EXPECT_THAT(*ReadFile(victim_.log), Not(HasSubstr("reconnecting")));
    for (const auto& v : ParseAgentVerdicts(*ReadFile(victim_.log))) {
      EXPECT_EQ(v.result, "PASS");
    }
  }

  // The attempt is in the audit trail (with the peer and the claimed EK)
  // and in the metric, by its first reason.
  void ExpectAttemptRecorded(v1::ReasonCode reason) {
    auto audit = Cli(replica_, {"audit", "--json"});
    EXPECT_EQ(audit.exit_code, 0) << audit.output;
    EXPECT_THAT(audit.stdout_text,
                AllOf(HasSubstr("unauthenticated-attempt"),
                      HasSubstr(before_.identity.ek_fingerprint),
                      HasSubstr(v1::ReasonCode_Name(reason))));
    auto scrape = RunCommand(
        {"curl", "-sS",
         absl::StrCat("http://127.0.0.1:", metrics_port_, "/metrics")});
    ASSERT_TRUE(scrape.ok()) << scrape.status();
    EXPECT_THAT(scrape->stdout_text,
                HasSubstr(absl::StrCat(
                    "vtpm_attest_unauthenticated_attempts_total{reason=\"",
                    v1::ReasonCode_Name(reason), "\"} 1")));
  }

  std::string db_;
  int metrics_port_ = 0;
  Replica replica_;
  Agent victim_;
  VictimState before_;
};

// The attacker replays the victim's public Hello (its enrolled AK, so the
// verifier asks for a quote at once), in daemon mode, with its own
// hostname and labels. While it holds its quote request open the victim
// is challenged and passes (nonces belong to streams); then the
// attacker's own TPM answers and fails.
TEST_F(SessionAttackTest, ReplayedPublicHelloChangesNothingOfTheVictim) {
  auto attacker = MakeAttestor(*tpm_);
  ASSERT_NE(attacker, nullptr);
  Tamper t;
  t.hello = [&](v1::Hello* h) {
    ImpersonateIn(before_.identity, h);
    h->mutable_host()->set_hostname("evil");
    (*h->mutable_labels())["owned"] = "yes";
  };
  bool challenged = false;
  auto run =
      RunOn(replica_.port, *attacker, t, v1::Hello::MODE_DAEMON,
            [&](const v1::VerifierMessage& m) {
              if (!m.has_quote_request() || challenged) return;
              challenged = true;
              // The victim's round while the attacker's nonce is outstanding.
              size_t n = ParseAgentVerdicts(*ReadFile(victim_.log)).size();
              auto now = Cli(replica_, {"attest-now", "--vm", kVictimVm});
              EXPECT_EQ(now.exit_code, 0) << now.output;
              EXPECT_TRUE(WaitForVerdicts(victim_, n + 1, IsPass, 30));
            });
  EXPECT_TRUE(challenged) << "the verifier did not ask for a quote";
  ASSERT_TRUE(run.verdict.has_value()) << run.status.error_message();
  EXPECT_EQ(run.verdict->result(), v1::RESULT_FAIL);
  EXPECT_THAT(Codes(*run.verdict), ElementsAre(v1::QUOTE_BAD_SIGNATURE,
                                               v1::UNAUTHENTICATED_ATTEMPT));
  ExpectVictimUntouched();
  ExpectAttemptRecorded(v1::QUOTE_BAD_SIGNATURE);
}

// With an AK the victim never enrolled, the verifier challenges the
// victim's EK: only the victim's TPM could answer.
TEST_F(SessionAttackTest, VictimsEkWithAnotherAkCannotActivate) {
  auto attacker = MakeAttestor(*tpm_);
  ASSERT_NE(attacker, nullptr);
  Tamper t;
  t.hello = [&](v1::Hello* h) {
    // Its own AK (a real one, so it passes the AK checks), the victim's EK.
    *h->mutable_ek() = ReplayedEk(before_.identity);
    h->mutable_host()->set_vm_uuid(kVictimVm);
    h->mutable_host()->set_hostname("evil");
  };
  auto run = RunOn(replica_.port, *attacker, t, v1::Hello::MODE_DAEMON);
  ASSERT_TRUE(run.verdict.has_value()) << run.status.error_message();
  EXPECT_EQ(run.verdict->result(), v1::RESULT_FAIL);
  EXPECT_THAT(Codes(*run.verdict),
              ElementsAre(v1::ACTIVATION_FAILED, v1::UNAUTHENTICATED_ATTEMPT));
  ExpectVictimUntouched();
  ExpectAttemptRecorded(v1::ACTIVATION_FAILED);
}

// The victim's EK under a third VM's UUID would be EK_VM_UUID_CHANGED on
// the victim's record, and its UUID with a garbage quote a FAIL under its
// EK: unproven, neither is raised nor recorded.
TEST_F(SessionAttackTest, IdentityFindingsNeedProofOfPossession) {
  auto attacker = MakeAttestor(*tpm_);
  ASSERT_NE(attacker, nullptr);
  Tamper t;
  t.hello = [&](v1::Hello* h) {
    ImpersonateIn(before_.identity, h);
    h->mutable_host()->set_vm_uuid(kThirdVm);
  };
  t.to_verifier = [](v1::AgentMessage* m) {
    if (m->has_quote_response()) m->mutable_quote_response()->set_signature("");
  };
  auto run = RunOn(replica_.port, *attacker, t, v1::Hello::MODE_ONCE);
  ASSERT_TRUE(run.verdict.has_value()) << run.status.error_message();
  EXPECT_EQ(run.verdict->result(), v1::RESULT_FAIL);
  EXPECT_THAT(Codes(*run.verdict),
              Not(::testing::Contains(v1::EK_VM_UUID_CHANGED)));
  EXPECT_THAT(Codes(*run.verdict),
              ::testing::Contains(v1::UNAUTHENTICATED_ATTEMPT));
  ExpectVictimUntouched();
  auto third = ReadVictim(db_, kThirdVm);
  EXPECT_FALSE(third.ok()) << "an identity was recorded for the third VM";
}

// A proven newcomer claiming the victim's VM UUID (root in another VM with
// a genuine vTPM of its own) gets EK_CHANGED on its own record, which
// stays PENDING; the victim's record does not change.
TEST_F(SessionAttackTest, ProvenNewcomerWithTheVictimsUuidFailsOnItsOwnRecord) {
  auto attacker = MakeAttestor(*tpm_);
  ASSERT_NE(attacker, nullptr);
  Tamper t;
  t.hello = [&](v1::Hello* h) { h->mutable_host()->set_vm_uuid(kVictimVm); };
  auto run = RunOn(replica_.port, *attacker, t, v1::Hello::MODE_ONCE);
  ASSERT_TRUE(run.verdict.has_value()) << run.status.error_message();
  EXPECT_THAT(Codes(*run.verdict), ElementsAre(v1::EK_CHANGED));
  ExpectVictimUntouched();
  auto store = verifier::OpenStore(db_);
  ASSERT_TRUE(store.ok());
  auto newcomer =
      (*store)->GetIdentity(run.verdict->identity().ek_fingerprint());
  ASSERT_TRUE(newcomer.ok() && newcomer->has_value());
  EXPECT_EQ((*newcomer)->enrollment, v1::ENROLLMENT_PENDING);
  EXPECT_EQ((*newcomer)->status, v1::RESULT_FAIL);
}

}  // namespace
}  // namespace vtpm::testing
