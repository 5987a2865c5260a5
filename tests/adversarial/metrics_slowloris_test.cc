// Slowloris against the shipped vtpm-attest-verifier binary's metrics port
// (--metrics-listen): an attacker on 127.0.0.2 opens more connections than
// the server's global cap and sends request heads slowly or never finishes
// them, while Prometheus-style probes from 127.0.0.1 must keep being
// answered within a second. Real process, real sockets, the binary's own
// default limits (header deadline 5 s, 8 connections per client, 64 in
// all).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/metrics/slow_client.h"

namespace vtpm::testing {
namespace {

class MetricsSlowlorisTest : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    if (HasFatalFailure()) return;
    metrics_port_ = FreeLoopbackPort();
    auto v = StartVerifierBinary(
        "verifier", dir_.Sub("verifier.db"), 0,
        {"--metrics-listen", absl::StrCat("127.0.0.1:", metrics_port_)});
    ASSERT_TRUE(v.ok()) << v.status();
    verifier_bin_ = *v;
    // The metrics endpoint may come up a moment after the gRPC port.
    absl::StatusOr<RawResponse> r;
    for (int i = 0; i < 100; ++i) {
      r = GetFrom("127.0.0.1", "127.0.0.1", metrics_port_, "/healthz",
                  absl::Seconds(1));
      if (r.ok()) break;
      absl::SleepFor(absl::Milliseconds(50));
    }
    ASSERT_TRUE(r.ok()) << r.status() << "\n"
                        << ReadFile(verifier_bin_.log).value_or("");
    ASSERT_EQ(r->status, 200);
  }
  void TearDown() override {
    if (verifier_bin_.pid > 0) StopProcess(verifier_bin_.pid);
    E2eTest::TearDown();
  }

  // GET `path` from 127.0.0.1, each on a new connection; true when every
  // answer was 200 within a second. Tracks the worst latency.
  bool ProbeFor(const std::string& path, absl::Duration how_long,
                absl::Duration* worst, int* probes) {
    bool ok = true;
    const absl::Time end = absl::Now() + how_long;
    while (absl::Now() < end) {
      auto r = GetFrom("127.0.0.1", "127.0.0.1", metrics_port_, path,
                       absl::Seconds(1));
      ++*probes;
      if (!r.ok() || r->status != 200 || r->latency >= absl::Seconds(1)) {
        ADD_FAILURE() << path << ": "
                      << (r.ok()
                              ? absl::StrCat("status ", r->status, " in ",
                                             absl::FormatDuration(r->latency))
                              : r.status().ToString());
        ok = false;
      } else {
        *worst = std::max(*worst, r->latency);
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    return ok;
  }

  int metrics_port_ = 0;
  VerifierBinary verifier_bin_;
};

TEST_F(MetricsSlowlorisTest, ProbesStayAnsweredUnderSlowloris) {
  // 96 connections (1.5x the global cap) from 127.0.0.2, half trickling.
  SlowlorisOptions o;
  o.port = metrics_port_;
  o.sources = {"127.0.0.2"};
  o.connections_per_source = 96;
  auto attack = Slowloris::Start(o);
  ASSERT_TRUE(attack.ok()) << attack.status();
  absl::SleepFor(absl::Milliseconds(300));

  absl::Duration worst;
  int probes = 0;
  // Longer than the header deadline (5 s).
  ProbeFor("/healthz", absl::Seconds(7), &worst, &probes);
  ProbeFor("/metrics", absl::Seconds(1), &worst, &probes);
  SlowlorisReport r = (*attack)->Stop();
  std::cout << "verifier binary under slowloris: " << probes
            << " probes from 127.0.0.1, worst latency "
            << absl::FormatDuration(worst) << "; attacker opened " << r.opened
            << " connections from 127.0.0.2, longest lived "
            << absl::FormatDuration(std::max(Longest(r.trickle_lifetimes),
                                             Longest(r.silent_lifetimes)))
            << "\n";
  RecordProperty("healthz_worst_latency_ms",
                 std::to_string(absl::ToInt64Milliseconds(worst)));
  EXPECT_LT(worst, absl::Seconds(1));
  EXPECT_GE(r.opened, 96);
  EXPECT_EQ(r.answered, 0);
  // No attacker connection outlived the header deadline.
  EXPECT_LE(Longest(r.trickle_lifetimes), absl::Milliseconds(6500));
  EXPECT_LE(Longest(r.silent_lifetimes), absl::Milliseconds(6500));
  EXPECT_LE(r.longest_open_at_stop, absl::Milliseconds(6500));
  EXPECT_EQ(::kill(verifier_bin_.pid, 0), 0) << "the verifier died";
}

TEST_F(MetricsSlowlorisTest, EightPerAddressAndHeldHeadsCutAtTheDeadline) {
  // Eight held heads from 127.0.0.3, half trickling a byte a second.
  SlowlorisOptions o;
  o.port = metrics_port_;
  o.sources = {"127.0.0.3"};
  o.connections_per_source = 8;
  o.reconnect_delay = absl::Seconds(60);  // each is opened once
  const absl::Time start = absl::Now();
  auto attack = Slowloris::Start(o);
  ASSERT_TRUE(attack.ok()) << attack.status();
  absl::SleepFor(absl::Milliseconds(300));
  // A 9th from the same address gets no 9th place: it displaces the one
  // of that address waiting longest.
  auto ninth = ConnectFrom("127.0.0.3", "127.0.0.1", metrics_port_);
  ASSERT_TRUE(ninth.ok()) << ninth.status();
  SendAll(*ninth, "GET /metrics HTTP/1.1\r\n");
  EXPECT_FALSE(ClosedWithin(*ninth, absl::Milliseconds(300)));
  // Meanwhile a scrape from another address works, keep-alive included.
  auto fd = ConnectFrom("127.0.0.1", "127.0.0.1", metrics_port_);
  ASSERT_TRUE(fd.ok()) << fd.status();
  for (int i = 0; i < 5; ++i) {
    auto r = Exchange(*fd, i % 2 ? "/healthz" : "/metrics", absl::Seconds(1));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(r->keep_alive);
    if (i % 2 == 0) {
      EXPECT_TRUE(absl::StrContains(r->body, "# TYPE"));
    }
  }
  ::close(*fd);
  // The held heads are cut by the header deadline, 5 s after their accept.
  EXPECT_TRUE(ClosedWithin(*ninth, absl::Milliseconds(6500)));
  ::close(*ninth);
  absl::SleepFor(start + absl::Milliseconds(6500) - absl::Now());
  SlowlorisReport r = (*attack)->Stop();
  EXPECT_EQ(r.opened, 8);
  EXPECT_EQ(r.open_at_stop, 0);
  std::vector<absl::Duration> all = r.trickle_lifetimes;
  all.insert(all.end(), r.silent_lifetimes.begin(), r.silent_lifetimes.end());
  ASSERT_EQ(all.size(), 8u);
  // One was displaced by the 9th at once; seven ran to the deadline.
  EXPECT_EQ(CountAtLeast(all, absl::Milliseconds(4500)), 7);
  EXPECT_LE(Longest(all), absl::Milliseconds(6000));
  EXPECT_GE(r.max_trickled_bytes, 4);
}

}  // namespace
}  // namespace vtpm::testing
