// NonceStore: single use, per session, TTL, bounded memory, thread safety.
#include "verifier/quote/nonce_store.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "common/reason.h"

namespace vtpm::verifier {
namespace {

namespace v1 = ::vtpm_attest::v1;

class NonceStoreTest : public ::testing::Test {
 protected:
  NonceStore::Clock clock() {
    return [this] { return now_; };
  }
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
};

TEST_F(NonceStoreTest, IssuesFresh32ByteNonces) {
  NonceStore store(absl::Seconds(120), clock());
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string n = store.Issue("s" + std::to_string(i));
    EXPECT_EQ(n.size(), 32u);
    EXPECT_TRUE(seen.insert(n).second);
  }
}

TEST_F(NonceStoreTest, ConsumesOnceThenReportsReplay) {
  NonceStore store(absl::Seconds(120), clock());
  std::string n = store.Issue("a");
  EXPECT_TRUE(store.Consume("a", n).ok());
  EXPECT_EQ(ReasonOf(store.Consume("a", n)), v1::QUOTE_REPLAYED);
  EXPECT_EQ(ReasonOf(store.Consume("b", n)), v1::QUOTE_REPLAYED);
}

TEST_F(NonceStoreTest, WrongSessionOrNonceIsAMismatchAndConsumesNothing) {
  NonceStore store(absl::Seconds(120), clock());
  std::string a = store.Issue("a");
  std::string b = store.Issue("b");
  EXPECT_EQ(ReasonOf(store.Consume("b", a)), v1::NONCE_MISMATCH);
  EXPECT_EQ(ReasonOf(store.Consume("c", a)), v1::NONCE_MISMATCH);
  std::string other = a;
  other[0] ^= 1;
  EXPECT_EQ(ReasonOf(store.Consume("a", other)), v1::NONCE_MISMATCH);
  EXPECT_EQ(ReasonOf(store.Consume("a", "")), v1::NONCE_MISMATCH);
  EXPECT_TRUE(store.Consume("a", a).ok());
  EXPECT_TRUE(store.Consume("b", b).ok());
}

TEST_F(NonceStoreTest, ExpiresAfterTtl) {
  NonceStore store(absl::Seconds(120), clock());
  std::string n = store.Issue("a");
  now_ += absl::Seconds(119);
  std::string m = store.Issue("b");
  now_ += absl::Seconds(1);  // exactly the TTL for "a"
  EXPECT_EQ(ReasonOf(store.Consume("a", n)), v1::NONCE_EXPIRED);
  EXPECT_EQ(ReasonOf(store.Consume("a", n)), v1::NONCE_EXPIRED);
  EXPECT_TRUE(store.Consume("b", m).ok());
}

TEST_F(NonceStoreTest, ReissueReplacesTheOutstandingNonce) {
  NonceStore store(absl::Seconds(120), clock());
  std::string old_nonce = store.Issue("a");
  std::string new_nonce = store.Issue("a");
  EXPECT_EQ(store.outstanding(), 1u);
  EXPECT_EQ(ReasonOf(store.Consume("a", old_nonce)), v1::NONCE_MISMATCH);
  EXPECT_TRUE(store.Consume("a", new_nonce).ok());
}

TEST_F(NonceStoreTest, PrunesOneTtlAfterExpiry) {
  NonceStore store(absl::Seconds(120), clock());
  std::string n = store.Issue("a");
  now_ += absl::Seconds(200);
  EXPECT_EQ(ReasonOf(store.Consume("a", n)), v1::NONCE_EXPIRED);
  EXPECT_EQ(store.outstanding(), 1u);
  now_ += absl::Seconds(40);  // 2 x TTL after issue
  EXPECT_EQ(ReasonOf(store.Consume("a", n)), v1::NONCE_MISMATCH);
  EXPECT_EQ(store.outstanding(), 0u);
}

TEST_F(NonceStoreTest, EvictsOldestSessionBeyondTheCap) {
  NonceStore store(absl::Seconds(120), clock(), /*max_sessions=*/2);
  std::string a = store.Issue("a");
  std::string b = store.Issue("b");
  std::string c = store.Issue("c");
  EXPECT_EQ(store.outstanding(), 2u);
  EXPECT_EQ(ReasonOf(store.Consume("a", a)), v1::NONCE_MISMATCH);
  EXPECT_TRUE(store.Consume("b", b).ok());
  EXPECT_TRUE(store.Consume("c", c).ok());
}

TEST_F(NonceStoreTest, ForgetsOldestUsedNoncesBeyondTheCap) {
  NonceStore store(absl::Seconds(120), clock(), 100, /*max_used=*/2);
  std::vector<std::string> used;
  for (const char* s : {"a", "b", "c"}) {
    used.push_back(store.Issue(s));
    ASSERT_TRUE(store.Consume(s, used.back()).ok());
  }
  EXPECT_EQ(store.remembered_used(), 2u);
  // Forgotten: still refused, only the reason is less precise.
  EXPECT_EQ(ReasonOf(store.Consume("a", used[0])), v1::NONCE_MISMATCH);
  EXPECT_EQ(ReasonOf(store.Consume("b", used[1])), v1::QUOTE_REPLAYED);
  EXPECT_EQ(ReasonOf(store.Consume("c", used[2])), v1::QUOTE_REPLAYED);
}

TEST(NonceStoreThreadTest, ConcurrentIssueAndConsume) {
  NonceStore store;
  constexpr int kThreads = 8;
  constexpr int kRounds = 500;
  std::vector<std::thread> threads;
  std::vector<int> ok(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string session = "s" + std::to_string(t);
      for (int i = 0; i < kRounds; ++i) {
        std::string n = store.Issue(session);
        if (store.Consume(session, n).ok()) ++ok[t];
        if (store.Consume(session, n).ok()) --ok[t];  // never twice
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(ok[t], kRounds);
  EXPECT_EQ(store.outstanding(), 0u);
  EXPECT_EQ(store.remembered_used(), static_cast<size_t>(kThreads * kRounds));
}

}  // namespace
}  // namespace vtpm::verifier
