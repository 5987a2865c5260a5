// The HTTP server's deadlines and connection limits against real attackers
// over real loopback TCP: clients bound to 127.0.0.2 (and other 127/8
// addresses) hold half-sent request heads, some trickling a byte a second,
// while the probes from 127.0.0.1 must still be answered within a second.
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/metrics/slow_client.h"
#include "verifier/metrics/http_server.h"
#include "verifier/metrics/metrics_http_server.h"
#include "verifier/metrics/metrics_registry.h"

namespace vtpm::metrics {
namespace {

using ::vtpm::testing::ClosedWithin;
using ::vtpm::testing::ConnectFrom;
using ::vtpm::testing::CountAtLeast;
using ::vtpm::testing::Exchange;
using ::vtpm::testing::GetFrom;
using ::vtpm::testing::Longest;
using ::vtpm::testing::ReadResponse;
using ::vtpm::testing::SendAll;
using ::vtpm::testing::Slowloris;
using ::vtpm::testing::SlowlorisOptions;
using ::vtpm::testing::SlowlorisReport;

constexpr char kPartialHead[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";

HttpResponse Answer(const HttpRequest& req) {
  HttpResponse r;
  if (req.path == "/big") {
    r.body.assign(16 << 20, 'x');
  } else {
    r.body = "ok " + req.path + "\n";
  }
  return r;
}

std::unique_ptr<HttpServer> StartServer(const HttpServerOptions& o) {
  auto s = HttpServer::Start("127.0.0.1:0", &Answer, o);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

// Connections from `source` that sent a partial head.
std::vector<int> OpenPartial(const std::string& source, int port, int n) {
  std::vector<int> fds;
  for (int i = 0; i < n; ++i) {
    auto fd = ConnectFrom(source, "127.0.0.1", port);
    EXPECT_TRUE(fd.ok()) << fd.status();
    if (!fd.ok()) break;
    EXPECT_TRUE(SendAll(*fd, kPartialHead));
    fds.push_back(*fd);
  }
  return fds;
}

void CloseAll(std::vector<int>& fds) {
  for (int fd : fds) ::close(fd);
  fds.clear();
}

struct ProbeStats {
  int probes = 0;
  int failures = 0;
  absl::Duration worst;
  std::string first_failure;
};

// GET `path` from 127.0.0.1 every 100 ms for `how_long`, each on a new
// connection with a 1 s limit.
ProbeStats Probe(int port, const std::string& path, absl::Duration how_long) {
  ProbeStats s;
  const absl::Time end = absl::Now() + how_long;
  while (absl::Now() < end) {
    auto r = GetFrom("127.0.0.1", "127.0.0.1", port, path, absl::Seconds(1));
    ++s.probes;
    if (!r.ok() || r->status != 200 || r->latency >= absl::Seconds(1)) {
      ++s.failures;
      if (s.first_failure.empty()) {
        s.first_failure = r.ok()
                              ? absl::StrCat("status ", r->status, " after ",
                                             absl::FormatDuration(r->latency))
                              : r.status().ToString();
      }
    }
    if (r.ok()) s.worst = std::max(s.worst, r->latency);
    absl::SleepFor(absl::Milliseconds(100));
  }
  return s;
}

class MetricsEndpointUnderAttack : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = registry_.AddCounter("probe_total", "a counter");
    ASSERT_TRUE(c.ok());
    (*c)->WithLabels({}).Inc();
    // The verifier's own endpoint, with its own (default) limits.
    auto s = MetricsHttpServer::Start("127.0.0.1:0", &registry_);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }
  MetricsRegistry registry_;
  std::unique_ptr<MetricsHttpServer> server_;
};

TEST_F(MetricsEndpointUnderAttack, SlowHeadsFromOneAddressDoNotBlockProbes) {
  SlowlorisOptions o;
  o.port = server_->port();
  o.sources = {"127.0.0.2"};
  o.connections_per_source = 80;  // more than the global cap of 64
  auto attack = Slowloris::Start(o);
  ASSERT_TRUE(attack.ok()) << attack.status();
  absl::SleepFor(absl::Milliseconds(300));  // the attack is in place

  // Longer than one header deadline (5 s): the attacker's connections are
  // closed and reopened at least once while probing.
  ProbeStats healthz = Probe(server_->port(), "/healthz", absl::Seconds(7));
  ProbeStats metrics = Probe(server_->port(), "/metrics", absl::Seconds(1));
  SlowlorisReport r = (*attack)->Stop();

  std::cout << "healthz under attack: " << healthz.probes
            << " probes, worst latency " << absl::FormatDuration(healthz.worst)
            << "; attacker opened " << r.opened << " connections, "
            << CountAtLeast(r.trickle_lifetimes, absl::Seconds(1)) +
                   CountAtLeast(r.silent_lifetimes, absl::Seconds(1))
            << " held > 1 s, longest trickler "
            << absl::FormatDuration(Longest(r.trickle_lifetimes))
            << ", longest silent "
            << absl::FormatDuration(Longest(r.silent_lifetimes))
            << ", most bytes trickled " << r.max_trickled_bytes << "\n";
  RecordProperty("healthz_worst_latency_ms",
                 std::to_string(absl::ToInt64Milliseconds(healthz.worst)));

  EXPECT_EQ(healthz.failures, 0) << healthz.first_failure;
  EXPECT_GE(healthz.probes, 30);
  EXPECT_LT(healthz.worst, absl::Seconds(1));
  EXPECT_EQ(metrics.failures, 0) << metrics.first_failure;

  // The attack was real (80 connections at once, none answered), and no
  // attacker connection outlived the 5 s header deadline: at its limit of
  // 8 the attacker only displaces its own connections.
  EXPECT_GE(r.opened, 80);
  EXPECT_EQ(r.answered, 0);
  EXPECT_LE(Longest(r.trickle_lifetimes), absl::Milliseconds(6500));
  EXPECT_LE(Longest(r.silent_lifetimes), absl::Milliseconds(6500));
  EXPECT_LE(r.longest_open_at_stop, absl::Milliseconds(6500));
}

TEST_F(MetricsEndpointUnderAttack, HeadsAtTheClientLimitAreCutAtTheDeadline) {
  // Exactly the per-client limit: nothing displaces these 8, only the
  // header deadline (5 s) ends them, trickling a byte a second or silent.
  SlowlorisOptions o;
  o.port = server_->port();
  o.connections_per_source = 8;
  o.reconnect_delay = absl::Seconds(30);  // each is opened once
  auto attack = Slowloris::Start(o);
  ASSERT_TRUE(attack.ok()) << attack.status();
  ProbeStats healthz = Probe(server_->port(), "/healthz", absl::Seconds(7));
  SlowlorisReport r = (*attack)->Stop();
  EXPECT_EQ(healthz.failures, 0) << healthz.first_failure;
  EXPECT_EQ(r.opened, 8);
  EXPECT_EQ(r.answered, 0);
  ASSERT_EQ(r.trickle_lifetimes.size(), 4u);
  ASSERT_EQ(r.silent_lifetimes.size(), 4u);
  for (const auto* lifetimes : {&r.trickle_lifetimes, &r.silent_lifetimes}) {
    for (absl::Duration d : *lifetimes) {
      EXPECT_GE(d, absl::Milliseconds(4800));
      EXPECT_LE(d, absl::Milliseconds(6000));
    }
  }
  EXPECT_GE(r.max_trickled_bytes, 4);  // it did trickle, to no avail
}

TEST_F(MetricsEndpointUnderAttack, AttackerOnTheProbesAddressCannotBlockThem) {
  // On a loopback listener (the default) every client is 127.0.0.1: the
  // attacker shares the probes' address and its per-client budget.
  SlowlorisOptions o;
  o.port = server_->port();
  o.sources = {"127.0.0.1"};
  o.connections_per_source = 80;
  auto attack = Slowloris::Start(o);
  ASSERT_TRUE(attack.ok()) << attack.status();
  absl::SleepFor(absl::Milliseconds(300));
  ProbeStats healthz = Probe(server_->port(), "/healthz", absl::Seconds(6));
  SlowlorisReport r = (*attack)->Stop();
  std::cout << "healthz vs an attacker on 127.0.0.1: " << healthz.probes
            << " probes, worst latency " << absl::FormatDuration(healthz.worst)
            << "; attacker opened " << r.opened << "\n";
  // The attacker reconnects in bursts; a burst of 8 or more landing
  // between a probe's accept and the arrival of its request displaces it,
  // so an occasional probe may fail here (about 1 in 100 in practice),
  // where a per-client refusal would fail every probe.
  EXPECT_LE(healthz.failures * 20, healthz.probes) << healthz.first_failure;
  EXPECT_LT(healthz.worst, absl::Seconds(1));
  EXPECT_GE(r.opened, 80);
  EXPECT_EQ(r.answered, 0);
}

TEST_F(MetricsEndpointUnderAttack, ManySourcesCannotStarveProbes) {
  // 20 addresses x 8 connections: within each per-client limit, but 160
  // connections against a global cap of 64.
  SlowlorisOptions o;
  o.port = server_->port();
  o.sources.clear();
  for (int i = 2; i < 22; ++i) o.sources.push_back(absl::StrCat("127.0.0.", i));
  o.connections_per_source = 8;
  o.reconnect_delay = absl::Milliseconds(500);
  auto attack = Slowloris::Start(o);
  ASSERT_TRUE(attack.ok()) << attack.status();
  absl::SleepFor(absl::Milliseconds(500));
  ProbeStats healthz = Probe(server_->port(), "/healthz", absl::Seconds(6));
  SlowlorisReport r = (*attack)->Stop();
  std::cout << "healthz vs 20 sources: " << healthz.probes
            << " probes, worst latency " << absl::FormatDuration(healthz.worst)
            << "; attacker opened " << r.opened << "\n";
  EXPECT_EQ(healthz.failures, 0) << healthz.first_failure;
  EXPECT_LT(healthz.worst, absl::Seconds(1));
  EXPECT_GE(r.opened, 160);
  EXPECT_EQ(r.answered, 0);
  EXPECT_LE(Longest(r.trickle_lifetimes), absl::Milliseconds(6500));
  EXPECT_LE(Longest(r.silent_lifetimes), absl::Milliseconds(6500));
}

TEST(HttpServerLimitsTest, PerClientLimitKeepsEightConnectionsPerAddress) {
  HttpServerOptions o;
  o.header_timeout = absl::Seconds(20);  // only the limit acts here
  auto server = StartServer(o);
  ASSERT_NE(server, nullptr);
  const int port = server->port();

  std::vector<int> held = OpenPartial("127.0.0.2", port, 8);
  ASSERT_EQ(held.size(), 8u);
  std::vector<int> other = OpenPartial("127.0.0.3", port, 1);
  ASSERT_EQ(other.size(), 1u);
  absl::SleepFor(absl::Milliseconds(100));
  // A 9th connection from 127.0.0.2 does not get a 9th place: it takes the
  // place of that address's connection waiting longest (the first).
  std::vector<int> ninth = OpenPartial("127.0.0.2", port, 1);
  ASSERT_EQ(ninth.size(), 1u);
  EXPECT_TRUE(ClosedWithin(held[0], absl::Seconds(1)))
      << "127.0.0.2 holds 9 connections";
  for (size_t i = 1; i < held.size(); ++i) {
    EXPECT_FALSE(ClosedWithin(held[i], absl::Milliseconds(20))) << i;
  }
  EXPECT_FALSE(ClosedWithin(ninth[0], absl::Milliseconds(100)));
  // Other clients are not affected.
  EXPECT_FALSE(ClosedWithin(other[0], absl::Milliseconds(100)));
  auto probe =
      GetFrom("127.0.0.1", "127.0.0.1", port, "/healthz", absl::Seconds(1));
  ASSERT_TRUE(probe.ok()) << probe.status();
  EXPECT_EQ(probe->status, 200);
  CloseAll(held);
  CloseAll(ninth);
  CloseAll(other);
}

TEST(HttpServerLimitsTest, PerClientLimitRefusesOneMoreWhenAllAreBusy) {
  HttpServerOptions o;
  o.write_timeout = absl::Seconds(20);
  o.max_connections_per_client = 2;  // two 16 MiB responses are enough
  auto server = StartServer(o);
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  // Requests for a large response that is never read: every connection of
  // 127.0.0.2 is busy answering, none waits for its client.
  std::vector<int> busy;
  for (int i = 0; i < 2; ++i) {
    auto fd = ConnectFrom("127.0.0.2", "127.0.0.1", port);
    ASSERT_TRUE(fd.ok()) << fd.status();
    ASSERT_TRUE(SendAll(*fd, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
    busy.push_back(*fd);
  }
  absl::SleepFor(absl::Milliseconds(300));
  std::vector<int> ninth = OpenPartial("127.0.0.2", port, 1);
  ASSERT_EQ(ninth.size(), 1u);
  EXPECT_TRUE(ClosedWithin(ninth[0], absl::Seconds(1)))
      << "a 3rd connection from 127.0.0.2 was not refused";
  // Other clients are still served.
  auto probe =
      GetFrom("127.0.0.1", "127.0.0.1", port, "/healthz", absl::Seconds(1));
  ASSERT_TRUE(probe.ok()) << probe.status();
  EXPECT_EQ(probe->status, 200);
  // A closed connection gives its place back.
  ::close(busy.back());
  busy.pop_back();
  absl::SleepFor(absl::Milliseconds(200));
  std::vector<int> again = OpenPartial("127.0.0.2", port, 1);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_FALSE(ClosedWithin(again[0], absl::Milliseconds(300)));
  CloseAll(busy);
  CloseAll(ninth);
  CloseAll(again);
}

TEST(HttpServerLimitsTest, TricklingHeadIsClosedAtTheHeaderDeadline) {
  HttpServerOptions o;
  o.header_timeout = absl::Seconds(2);
  auto server = StartServer(o);
  ASSERT_NE(server, nullptr);
  auto fd = ConnectFrom("127.0.0.2", "127.0.0.1", server->port());
  ASSERT_TRUE(fd.ok()) << fd.status();
  const absl::Time start = absl::Now();
  ASSERT_TRUE(SendAll(*fd, kPartialHead));
  bool closed = false;
  // A byte every 250 ms: far more often than any idle timeout would need.
  while (!closed && absl::Now() - start < absl::Seconds(5)) {
    SendAll(*fd, "a");
    closed = ClosedWithin(*fd, absl::Milliseconds(250));
  }
  absl::Duration lived = absl::Now() - start;
  EXPECT_TRUE(closed);
  EXPECT_GE(lived, absl::Milliseconds(1800));
  EXPECT_LE(lived, absl::Milliseconds(3000));
  ::close(*fd);

  // A head that is slow but complete within the deadline is served.
  fd = ConnectFrom("127.0.0.2", "127.0.0.1", server->port());
  ASSERT_TRUE(fd.ok()) << fd.status();
  std::string head = "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n";
  for (char c : head) {  // about a second in all
    ASSERT_TRUE(SendAll(*fd, std::string(1, c)));
    absl::SleepFor(absl::Milliseconds(30));
  }
  auto r = ReadResponse(*fd, absl::Seconds(1));
  ::close(*fd);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
}

TEST(HttpServerLimitsTest, KeepAliveScrapesWorkAndIdleIsNotAHeadDeadline) {
  HttpServerOptions o;
  o.header_timeout = absl::Seconds(1);
  o.idle_timeout = absl::Seconds(3);
  auto server = StartServer(o);
  ASSERT_NE(server, nullptr);
  auto fd = ConnectFrom("127.0.0.1", "127.0.0.1", server->port());
  ASSERT_TRUE(fd.ok()) << fd.status();
  for (int i = 0; i < 10; ++i) {
    auto r = Exchange(*fd, i % 2 ? "/metrics" : "/healthz", absl::Seconds(1));
    ASSERT_TRUE(r.ok()) << i << ": " << r.status();
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(r->keep_alive);
  }
  // Idle longer than the header deadline: still open, still served.
  absl::SleepFor(absl::Milliseconds(1500));
  auto r = Exchange(*fd, "/metrics", absl::Seconds(1));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  // Idle past idle_timeout: closed.
  const absl::Time idle_start = absl::Now();
  EXPECT_TRUE(ClosedWithin(*fd, absl::Seconds(5)));
  EXPECT_GE(absl::Now() - idle_start, absl::Milliseconds(2500));
  ::close(*fd);
}

TEST(HttpServerLimitsTest, StalledBodyIsClosedAtTheBodyDeadline) {
  HttpServerOptions o;
  o.body_timeout = absl::Seconds(1);
  int calls = 0;
  auto s = HttpServer::Start(
      "127.0.0.1:0",
      [&calls](const HttpRequest&) {
        ++calls;
        return HttpResponse{};
      },
      o);
  ASSERT_TRUE(s.ok()) << s.status();
  auto fd = ConnectFrom("127.0.0.2", "127.0.0.1", (*s)->port());
  ASSERT_TRUE(fd.ok()) << fd.status();
  const absl::Time start = absl::Now();
  ASSERT_TRUE(SendAll(*fd,
                      "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: "
                      "100\r\n\r\n0123456789"));
  EXPECT_TRUE(ClosedWithin(*fd, absl::Seconds(4)));
  absl::Duration lived = absl::Now() - start;
  EXPECT_GE(lived, absl::Milliseconds(800));
  EXPECT_LE(lived, absl::Milliseconds(2500));
  ::close(*fd);
  (*s)->Stop();
  EXPECT_EQ(calls, 0);
}

TEST(HttpServerLimitsTest, WhenFullTheLongestWaitingConnectionMakesRoom) {
  HttpServerOptions o;
  o.max_connections = 16;
  o.header_timeout = absl::Seconds(20);
  auto server = StartServer(o);
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  std::vector<int> a = OpenPartial("127.0.0.2", port, 8);
  absl::SleepFor(absl::Milliseconds(100));  // a[0] is the oldest
  std::vector<int> b = OpenPartial("127.0.0.3", port, 8);
  ASSERT_EQ(a.size() + b.size(), 16u);
  absl::SleepFor(absl::Milliseconds(100));
  auto probe =
      GetFrom("127.0.0.1", "127.0.0.1", port, "/healthz", absl::Seconds(1));
  ASSERT_TRUE(probe.ok()) << probe.status();
  EXPECT_EQ(probe->status, 200);
  EXPECT_TRUE(ClosedWithin(a[0], absl::Milliseconds(500)))
      << "the longest waiting connection was not the one closed";
  for (size_t i = 1; i < a.size(); ++i) {
    EXPECT_FALSE(ClosedWithin(a[i], absl::Milliseconds(20))) << i;
  }
  CloseAll(a);
  CloseAll(b);
}

TEST(HttpServerLimitsTest, StalledBodiesMakeRoomWhenFull) {
  HttpServerOptions o;
  o.max_connections = 4;
  o.body_timeout = absl::Seconds(20);
  auto server = StartServer(o);
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  // Complete heads, bodies that never come.
  std::vector<int> stalled;
  for (const char* src : {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}) {
    auto fd = ConnectFrom(src, "127.0.0.1", port);
    ASSERT_TRUE(fd.ok()) << fd.status();
    ASSERT_TRUE(SendAll(
        *fd, "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"));
    stalled.push_back(*fd);
    absl::SleepFor(absl::Milliseconds(20));
  }
  absl::SleepFor(absl::Milliseconds(100));
  auto probe =
      GetFrom("127.0.0.1", "127.0.0.1", port, "/healthz", absl::Seconds(1));
  ASSERT_TRUE(probe.ok()) << probe.status();
  EXPECT_EQ(probe->status, 200);
  EXPECT_TRUE(ClosedWithin(stalled[0], absl::Milliseconds(500)));
  for (size_t i = 1; i < stalled.size(); ++i) {
    EXPECT_FALSE(ClosedWithin(stalled[i], absl::Milliseconds(20))) << i;
  }
  CloseAll(stalled);
}

TEST(HttpServerLimitsTest, WhenEveryConnectionIsBusyNewOnesAreRefused) {
  HttpServerOptions o;
  o.max_connections = 2;
  o.write_timeout = absl::Seconds(20);
  auto server = StartServer(o);
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  // Two clients ask for a large response and never read it: every
  // connection is busy answering, none waits for its client.
  std::vector<int> busy;
  for (const char* src : {"127.0.0.2", "127.0.0.3"}) {
    auto fd = ConnectFrom(src, "127.0.0.1", port);
    ASSERT_TRUE(fd.ok()) << fd.status();
    ASSERT_TRUE(SendAll(*fd, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
    busy.push_back(*fd);
  }
  absl::SleepFor(absl::Milliseconds(300));
  auto fd = ConnectFrom("127.0.0.6", "127.0.0.1", port);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_TRUE(ClosedWithin(*fd, absl::Seconds(1)));
  ::close(*fd);
  CloseAll(busy);
  // Once they are gone the server serves again.
  absl::SleepFor(absl::Milliseconds(200));
  auto probe =
      GetFrom("127.0.0.1", "127.0.0.1", port, "/healthz", absl::Seconds(1));
  ASSERT_TRUE(probe.ok()) << probe.status();
  EXPECT_EQ(probe->status, 200);
}

TEST(HttpServerLimitsTest, RejectsBadOptions) {
  HttpServerOptions o;
  o.header_timeout = absl::ZeroDuration();
  EXPECT_EQ(HttpServer::Start("127.0.0.1:0", &Answer, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = {};
  o.idle_timeout = absl::InfiniteDuration();
  EXPECT_EQ(HttpServer::Start("127.0.0.1:0", &Answer, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = {};
  o.max_connections = 0;
  EXPECT_EQ(HttpServer::Start("127.0.0.1:0", &Answer, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = {};
  o.max_connections_per_client = -1;
  EXPECT_EQ(HttpServer::Start("127.0.0.1:0", &Answer, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = {};
  o.max_connections_per_client = 0;  // no per-client limit
  EXPECT_TRUE(HttpServer::Start("127.0.0.1:0", &Answer, o).ok());
}

}  // namespace
}  // namespace vtpm::metrics
