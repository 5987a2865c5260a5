// Continuous attestation with a real daemon agent (agent::RunDaemon over a
// real TLS stream) and a real swtpm: rounds at the policy's interval,
// attest-now from the request queue, STALE when evidence stops, and
// shutdown that hands agents back to their reconnect loop.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/client.h"
#include "tests/e2e/e2e_fixture.h"

namespace vtpm::testing {
namespace {

using ::testing::Contains;
namespace v1 = vtpm_attest::v1;

constexpr char kVm[] = "5c0b1a52-0000-4000-8000-0000000000c1";

std::string PolicyWithInterval(int seconds) {
  return absl::StrCat(R"json({"name": "default", "quoteIntervalSeconds": )json",
                      seconds, "}");
}

// A daemon agent on its own thread, recording the verdicts it receives.
class DaemonAgent {
 public:
  DaemonAgent(agent::Attestor* attestor, agent::ClientOptions options)
      : thread_([this, attestor, options] {
          agent::RunDaemon(*attestor, options, stop_,
                           [this](const v1::Verdict& v) {
                             std::lock_guard<std::mutex> lock(mu_);
                             verdicts_.push_back(v);
                           });
        }) {}
  ~DaemonAgent() { Stop(); }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  std::vector<v1::Verdict> verdicts() {
    std::lock_guard<std::mutex> lock(mu_);
    return verdicts_;
  }

  // Waits until at least `n` verdicts arrived; false on timeout.
  bool WaitFor(size_t n, absl::Duration timeout) {
    absl::Time end = absl::Now() + timeout;
    while (absl::Now() < end) {
      if (verdicts().size() >= n) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<v1::Verdict> verdicts_;
  std::thread thread_;
};

class ContinuousTest : public E2eTest {
 protected:
  agent::ClientOptions Client() {
    agent::ClientOptions o;
    o.verifier = absl::StrCat("localhost:", verifier_->port());
    o.ca_cert = tls_.ca_cert;
    return o;
  }
  verifier::Store& store() { return verifier_->service().store(); }
};

TEST_F(ContinuousTest, VerifierChallengesAtThePolicyInterval) {
  SetVmUuid(kVm);
  WritePolicy(PolicyWithInterval(1));
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  absl::Time start = absl::Now();
  DaemonAgent daemon(a.get(), Client());
  ASSERT_TRUE(daemon.WaitFor(4, absl::Seconds(20)));
  absl::Duration took = absl::Now() - start;
  daemon.Stop();
  auto verdicts = daemon.verdicts();
  for (const auto& v : verdicts) {
    EXPECT_EQ(v.result(), v1::RESULT_PASS) << v.DebugString();
  }
  // Three intervals of 1 s +-10% after the first verdict.
  EXPECT_GE(took, absl::Milliseconds(2500));
  // Every round is a new verdict with its own id, stored.
  EXPECT_NE(verdicts[0].verdict_id(), verdicts[1].verdict_id());
  verifier::VerdictQuery q;
  q.ek_fingerprint = verdicts[0].identity().ek_fingerprint();
  q.limit = 100;
  auto stored = store().QueryVerdicts(q);
  ASSERT_TRUE(stored.ok());
  EXPECT_GE(stored->size(), verdicts.size());
  // The identity is due again within two intervals plus grace.
  auto id = store().GetIdentity(q.ek_fingerprint);
  ASSERT_TRUE(id.ok() && id->has_value());
  EXPECT_GT((*id)->next_due_unix, absl::ToUnixSeconds(start));
  EXPECT_EQ((*id)->status, v1::RESULT_PASS);
}

TEST_F(ContinuousTest, AttestNowRequestStartsARoundAtOnce) {
  SetVmUuid(kVm);
  WritePolicy(PolicyWithInterval(3600));
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  DaemonAgent daemon(a.get(), Client());
  ASSERT_TRUE(daemon.WaitFor(1, absl::Seconds(20)));
  const std::string fp = daemon.verdicts()[0].identity().ek_fingerprint();
  // Without a request nothing happens for an hour.
  absl::SleepFor(absl::Milliseconds(1500));
  EXPECT_EQ(daemon.verdicts().size(), 1u);
  ASSERT_TRUE(
      store().RequestAttestation(fp, absl::ToUnixSeconds(absl::Now())).ok());
  EXPECT_TRUE(daemon.WaitFor(2, absl::Seconds(10)));
  EXPECT_EQ(verifier_->streams().agents(), 1u);
}

TEST_F(ContinuousTest, SilentAgentBecomesStale) {
  SetVmUuid(kVm);
  WritePolicy(PolicyWithInterval(1));
  StartVerifier([](verifier::VerifierConfig* c) {
    c->service.stale_grace = std::chrono::seconds(1);
  });
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  auto daemon = std::make_unique<DaemonAgent>(a.get(), Client());
  ASSERT_TRUE(daemon->WaitFor(1, absl::Seconds(20)));
  const std::string fp = daemon->verdicts()[0].identity().ek_fingerprint();
  daemon.reset();  // the agent goes away

  // Due two intervals plus grace (3 s) after its last verdict.
  absl::Time end = absl::Now() + absl::Seconds(15);
  std::optional<verifier::IdentityRecord> id;
  while (absl::Now() < end) {
    auto r = store().GetIdentity(fp);
    ASSERT_TRUE(r.ok());
    id = *r;
    if (id.has_value() && id->status == v1::RESULT_STALE) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->status, v1::RESULT_STALE);
  verifier::VerdictQuery q;
  q.ek_fingerprint = fp;
  q.result = v1::RESULT_STALE;
  auto stale = store().QueryVerdicts(q);
  ASSERT_TRUE(stale.ok());
  ASSERT_EQ(stale->size(), 1u);
  std::vector<int> codes;
  for (const auto& r : (*stale)[0].reasons()) codes.push_back(r.code());
  EXPECT_THAT(codes, Contains(v1::EVIDENCE_OVERDUE));

  // It comes back: the next verdict replaces STALE.
  DaemonAgent again(a.get(), Client());
  ASSERT_TRUE(again.WaitFor(1, absl::Seconds(20)));
  auto r = store().GetIdentity(fp);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->status, v1::RESULT_PASS);
}

TEST_F(ContinuousTest, ShutdownEndsStreamsSoAgentsReconnect) {
  SetVmUuid(kVm);
  WritePolicy(PolicyWithInterval(3600));
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  DaemonAgent daemon(a.get(), Client());
  ASSERT_TRUE(daemon.WaitFor(1, absl::Seconds(20)));
  absl::Time start = absl::Now();
  verifier_->Shutdown();
  // An idle stream does not hold the shutdown up.
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

}  // namespace
}  // namespace vtpm::testing
