#include "verifier/service/round_scheduler.h"

namespace vtpm::verifier {

RoundScheduler::RoundScheduler() : thread_([this] { Run(); }) {}

RoundScheduler::~RoundScheduler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void RoundScheduler::Schedule(Clock::time_point when,
                              std::function<void()> fn) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake = heap_.empty() || when < heap_.top().when;
    heap_.push(Entry{when, next_order_++, std::move(fn)});
  }
  if (wake) cv_.notify_one();
}

size_t RoundScheduler::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return heap_.size();
}

void RoundScheduler::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (heap_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto when = heap_.top().when;
    if (Clock::now() < when) {
      cv_.wait_until(lock, when);
      continue;
    }
    // priority_queue::top is const; the entry is popped right after.
    auto fn = std::move(const_cast<Entry&>(heap_.top()).fn);
    heap_.pop();
    lock.unlock();
    fn();
    lock.lock();
  }
}

}  // namespace vtpm::verifier
