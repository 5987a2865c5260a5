#include "verifier/admin/verdict_feed.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"

namespace vtpm::verifier {
namespace {

// Ends `s` with `status` unless it already ended; wakes its reader.
template <typename S>
void End(S& s, const absl::Status& status, bool discard_queue) {
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (!s.final_status.ok()) return;
    s.final_status = status;
    if (discard_queue) s.queue.clear();
  }
  s.cv.notify_all();
}

}  // namespace

VerdictFeed::Subscription::~Subscription() { Cancel(); }

void VerdictFeed::Subscription::Cancel() {
  End(*s_, absl::CancelledError("subscription cancelled"),
      /*discard_queue=*/true);
}

absl::StatusOr<std::optional<StoredVerdict>> VerdictFeed::Subscription::Next(
    absl::Time deadline) {
  std::unique_lock<std::mutex> lock(s_->mu);
  while (true) {
    // Queued verdicts go out before a shutdown is reported; a dropped or
    // cancelled subscriber has an empty queue.
    if (!s_->queue.empty()) {
      StoredVerdict v = std::move(s_->queue.front());
      s_->queue.pop_front();
      return std::optional<StoredVerdict>(std::move(v));
    }
    if (!s_->final_status.ok()) return s_->final_status;
    absl::Time now = absl::Now();
    if (now >= deadline) return std::optional<StoredVerdict>();
    s_->cv.wait_for(lock, absl::ToChronoNanoseconds(deadline - now));
  }
}

absl::StatusOr<std::unique_ptr<VerdictFeed>> VerdictFeed::Start(
    Store* store, VerdictFeedOptions options) {
  if (store == nullptr) return absl::InvalidArgumentError("no store");
  if (options.batch <= 0 || options.queue_limit == 0) {
    return absl::InvalidArgumentError("verdict feed: bad options");
  }
  absl::StatusOr<int64_t> seq = store->LastVerdictSeq();
  if (!seq.ok()) return Annotate(seq.status(), "verdict feed");
  std::unique_ptr<VerdictFeed> feed(new VerdictFeed(store, options, *seq));
  feed->thread_ = std::thread([f = feed.get()] { f->Run(); });
  return feed;
}

VerdictFeed::~VerdictFeed() { Shutdown(); }

void VerdictFeed::Shutdown() {
  std::vector<std::shared_ptr<Subscriber>> subs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    subs.swap(subscribers_);
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& s : subs) {
    End(*s, absl::UnavailableError("the verifier is shutting down"),
        /*discard_queue=*/false);
  }
}

std::unique_ptr<VerdictFeed::Subscription> VerdictFeed::Subscribe(
    const std::string& vm_uuid) {
  auto s = std::make_shared<Subscriber>();
  s->vm_uuid = absl::AsciiStrToLower(vm_uuid);
  if (absl::StatusOr<int64_t> seq = store_->LastVerdictSeq(); seq.ok()) {
    s->after_seq = *seq;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) {
    s->final_status = absl::UnavailableError("the verifier is shutting down");
  } else {
    subscribers_.push_back(s);
  }
  return std::unique_ptr<Subscription>(new Subscription(std::move(s)));
}

int64_t VerdictFeed::last_seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_seq_;
}

size_t VerdictFeed::subscribers() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& s : subscribers_) {
    std::lock_guard<std::mutex> sl(s->mu);
    if (s->final_status.ok()) ++n;
  }
  return n;
}

absl::Status VerdictFeed::last_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_error_;
}

void VerdictFeed::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    absl::Status st = PollOnce();
    lock.lock();
    if (!st.ok() && last_error_.ok()) {
      std::fprintf(stderr, "verdict feed: %s\n", st.ToString().c_str());
    }
    last_error_ = st;
    stop_cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.poll_interval),
                      [this] { return stopping_; });
  }
}

absl::Status VerdictFeed::PollOnce() {
  // Verdicts may become visible out of seq order (see FeedCursor).
  int64_t after = cursor_.ReadFrom();
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return absl::OkStatus();
      // Forget subscribers that ended.
      subscribers_.erase(
          std::remove_if(subscribers_.begin(), subscribers_.end(),
                         [](const std::shared_ptr<Subscriber>& s) {
                           std::lock_guard<std::mutex> sl(s->mu);
                           return !s->final_status.ok();
                         }),
          subscribers_.end());
    }
    ASSIGN_OR_RETURN(std::vector<StoredVerdict> batch,
                     store_->VerdictsAfter(after, options_.batch));
    for (const StoredVerdict& v : batch) {
      after = std::max(after, v.seq);
      if (!cursor_.Take(v.seq)) continue;
      Deliver(v);
      std::lock_guard<std::mutex> lock(mu_);
      last_seq_ = std::max(last_seq_, v.seq);
    }
    if (static_cast<int>(batch.size()) < options_.batch) break;
  }
  cursor_.Trim();
  return absl::OkStatus();
}

void VerdictFeed::Deliver(const StoredVerdict& v) {
  std::vector<std::shared_ptr<Subscriber>> subs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    subs = subscribers_;
  }
  std::string vm = absl::AsciiStrToLower(v.verdict.identity().vm_uuid());
  for (auto& s : subs) {
    if (!s->vm_uuid.empty() && s->vm_uuid != vm) continue;
    if (v.seq <= s->after_seq) continue;
    {
      std::lock_guard<std::mutex> sl(s->mu);
      if (!s->final_status.ok()) continue;
      if (s->queue.size() >= options_.queue_limit) {
        s->queue.clear();
        s->final_status = absl::ResourceExhaustedError(
            absl::StrCat("subscriber dropped: it fell more than ",
                         options_.queue_limit, " verdicts behind"));
      } else {
        s->queue.push_back(v);
      }
    }
    s->cv.notify_all();
  }
}

}  // namespace vtpm::verifier
