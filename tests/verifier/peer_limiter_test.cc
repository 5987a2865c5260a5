// PeerLimiter: unproven streams per peer and in all, the stream rate per
// peer, the audit rate, peer addresses; with an injected clock.
#include "verifier/service/peer_limiter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "common/reason.h"

namespace vtpm::verifier {
namespace {

using ::testing::HasSubstr;

class FakeClock {
 public:
  absl::Time Now() const { return now_; }
  void Advance(absl::Duration d) { now_ += d; }
  PeerLimiter::Clock AsClock() {
    return [this] { return now_; };
  }

 private:
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
};

TEST(PeerAddressTest, KeepsTheAddressWithoutThePort) {
  EXPECT_EQ(PeerAddress("ipv4:10.0.0.5:41234"), "10.0.0.5");
  EXPECT_EQ(PeerAddress("ipv4:127.0.0.1:1"), "127.0.0.1");
  // IPv4-mapped IPv6 is the IPv4 peer it is.
  EXPECT_EQ(PeerAddress("ipv6:[::ffff:10.0.0.5]:443"), "10.0.0.5");
  // One /64 is one peer: a host can use any address inside it.
  EXPECT_EQ(PeerAddress("ipv6:[2001:db8:1:2:aaaa::1]:443"),
            "2001:db8:1:2::/64");
  EXPECT_EQ(PeerAddress("ipv6:[2001:db8:1:2:bbbb::7]:9"), "2001:db8:1:2::/64");
  EXPECT_EQ(PeerAddress("ipv6:[::1]:9"), "0:0:0:0::/64");
  EXPECT_EQ(PeerAddress("unix:/run/x.sock"), "unix:/run/x.sock");
}

TEST(PeerLimiterTest, UnprovenStreamsPerPeerAreCapped) {
  FakeClock clock;
  PeerLimits limits;
  limits.max_unproven_streams_per_peer = 3;
  limits.streams_per_second_per_peer = 0;
  PeerLimiter limiter(limits, clock.AsClock());
  std::vector<PeerLimiter::Ticket> held;
  for (int i = 0; i < 3; ++i) {
    auto t = limiter.Admit("10.0.0.1");
    ASSERT_TRUE(t.ok()) << t.status();
    held.push_back(*std::move(t));
  }
  auto fourth = limiter.Admit("10.0.0.1");
  ASSERT_FALSE(fourth.ok());
  EXPECT_EQ(ReasonOf(fourth.status()), vtpm_attest::v1::RATE_LIMITED);
  EXPECT_THAT(fourth.status().message(), HasSubstr("10.0.0.1"));
  // Another peer is not affected.
  EXPECT_TRUE(limiter.Admit("10.0.0.2").ok());
  // A stream that proves possession frees its place at once.
  held[0].Proven();
  EXPECT_FALSE(held[0].held());
  auto again = limiter.Admit("10.0.0.1");
  EXPECT_TRUE(again.ok());
  // So does one that ends.
  held.pop_back();
  EXPECT_TRUE(limiter.Admit("10.0.0.1").ok());
}

TEST(PeerLimiterTest, UnprovenStreamsInAllAreCapped) {
  FakeClock clock;
  PeerLimits limits;
  limits.max_unproven_streams = 2;
  limits.streams_per_second_per_peer = 0;
  PeerLimiter limiter(limits, clock.AsClock());
  auto a = limiter.Admit("10.0.0.1");
  auto b = limiter.Admit("10.0.0.2");
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = limiter.Admit("10.0.0.3");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(ReasonOf(c.status()), vtpm_attest::v1::RATE_LIMITED);
  EXPECT_EQ(limiter.unproven_streams(), 2u);
  a->Proven();
  EXPECT_EQ(limiter.unproven_streams(), 1u);
  EXPECT_TRUE(limiter.Admit("10.0.0.3").ok());
}

TEST(PeerLimiterTest, StreamRatePerPeerIsATokenBucket) {
  FakeClock clock;
  PeerLimits limits;
  limits.max_unproven_streams_per_peer = 0;
  limits.max_unproven_streams = 0;
  limits.streams_per_second_per_peer = 2;
  limits.stream_burst_per_peer = 5;
  PeerLimiter limiter(limits, clock.AsClock());
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(limiter.Admit("10.0.0.1").ok()) << i;  // the burst
  }
  auto over = limiter.Admit("10.0.0.1");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(ReasonOf(over.status()), vtpm_attest::v1::RATE_LIMITED);
  EXPECT_THAT(over.status().message(), HasSubstr("faster than 2 per second"));
  EXPECT_TRUE(limiter.Admit("10.0.0.9").ok());  // other peers keep theirs
  clock.Advance(absl::Milliseconds(500));       // one token back
  EXPECT_TRUE(limiter.Admit("10.0.0.1").ok());
  EXPECT_FALSE(limiter.Admit("10.0.0.1").ok());
  clock.Advance(absl::Hours(1));  // refills to the burst, not beyond
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.Admit("10.0.0.1").ok());
  EXPECT_FALSE(limiter.Admit("10.0.0.1").ok());
}

TEST(PeerLimiterTest, ZeroMeansNoLimit) {
  PeerLimits limits;
  limits.max_unproven_streams_per_peer = 0;
  limits.max_unproven_streams = 0;
  limits.streams_per_second_per_peer = 0;
  PeerLimiter limiter(limits);
  std::vector<PeerLimiter::Ticket> held;
  for (int i = 0; i < 1000; ++i) {
    auto t = limiter.Admit("10.0.0.1");
    ASSERT_TRUE(t.ok());
    held.push_back(*std::move(t));
  }
  EXPECT_EQ(limiter.unproven_streams(), 1000u);
  held.clear();
  EXPECT_EQ(limiter.unproven_streams(), 0u);
}

TEST(PeerLimiterTest, AuditIsRateLimitedPerPeer) {
  FakeClock clock;
  PeerLimits limits;
  limits.audited_attempts_per_minute_per_peer = 3;
  PeerLimiter limiter(limits, clock.AsClock());
  EXPECT_TRUE(limiter.AllowAudit("10.0.0.1"));
  EXPECT_TRUE(limiter.AllowAudit("10.0.0.1"));
  EXPECT_TRUE(limiter.AllowAudit("10.0.0.1"));
  EXPECT_FALSE(limiter.AllowAudit("10.0.0.1"));
  EXPECT_TRUE(limiter.AllowAudit("10.0.0.2"));
  clock.Advance(absl::Seconds(20));  // 3 per minute: one more
  EXPECT_TRUE(limiter.AllowAudit("10.0.0.1"));
  EXPECT_FALSE(limiter.AllowAudit("10.0.0.1"));
}

TEST(PeerLimiterTest, TrackedPeersAreBounded) {
  FakeClock clock;
  PeerLimits limits;
  limits.max_tracked_peers = 100;
  PeerLimiter limiter(limits, clock.AsClock());
  auto busy = limiter.Admit("10.9.9.9");  // holds a stream: never forgotten
  ASSERT_TRUE(busy.ok());
  for (int i = 0; i < 1000; ++i) {
    clock.Advance(absl::Milliseconds(1));
    auto t = limiter.Admit("10.1." + std::to_string(i / 256) + "." +
                           std::to_string(i % 256));
    ASSERT_TRUE(t.ok());
  }
  EXPECT_LE(limiter.tracked_peers(), 100u);
  EXPECT_EQ(limiter.unproven_streams(), 1u);
  busy->Proven();
  EXPECT_EQ(limiter.unproven_streams(), 0u);
}

}  // namespace
}  // namespace vtpm::verifier
