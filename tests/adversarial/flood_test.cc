// A flood from one peer address against the shipped verifier binary:
// oversized Hellos (unknown fields, a huge certificate), replayed public
// Hellos held open without answering, small garbage, at full speed from 8
// connections. The database does not grow beyond the rate-limited audit
// entries, the verifier's memory stays bounded, and agents from other
// addresses (over IPv6 loopback) keep being served, new ones included.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/adversarial/attack_util.h"
#include "tests/fleet/fleet_fixture.h"
#include "vtpm_attest/v1/attest.grpc.pb.h"

namespace vtpm::testing {
namespace {

namespace v1 = vtpm_attest::v1;

constexpr char kVictimVm[] = "f100d000-0000-4000-8000-00000000000a";
constexpr char kNewVm[] = "f100d000-0000-4000-8000-00000000000b";

// kB of a "VmRSS:" or "VmHWM:" line of /proc/PID/status.
int64_t ProcStatusKb(pid_t pid, const std::string& key) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (!absl::StartsWith(line, key)) continue;
    int64_t kb = 0;
    std::string digits;
    for (char c : line) {
      if (c >= '0' && c <= '9') digits.push_back(c);
    }
    if (absl::SimpleAtoi(digits, &kb)) return kb;
  }
  return -1;
}

int64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

class FloodTest : public FleetTest {};

