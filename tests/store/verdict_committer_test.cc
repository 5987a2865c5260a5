// VerdictCommitter over a real SQLite store: every verdict is stored once
// and called back in order, verdicts queued during a commit share the next
// transaction, and the destructor stores what is queued.
#include "verifier/store/verdict_committer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/harness/process.h"
#include "tests/store/store_test_util.h"

namespace vtpm::verifier {
namespace {

namespace v1 = vtpm_attest::v1;
using store_test::MakeIdentity;
using store_test::MakeVerdict;

class VerdictCommitterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = OpenStore("sqlite:" + dir_.Sub("verifier.db"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->UpsertIdentity(MakeIdentity("fp")).ok());
  }

  int64_t StoredVerdicts() {
    auto feed = store_->VerdictsAfter(0, 100000);
    EXPECT_TRUE(feed.ok()) << feed.status();
    return feed.ok() ? static_cast<int64_t>(feed->size()) : -1;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(VerdictCommitterTest, EveryVerdictStoredOnceCallbacksInOrder) {
  constexpr int kThreads = 4, kPerThread = 50;
  std::vector<std::vector<std::string>> called(kThreads);
  std::mutex called_mu;
  std::atomic<int> not_inserted{0};
  {
    VerdictCommitter committer(store_.get());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          std::string id = absl::StrCat("t", t, "-", i);
          committer.Submit(
              "fp", MakeVerdict(id, 100 + i, v1::RESULT_PASS), VerdictWrite{},
              [&, t, id](v1::Verdict v, absl::StatusOr<RecordOutcome> out) {
                EXPECT_EQ(v.verdict_id(), id);
                if (!out.ok() || !out->inserted) ++not_inserted;
                std::lock_guard<std::mutex> lock(called_mu);
                called[t].push_back(id);
              });
        }
      });
    }
    for (auto& th : threads) th.join();
  }  // drains
  EXPECT_EQ(not_inserted, 0);
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(called[t].size(), static_cast<size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i) {
      EXPECT_EQ(called[t][i], absl::StrCat("t", t, "-", i));
    }
  }
  EXPECT_EQ(StoredVerdicts(), kThreads * kPerThread);
}

TEST_F(VerdictCommitterTest, VerdictsQueuedDuringACommitShareTheNext) {
  VerdictCommitter committer(store_.get());
  // The first verdict's callback holds the writer thread until the test
  // has queued 100 more.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> first_called;
  committer.Submit("fp", MakeVerdict("first", 1, v1::RESULT_PASS), {},
                   [&](v1::Verdict, absl::StatusOr<RecordOutcome> out) {
                     EXPECT_TRUE(out.ok()) << out.status();
                     first_called.set_value();
                     released.wait();
                   });
  first_called.get_future().wait();
  std::atomic<int> stored{0};
  for (int i = 0; i < 100; ++i) {
    committer.Submit("fp",
                     MakeVerdict(absl::StrCat("v", i), 2, v1::RESULT_PASS), {},
                     [&](v1::Verdict, absl::StatusOr<RecordOutcome> out) {
                       if (out.ok() && out->inserted) ++stored;
                     });
  }
  release.set_value();
  while (stored.load() < 100) std::this_thread::yield();
  VerdictCommitter::Stats stats = committer.stats();
  EXPECT_EQ(stats.batches, 2);
  EXPECT_EQ(stats.verdicts, 101);
  EXPECT_EQ(stats.largest_batch, 100u);
}

TEST_F(VerdictCommitterTest, LargestBatchIsBounded) {
  VerdictCommitter committer(store_.get(), /*max_batch=*/8);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> first_called;
  committer.Submit("fp", MakeVerdict("first", 1, v1::RESULT_PASS), {},
                   [&](v1::Verdict, absl::StatusOr<RecordOutcome>) {
                     first_called.set_value();
                     released.wait();
                   });
  first_called.get_future().wait();
  std::atomic<int> done{0};
  for (int i = 0; i < 20; ++i) {
    committer.Submit(
        "fp", MakeVerdict(absl::StrCat("v", i), 2, v1::RESULT_PASS), {},
        [&](v1::Verdict, absl::StatusOr<RecordOutcome>) { ++done; });
  }
  release.set_value();
  while (done.load() < 20) std::this_thread::yield();
  VerdictCommitter::Stats stats = committer.stats();
  EXPECT_EQ(stats.largest_batch, 8u);
  EXPECT_EQ(stats.batches, 1 + 3);  // 8 + 8 + 4
}

TEST_F(VerdictCommitterTest, BadVerdictFailsAloneAndDestructorDrains) {
  std::vector<absl::StatusCode> codes(30, absl::StatusCode::kUnknown);
  {
    VerdictCommitter committer(store_.get());
    for (int i = 0; i < 30; ++i) {
      // Verdict 7 has no id: the store rejects it, and only it.
      std::string id = i == 7 ? "" : absl::StrCat("v", i);
      committer.Submit("fp", MakeVerdict(id, 10, v1::RESULT_FAIL), {},
                       [&, i](v1::Verdict, absl::StatusOr<RecordOutcome> out) {
                         codes[i] = out.status().code();
                       });
    }
  }  // the destructor returns only when every callback ran
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(codes[i], i == 7 ? absl::StatusCode::kInvalidArgument
                               : absl::StatusCode::kOk)
        << i;
  }
  EXPECT_EQ(StoredVerdicts(), 29);
  auto r = store_->GetIdentity("fp");
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->status, v1::RESULT_FAIL);
}

}  // namespace
}  // namespace vtpm::verifier
