// The verifier's periodic, fleet-wide chores, on one thread per replica:
//  - STALE: identities whose evidence is overdue move to RESULT_STALE and
//    get a STALE verdict (Store::MarkStale hands each one to exactly one
//    replica, so each transition is recorded and notified once);
//  - attest-now: requests queued by operators on any replica are passed
//    to the local stream of that EK, if this replica holds it;
//  - policies: a hook that lets the policy registry pick up policies
//    applied on other replicas;
//  - retention: raw evidence of failures older than the retention period
//    and old attest-now requests are deleted.
// Transport-free; errors are logged and retried on the next tick.
#ifndef VTPM_VERIFIER_SERVICE_HOUSEKEEPER_H_
#define VTPM_VERIFIER_SERVICE_HOUSEKEEPER_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "verifier/service/observer.h"
#include "verifier/service/stream_registry.h"
#include "verifier/store/feed_cursor.h"
#include "verifier/store/store.h"

namespace vtpm::verifier {

struct HousekeeperOptions {
  std::chrono::milliseconds tick{1000};
  // Raw evidence of failed attestations is kept this long.
  std::chrono::hours evidence_retention{24 * 14};
  // How often policies are re-checked (policy_poll below).
  std::chrono::seconds policy_poll_interval{5};
  std::string replica_name;
  // Runs on every tick (e.g. to refresh gauges); may be empty.
  std::function<void()> on_tick;
};

class Housekeeper {
 public:
  // `store`, `registry` and `observer` (may be null) must outlive it.
  // `policy_poll` (may be empty) runs every policy_poll_interval.
  Housekeeper(Store* store, StreamRegistry* registry, ServiceObserver* observer,
              std::function<absl::Status()> policy_poll,
              HousekeeperOptions options);
  ~Housekeeper();  // stops the thread

  // Starts the thread. Attest-now requests queued before Start() are
  // skipped (they were for whoever held the streams before).
  absl::Status Start();

  // One pass of every chore, on the caller's thread (tests).
  void RunOnce();

  // Moves overdue identities to STALE now; returns how many.
  absl::StatusOr<int> SweepStale();

 private:
  void Loop();
  void PollAttestRequests();

  Store* store_;
  StreamRegistry* registry_;
  ServiceObserver* observer_;
  std::function<absl::Status()> policy_poll_;
  HousekeeperOptions options_;
  // Position in the attest-now queue; set by Start().
  std::optional<FeedCursor> requests_;
  std::chrono::steady_clock::time_point next_policy_poll_;
  std::chrono::steady_clock::time_point next_prune_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_SERVICE_HOUSEKEEPER_H_
