// Fault tests with the shipped binaries: two verifier replicas on one real
// PostgreSQL server, a replica killed mid-stream, PostgreSQL restarted
// under load, a silent agent turning STALE (with webhooks and metrics),
// and `vtpm-attest wait` as a CI gate.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/fleet/fleet_fixture.h"
#include "tests/harness/postgres.h"
#include "verifier/metrics/http_server.h"
#include "verifier/notify/webhook_signature.h"
#include "verifier/store/store.h"

namespace vtpm::testing {
namespace {

using ::testing::HasSubstr;
namespace v1 = vtpm_attest::v1;

constexpr char kVmA[] = "7a1c0000-0000-4000-8000-00000000000a";
constexpr char kVmB[] = "7a1c0000-0000-4000-8000-00000000000b";

std::string IntervalPolicy(int seconds) {
  return absl::StrCat(R"json({"name": "default", "quoteIntervalSeconds": )json",
                      seconds, "}");
}

// Every verdict id the agent printed as PASS is stored, under its EK.
void ExpectPassVerdictsStored(const std::string& db_url,
                              const std::string& agent_log) {
  auto store = verifier::OpenStore(db_url);
  ASSERT_TRUE(store.ok()) << store.status();
  verifier::VerdictQuery q;
  q.limit = 100000;
  auto stored = (*store)->QueryVerdicts(q);
  ASSERT_TRUE(stored.ok()) << stored.status();
  std::set<std::string> ids;
  for (const auto& v : *stored) ids.insert(v.verdict_id());
  int checked = 0;
  for (const auto& v : ParseAgentVerdicts(*ReadFile(agent_log))) {
    if (v.result != "PASS") continue;
    EXPECT_TRUE(ids.count(v.verdict_id))
        << "verdict " << v.verdict_id << " from " << v.replica
        << " was delivered but not stored";
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

class ReplicasTest : public FleetTest {};

TEST_F(ReplicasTest, KilledReplicaHandsItsAgentsToTheOther) {
  auto db = SharedPostgresDatabase();
  ASSERT_TRUE(db.ok()) << db.status();
  WritePolicy(IntervalPolicy(1));
  Replica a = StartReplica("replica-a", *db);
  Replica b = StartReplica("replica-b", *db);
  ASSERT_GT(a.port, 0);
  ASSERT_GT(b.port, 0);
  Agent agent = StartAgent(
      "agent", kVmA, absl::StrCat("localhost:", a.port, ",localhost:", b.port),
      /*own_tpm=*/false);
  auto from = [](const std::string& replica) {
    return [replica](const PrintedVerdict& v) {
      return v.result == "PASS" && v.replica == replica;
    };
  };
  ASSERT_TRUE(WaitForVerdicts(agent, 2, from("replica-a"), 60))
      << ReadFile(agent.log).value_or("");

  // Replica A dies mid-stream; the agent carries on with B, enrolled
  // already (no new credential activation is needed: B reads the shared
  // store).
  KillReplica(a);
  ASSERT_TRUE(WaitForVerdicts(agent, 2, from("replica-b"), 60))
      << ReadFile(agent.log).value_or("");
  for (const auto& v : ParseAgentVerdicts(*ReadFile(agent.log))) {
    EXPECT_EQ(v.result, "PASS");
  }
  ExpectPassVerdictsStored(*db, agent.log);

  // Any replica shows the whole fleet: B lists A's verdicts too.
  auto list = Cli(b, {"agents", "list", "--json"});
  EXPECT_EQ(list.exit_code, 0) << list.output;
  EXPECT_THAT(list.stdout_text, HasSubstr(kVmA));
  auto history = Cli(b, {"history", "--vm", kVmA, "--limit", "100"});
  EXPECT_EQ(history.exit_code, 0) << history.output;
  EXPECT_THAT(history.stdout_text, HasSubstr("replica-a"));
  EXPECT_THAT(history.stdout_text, HasSubstr("replica-b"));
}

TEST_F(ReplicasTest, PostgresRestartUnderLoadLosesNoVerdict) {
  auto pg = PostgresServer::Create();
  ASSERT_TRUE(pg.ok()) << pg.status();
  auto db = (*pg)->CreateDatabase("fleet");
  ASSERT_TRUE(db.ok()) << db.status();
  WritePolicy(IntervalPolicy(1));
  Replica r = StartReplica("replica", *db);
  ASSERT_GT(r.port, 0);
  std::string endpoint = absl::StrCat("localhost:", r.port);
  Agent a1 = StartAgent("agent1", kVmA, endpoint, /*own_tpm=*/false);
  Agent a2 = StartAgent("agent2", kVmB, endpoint, /*own_tpm=*/true);
  auto pass = [](const PrintedVerdict& v) { return v.result == "PASS"; };
  ASSERT_TRUE(WaitForVerdicts(a1, 2, pass, 60));
  ASSERT_TRUE(WaitForVerdicts(a2, 2, pass, 60));

  ASSERT_TRUE((*pg)->Stop().ok());
  std::this_thread::sleep_for(std::chrono::seconds(3));
  ASSERT_TRUE((*pg)->Start().ok());
  size_t before1 = ParseAgentVerdicts(*ReadFile(a1.log)).size();
  size_t before2 = ParseAgentVerdicts(*ReadFile(a2.log)).size();

  // Both agents get PASS verdicts again; the verifier never went down.
  auto pass_after = [](size_t n) {
    return [n, count = size_t{0}](const PrintedVerdict& v) mutable {
      return ++count > n && v.result == "PASS";
    };
  };
  EXPECT_TRUE(WaitForVerdicts(a1, 2, pass_after(before1), 60))
      << ReadFile(r.log).value_or("");
  EXPECT_TRUE(WaitForVerdicts(a2, 2, pass_after(before2), 60));
  EXPECT_EQ(kill(r.pid, 0), 0) << "the verifier died";
  // While the database was down no verdict was delivered as PASS without
  // being stored.
  ExpectPassVerdictsStored(*db, a1.log);
  ExpectPassVerdictsStored(*db, a2.log);
}

TEST_F(ReplicasTest, SilentAgentTurnsStaleWithWebhooksAndMetrics) {
  // A webhook receiver that checks signatures.
  std::mutex mu;
  std::vector<std::string> kinds;
  int bad_signatures = 0;
  const std::string secret = "webhook-secret";
  ASSERT_TRUE(WriteFile(dir_.Sub("webhook.secret"), secret).ok());
  auto receiver = metrics::HttpServer::Start(
      "127.0.0.1:0", [&](const metrics::HttpRequest& req) {
        std::lock_guard<std::mutex> lock(mu);
        if (!notify::VerifyWebhookSignature(
                secret, req.Header("X-Vtpm-Attest-Timestamp"), req.body,
                req.Header("X-Vtpm-Attest-Signature"))) {
          ++bad_signatures;
        }
        for (const char* k : {"FAIL", "STALE", "RECOVERED"}) {
          if (absl::StrContains(req.body,
                                absl::StrCat("\"kind\":\"", k, "\""))) {
            kinds.push_back(k);
          }
        }
        return metrics::HttpResponse{};
      });
  ASSERT_TRUE(receiver.ok()) << receiver.status();

  WritePolicy(IntervalPolicy(1));
  int metrics_port = FreePort();
  Replica r = StartReplica(
      "replica", dir_.Sub("verifier.db"),
      {"--stale-grace", "1", "--webhook-url",
       absl::StrCat("http://", (*receiver)->address(), "/hook"),
       "--webhook-secret-file", dir_.Sub("webhook.secret"), "--metrics-listen",
       absl::StrCat("127.0.0.1:", metrics_port)});
  ASSERT_GT(r.port, 0);
  Agent agent =
      StartAgent("agent", kVmA, absl::StrCat("localhost:", r.port), false);
  auto pass = [](const PrintedVerdict& v) { return v.result == "PASS"; };
  ASSERT_TRUE(WaitForVerdicts(agent, 1, pass, 60));

  // The agent stops answering (its stream stays open).
  ASSERT_EQ(kill(agent.pid, SIGSTOP), 0);
  bool stale = false;
  for (int i = 0; i < 100 && !stale; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto show = Cli(r, {"agents", "show", "--vm", kVmA, "--json"});
    stale = absl::StrContains(show.stdout_text, "RESULT_STALE");
  }
  EXPECT_TRUE(stale);
  auto history = Cli(r, {"history", "--vm", kVmA, "--result", "stale"});
  EXPECT_THAT(history.stdout_text, HasSubstr("EVIDENCE_OVERDUE"));

  // It answers again: PASS, and the webhook says RECOVERED.
  ASSERT_EQ(kill(agent.pid, SIGCONT), 0);
  size_t before = ParseAgentVerdicts(*ReadFile(agent.log)).size();
  auto later = [before, count = size_t{0}](const PrintedVerdict& v) mutable {
    return ++count > before && v.result == "PASS";
  };
  EXPECT_TRUE(WaitForVerdicts(agent, 1, later, 60));
  for (int i = 0; i < 50; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (kinds.size() >= 2) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_THAT(kinds, ::testing::ElementsAre("STALE", "RECOVERED"));
    EXPECT_EQ(bad_signatures, 0);
  }

  // Prometheus sees the attestations and the stale transition.
  auto scrape =
      RunCommand({"curl", "-sf",
                  absl::StrCat("http://127.0.0.1:", metrics_port, "/metrics")});
  ASSERT_TRUE(scrape.ok());
  EXPECT_THAT(scrape->stdout_text,
              HasSubstr("vtpm_attest_attestations_total{result=\"pass\","
                        "reason=\"none\"}"));
  EXPECT_THAT(scrape->stdout_text,
              HasSubstr("vtpm_attest_stale_transitions_total 1"));
  EXPECT_THAT(scrape->stdout_text, HasSubstr("vtpm_attest_connected_agents 1"));
}

TEST_F(ReplicasTest, WaitIsACiGateOnARealAttestation) {
  SetVmUuid(kVmA);
  Replica r = StartReplica("replica", dir_.Sub("verifier.db"));
  ASSERT_GT(r.port, 0);
  // The pipeline starts waiting, then the VM boots and attests once.
  std::vector<std::string> wait = {BinaryPath("verifier/cli/vtpm-attest"),
                                   "wait",
                                   "--vm",
                                   kVmA,
                                   "--timeout",
                                   "60s",
                                   "--after-now",
                                   "--junit",
                                   dir_.Sub("junit.xml"),
                                   "--verifier",
                                   absl::StrCat("localhost:", r.port),
                                   "--ca-cert",
                                   tls_.ca_cert,
                                   "--token-file",
                                   token_file()};
  std::thread gate_thread;
  absl::StatusOr<CommandResult> gate;
  gate_thread = std::thread([&] { gate = RunCommand(wait); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto once =
      RunCommand({BinaryPath("agent/vtpm-attest-agent"), "attest", "--once",
                  "--config", "/dev/null", "--tcti", tpm_->tcti(),
                  "--state-dir", dir_.Sub("agent-state"), "--verifier",
                  absl::StrCat("localhost:", r.port), "--ca-cert", tls_.ca_cert,
                  "--platform-root", dir_.Sub("guest-root")});
  ASSERT_TRUE(once.ok());
  EXPECT_EQ(once->exit_code, 0) << once->output;
  gate_thread.join();
  ASSERT_TRUE(gate.ok());
  EXPECT_EQ(gate->exit_code, 0) << gate->output;
  EXPECT_THAT(gate->stdout_text, HasSubstr("PASS"));
  auto xml = RunCommand({"python3", "-c",
                         "import sys, xml.dom.minidom as m; "
                         "d = m.parse(sys.argv[1]); "
                         "assert d.getElementsByTagName('testcase'); "
                         "assert not d.getElementsByTagName('failure')",
                         dir_.Sub("junit.xml")});
  ASSERT_TRUE(xml.ok());
  EXPECT_EQ(xml->exit_code, 0) << xml->output;
}

TEST_F(ReplicasTest, OperatorReadsTheRawEvidenceOfAFailure) {
  SetVmUuid(kVmA);
  WritePolicy(R"json({"name": "strict", "allowedTpmModels": ["IFX"]})json");
  Replica r = StartReplica("replica", dir_.Sub("verifier.db"));
  ASSERT_GT(r.port, 0);
  auto once =
      RunCommand({BinaryPath("agent/vtpm-attest-agent"), "attest", "--once",
                  "--config", "/dev/null", "--tcti", tpm_->tcti(),
                  "--state-dir", dir_.Sub("agent-state"), "--verifier",
                  absl::StrCat("localhost:", r.port), "--ca-cert", tls_.ca_cert,
                  "--platform-root", dir_.Sub("guest-root")});
  ASSERT_TRUE(once.ok());
  EXPECT_EQ(once->exit_code, 1) << once->output;
  auto printed = ParseAgentVerdicts(once->stdout_text);
  ASSERT_EQ(printed.size(), 1u) << once->output;
  EXPECT_EQ(printed[0].result, "FAIL");

  auto evidence = Cli(r, {"evidence", "--verdict", printed[0].verdict_id});
  EXPECT_EQ(evidence.exit_code, 0) << evidence.output;
  EXPECT_THAT(evidence.stdout_text, HasSubstr(kVmA));
  EXPECT_THAT(evidence.stdout_text, HasSubstr("quote_response"));
  auto missing = Cli(r, {"evidence", "--verdict", "no-such-verdict"});
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
}

}  // namespace
}  // namespace vtpm::testing
