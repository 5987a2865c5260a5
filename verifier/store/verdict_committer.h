// Asynchronous, batched verdict writes over any Store (group commit).
//
// Streams hand their verdicts to Submit() and return at once; one writer
// thread takes everything queued, stores it with Store::RecordVerdicts (one
// transaction) and then calls each verdict's callback with its outcome. A
// stream sends its verdict from that callback, so a verdict is never sent
// before it is stored, and no stream thread waits for a commit: the more
// verdicts arrive during one commit, the larger the next batch.
//
// Thread-safe. Callbacks run on the writer thread, in submission order;
// they must not call Submit() or block for long.
#ifndef VTPM_VERIFIER_STORE_VERDICT_COMMITTER_H_
#define VTPM_VERIFIER_STORE_VERDICT_COMMITTER_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "verifier/store/store.h"

namespace vtpm::verifier {

class VerdictCommitter {
 public:
  // Receives the submitted verdict back, with its outcome.
  using Callback = std::function<void(vtpm_attest::v1::Verdict,
                                      absl::StatusOr<RecordOutcome>)>;

  // `store` must outlive the committer. At most `max_batch` verdicts go
  // into one transaction.
  explicit VerdictCommitter(Store* store, size_t max_batch = 512);
  // Stores everything already submitted, runs its callbacks, then stops.
  ~VerdictCommitter();

  VerdictCommitter(const VerdictCommitter&) = delete;
  VerdictCommitter& operator=(const VerdictCommitter&) = delete;

  // Queues one verdict; `done` later receives it back with what
  // RecordVerdict would have returned. After the destructor started, `done`
  // runs at once with Unavailable.
  void Submit(std::string ek_fingerprint, vtpm_attest::v1::Verdict verdict,
              VerdictWrite write, Callback done);

  struct Stats {
    int64_t batches = 0;   // RecordVerdicts calls so far
    int64_t verdicts = 0;  // verdicts in them
    size_t largest_batch = 0;
  };
  Stats stats() const;

 private:
  struct Item {
    std::string ek_fingerprint;
    vtpm_attest::v1::Verdict verdict;
    VerdictWrite write;
    Callback done;
  };

  void Run();

  Store* store_;
  const size_t max_batch_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Stats stats_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_STORE_VERDICT_COMMITTER_H_
