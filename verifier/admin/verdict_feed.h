// The live feed of verdicts recorded by any replica: one poller thread per
// process reads Store::VerdictsAfter and fans the verdicts out to
// subscribers (WatchVerdicts streams, `vtpm-attest watch|wait`).
#ifndef VTPM_VERIFIER_ADMIN_VERDICT_FEED_H_
#define VTPM_VERIFIER_ADMIN_VERDICT_FEED_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "verifier/store/feed_cursor.h"
#include "verifier/store/store.h"

namespace vtpm::verifier {

struct VerdictFeedOptions {
  absl::Duration poll_interval = absl::Milliseconds(200);
  // Verdicts read per VerdictsAfter call.
  int batch = 500;
  // Verdicts a subscriber may have queued; one more drops it.
  size_t queue_limit = 1024;
};

class VerdictFeed {
 private:
  struct Subscriber;

 public:
  // A subscriber's end. Destroying it (or Cancel()) unsubscribes. May
  // outlive the feed (Next then reports UNAVAILABLE).
  class Subscription {
   public:
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

    // The next verdict, oldest first; nullopt when `deadline` passed first.
    // Errors: RESOURCE_EXHAUSTED once the subscriber fell more than
    // queue_limit verdicts behind (it was dropped: queued verdicts are
    // discarded), UNAVAILABLE when the feed shut down, CANCELLED after
    // Cancel(). An error is final.
    absl::StatusOr<std::optional<StoredVerdict>> Next(absl::Time deadline);

    // Ends the subscription; a Next() blocked in another thread returns
    // CANCELLED. Thread-safe.
    void Cancel();

   private:
    friend class VerdictFeed;
    explicit Subscription(std::shared_ptr<Subscriber> s) : s_(std::move(s)) {}
    std::shared_ptr<Subscriber> s_;
  };

  // Starts the poller at the store's current LastVerdictSeq: subscribers
  // see verdicts recorded from now on. `store` must outlive the feed.
  static absl::StatusOr<std::unique_ptr<VerdictFeed>> Start(
      Store* store, VerdictFeedOptions options = {});
  // Shuts down.
  ~VerdictFeed();

  // Subscribes to verdicts whose identity's vm_uuid equals `vm_uuid`
  // (case-insensitive), or to all when it is empty: those recorded after
  // this call (seq above the store's LastVerdictSeq at the call; if the
  // store cannot say, every verdict the poller reads from now on).
  std::unique_ptr<Subscription> Subscribe(const std::string& vm_uuid);

  // Stops the poller and ends every subscription (UNAVAILABLE).
  // Idempotent.
  void Shutdown();

  // The last seq read from the store.
  int64_t last_seq() const;
  // Number of live subscribers.
  size_t subscribers() const;
  // The last error of the poller (OK when its last poll succeeded).
  absl::Status last_error() const;

 private:
  struct Subscriber {
    std::string vm_uuid;    // lower case; empty: all
    int64_t after_seq = 0;  // only verdicts with a higher seq
    std::mutex mu;
    std::condition_variable cv;
    std::deque<StoredVerdict> queue;
    absl::Status final_status;  // non-OK: ended
  };

  VerdictFeed(Store* store, VerdictFeedOptions options, int64_t seq)
      : store_(store),
        options_(options),
        cursor_(seq, /*window=*/256),
        last_seq_(seq) {}
  void Run();
  // One poll: reads and delivers every verdict after last_seq_.
  absl::Status PollOnce();
  void Deliver(const StoredVerdict& v);

  Store* const store_;
  const VerdictFeedOptions options_;
  std::thread thread_;
  // Where the poller reads; verdicts up to the start predate the feed
  // (poller thread only).
  FeedCursor cursor_;

  mutable std::mutex mu_;  // guards the members below
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  int64_t last_seq_;
  absl::Status last_error_;
  std::vector<std::shared_ptr<Subscriber>> subscribers_;
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_ADMIN_VERDICT_FEED_H_
