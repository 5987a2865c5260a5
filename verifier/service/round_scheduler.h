// One thread that runs callbacks at given times: the verifier's quote
// rounds for every daemon stream (tens of thousands of pending timers cost
// one heap entry each, not one thread each).
#ifndef VTPM_VERIFIER_SERVICE_ROUND_SCHEDULER_H_
#define VTPM_VERIFIER_SERVICE_ROUND_SCHEDULER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace vtpm::verifier {

class RoundScheduler {
 public:
  using Clock = std::chrono::steady_clock;

  RoundScheduler();
  // Stops the thread; callbacks not yet due are dropped without running.
  ~RoundScheduler();
  RoundScheduler(const RoundScheduler&) = delete;
  RoundScheduler& operator=(const RoundScheduler&) = delete;

  // Runs `fn` on the scheduler's thread at `when` (at once if it passed).
  // `fn` must be quick and must not call Schedule's owner's destructor;
  // it may call Schedule.
  void Schedule(Clock::time_point when, std::function<void()> fn);

  // Number of callbacks waiting.
  size_t pending() const;

 private:
  struct Entry {
    Clock::time_point when;
    uint64_t order;  // FIFO among equal times
    std::function<void()> fn;
    bool operator>(const Entry& o) const {
      return when != o.when ? when > o.when : order > o.order;
    }
  };
  void Run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
  uint64_t next_order_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_SERVICE_ROUND_SCHEDULER_H_
