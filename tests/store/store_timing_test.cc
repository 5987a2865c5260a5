// Ad-hoc timing of RecordVerdict (one call per attestation), disabled by
// default: run with
//   store_test --gtest_also_run_disabled_tests --gtest_filter='*Timing*'
// It prints microseconds per call and calls per second; it asserts only
// that every write succeeded.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/harness/postgres.h"
#include "tests/harness/process.h"
#include "tests/store/store_test_util.h"
#include "verifier/store/store.h"

namespace vtpm::verifier {
namespace {

namespace v1 = vtpm_attest::v1;

// Writes `per_thread` verdicts from each of `threads` threads (one identity
// per thread, as attestations of different VMs) and prints the rate.
void TimeRecordVerdict(Store& s, const std::string& label, int threads,
                       int per_thread) {
  for (int t = 0; t < threads; ++t) {
    ASSERT_TRUE(
        s.UpsertIdentity(store_test::MakeIdentity(absl::StrCat("fp", t))).ok());
  }
  static int run = 0;
  ++run;
  auto start = std::chrono::steady_clock::now();
  std::clock_t cpu_start = std::clock();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      VerdictWrite w;
      for (int i = 0; i < per_thread; ++i) {
        w.clock = ClockState{static_cast<uint64_t>(i), 1, 0};
        w.next_due_unix = 1000 + i;
        auto out = s.RecordVerdict(
            absl::StrCat("fp", t),
            store_test::MakeVerdict(absl::StrCat("r", run, "-", t, "-", i), i,
                                    v1::RESULT_PASS),
            w);
        ASSERT_TRUE(out.ok()) << out.status();
      }
    });
  }
  for (auto& w : workers) w.join();
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  int total = threads * per_thread;
  std::printf(
      "%-34s threads=%2d %7.1f us/call wall, %6.1f us/call CPU of this "
      "process, %6.0f calls/s\n",
      label.c_str(), threads, secs * 1e6 / total, cpu * 1e6 / total,
      total / secs);
}

TEST(StoreTiming, DISABLED_SqliteRecordVerdict) {
  testing::TempDir dir;
  auto s = OpenStore("sqlite:" + dir.Sub("v.db"));
  ASSERT_TRUE(s.ok()) << s.status();
  TimeRecordVerdict(**s, "sqlite", 1, 20000);
  TimeRecordVerdict(**s, "sqlite", 4, 5000);
}

TEST(StoreTiming, DISABLED_PostgresRecordVerdict) {
  auto url = testing::SharedPostgresDatabase();
  ASSERT_TRUE(url.ok()) << url.status();
  for (int threads : {1, 2, 4, 8, 16, 32}) {
    auto s = OpenStore(absl::StrCat(*url, "?pool_size=", threads));
    ASSERT_TRUE(s.ok()) << s.status();
    TimeRecordVerdict(**s, "postgres (synchronous_commit=on)", threads,
                      threads == 1 ? 1000 : 2000 / threads * 4);
  }
  for (int threads : {1, 4, 16}) {
    auto s = OpenStore(absl::StrCat(*url, "?pool_size=", threads,
                                    "&options=-c%20synchronous_commit%3Doff"));
    ASSERT_TRUE(s.ok()) << s.status();
    TimeRecordVerdict(**s, "postgres (synchronous_commit=off)", threads,
                      4000 / threads * 2);
  }
}

}  // namespace
}  // namespace vtpm::verifier