TEST_F(FloodTest, OnePeersFloodStaysBoundedAndOthersAreServed) {
  WritePolicy(R"json({"name": "default", "quoteIntervalSeconds": 2})json");
  const std::string db = dir_.Sub("verifier.db");
  // Dual stack: the flood comes over IPv4, the agents over IPv6, so they
  // are different peers (as different hosts would be).
  Replica r = StartReplica("replica", db, {"--listen", "[::]:0"});
  ASSERT_GT(r.port, 0);
  const std::string ipv6 = absl::StrCat("[::1]:", r.port);
  Agent victim = StartAgent("victim", kVictimVm, ipv6, /*own_tpm=*/true);
  auto pass = [](const PrintedVerdict& v) { return v.result == "PASS"; };
  ASSERT_TRUE(WaitForVerdicts(victim, 2, pass, 60))
      << ReadFile(victim.log).value_or("");
  auto known = ReadVictim(db, kVictimVm);
  ASSERT_TRUE(known.ok()) << known.status();

  const int64_t db_before = FileSize(db) + FileSize(db + "-wal");
  const int64_t rss_before = ProcStatusKb(r.pid, "VmRSS:");
  ASSERT_GT(rss_before, 0);

  // The attacker's messages.
  v1::AgentMessage unknown_fields;
  {
    auto* h = unknown_fields.mutable_hello();
    h->GetReflection()->MutableUnknownFields(h)->AddLengthDelimited(
        999, std::string(3 << 20, 'u'));
  }
  v1::AgentMessage huge_cert;
  huge_cert.mutable_hello()->mutable_ek()->set_certificate(
      std::string(3 << 20, '\x30'));
  v1::AgentMessage replayed;  // the victim's public Hello, never answered
  ImpersonateIn(known->identity, replayed.mutable_hello());
  replayed.mutable_hello()->set_mode(v1::Hello::MODE_DAEMON);
  v1::AgentMessage garbage;
  garbage.mutable_hello()->mutable_ek()->set_public_area("\x00\x01junk");

  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = *ReadFile(tls_.ca_cert);
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::map<std::string, int> outcomes;  // first reason code, or gRPC status
  std::atomic<int> streams{0};
  auto record = [&](const std::string& outcome) {
    ++streams;
    std::lock_guard<std::mutex> lock(mu);
    ++outcomes[outcome];
  };
  // Reads what the verifier says on `stream` until its first verdict (or a
  // quote request, which is never answered) and ends the stream.
  auto finish = [&](grpc::ClientContext& ctx,
                    grpc::ClientReaderWriter<v1::AgentMessage,
                                             v1::VerifierMessage>& stream) {
    v1::VerifierMessage in;
    std::string outcome = "no verdict";
    while (stream.Read(&in)) {
      if (in.has_verdict()) {
        outcome = in.verdict().reasons_size() > 0
                      ? v1::ReasonCode_Name(in.verdict().reasons(0).code())
                      : "PASS";
        break;
      }
      if (in.has_quote_request()) {
        outcome = "held (quote request)";
        break;
      }
    }
    ctx.TryCancel();
    grpc::Status st = stream.Finish();
    if (outcome == "no verdict")
      outcome = absl::StrCat("grpc ", st.error_code());
    record(outcome);
  };
  auto new_stub = [&] {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // own connection
    args.SetMaxSendMessageSize(8 << 20);
    return v1::AgentService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", r.port), grpc::SslCredentials(ssl), args));
  };
  std::vector<std::thread> flood;
  // Heavy senders: 3 MiB Hellos, one after the other, on 4 connections.
  for (int t = 0; t < 4; ++t) {
    flood.emplace_back([&, t] {
      auto stub = new_stub();
      for (int i = 0; !stop; ++i) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
        auto stream = stub->Attest(&ctx);
        stream->Write((i + t) % 2 ? unknown_fields : huge_cert);
        finish(ctx, *stream);
      }
    });
  }
  // Holders: batches of 12 streams open at once on one connection (the
  // per-connection cap is 16), replayed or garbage Hellos, never answered.
  for (int t = 0; t < 4; ++t) {
    flood.emplace_back([&, t] {
      auto stub = new_stub();
      while (!stop) {
        std::vector<std::unique_ptr<grpc::ClientContext>> ctxs;
        std::vector<std::unique_ptr<
            grpc::ClientReaderWriter<v1::AgentMessage, v1::VerifierMessage>>>
            held;
        for (int i = 0; i < 12; ++i) {
          ctxs.push_back(std::make_unique<grpc::ClientContext>());
          ctxs.back()->set_deadline(std::chrono::system_clock::now() +
                                    std::chrono::seconds(5));
          held.push_back(stub->Attest(ctxs.back().get()));
          held.back()->Write(i % 3 == 2 ? garbage : replayed);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        for (size_t i = 0; i < held.size(); ++i) finish(*ctxs[i], *held[i]);
      }
    });
  }

  // Meanwhile the victim keeps passing, and a new VM enrolls (credential
  // activation, a new stream from another address) and passes.
  size_t n = ParseAgentVerdicts(*ReadFile(victim.log)).size();
  EXPECT_TRUE(WaitForVerdicts(victim, n + 3, pass, 60))
      << ReadFile(victim.log).value_or("");
  Agent newcomer = StartAgent("newcomer", kNewVm, ipv6, /*own_tpm=*/true);
  EXPECT_TRUE(WaitForVerdicts(newcomer, 1, pass, 60))
      << ReadFile(newcomer.log).value_or("");
  int64_t rss_peak = 0;
  for (int i = 0; i < 10; ++i) {
    rss_peak = std::max(rss_peak, ProcStatusKb(r.pid, "VmRSS:"));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  stop = true;
  for (auto& th : flood) th.join();
  const int64_t hwm = ProcStatusKb(r.pid, "VmHWM:");
  const int64_t db_after = FileSize(db) + FileSize(db + "-wal");

  std::string summary;
  for (const auto& [k, v] : outcomes) absl::StrAppend(&summary, k, "=", v, " ");
  std::printf(
      "flood: %d streams from one address: %s\n"
      "verifier RSS %lld kB before, %lld kB peak sampled, VmHWM %lld kB; "
      "database %lld -> %lld bytes\n",
      streams.load(), summary.c_str(), static_cast<long long>(rss_before),
      static_cast<long long>(rss_peak), static_cast<long long>(hwm),
      static_cast<long long>(db_before), static_cast<long long>(db_after));
  EXPECT_GT(streams.load(), 100);
  for (const auto& [k, v] : outcomes) {
    EXPECT_NE(k, "PASS");
  }
  EXPECT_GT(outcomes["RATE_LIMITED"], 0) << summary;
  // Memory: the flood costs at most what 16 unproven streams of one peer
  // may hold at once (each message read whole), not what it sends.
  EXPECT_LT(hwm - rss_before, 400 * 1024) << summary;
  // Storage: no verdict, identity or evidence for any attempt; only the
  // victims' and the newcomer's own verdicts and a rate-limited audit.
  auto store = verifier::OpenStore(db);
  ASSERT_TRUE(store.ok());
  auto audit = (*store)->ListAudit(100000);
  ASSERT_TRUE(audit.ok());
  int attempts = 0;
  for (const auto& a : *audit) {
    if (a.action == "unauthenticated-attempt") ++attempts;
  }
  EXPECT_GT(attempts, 0);
  EXPECT_LE(attempts, 30) << "audit entries are not rate-limited";
  verifier::VerdictQuery all;
  all.limit = 100000;
  auto verdicts = (*store)->QueryVerdicts(all);
  ASSERT_TRUE(verdicts.ok());
  for (const auto& v : *verdicts) {
    EXPECT_EQ(v.result(), v1::RESULT_PASS) << v.DebugString();
  }
  auto failed =
      RunCommand({"sqlite3", db, "SELECT count(*) FROM failed_evidence"});
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->stdout_text, "0\n");
  EXPECT_LT(db_after - db_before, 2 << 20);
  auto victim_after = ReadVictim(db, kVictimVm, known->identity.ek_fingerprint);
  ASSERT_TRUE(victim_after.ok());
  ExpectSameIdentity(known->identity, victim_after->identity);
}

}  // namespace
}  // namespace vtpm::testing
