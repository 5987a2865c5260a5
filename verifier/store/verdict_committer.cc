#include "verifier/store/verdict_committer.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace vtpm::verifier {

VerdictCommitter::VerdictCommitter(Store* store, size_t max_batch)
    : store_(store), max_batch_(max_batch == 0 ? 1 : max_batch) {
  writer_ = std::thread([this] { Run(); });
}

VerdictCommitter::~VerdictCommitter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

void VerdictCommitter::Submit(std::string ek_fingerprint,
                              vtpm_attest::v1::Verdict verdict,
                              VerdictWrite write, Callback done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      queue_.push_back(Item{std::move(ek_fingerprint), std::move(verdict),
                            std::move(write), std::move(done)});
      if (queue_.size() == 1) cv_.notify_one();
      return;
    }
  }
  done(std::move(verdict),
       absl::UnavailableError("the verifier is shutting down"));
}

VerdictCommitter::Stats VerdictCommitter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void VerdictCommitter::Run() {
  std::vector<Item> batch;
  std::vector<VerdictToRecord> refs;
  while (true) {
    batch.clear();
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is stored
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      ++stats_.batches;
      stats_.verdicts += static_cast<int64_t>(batch.size());
      stats_.largest_batch = std::max(stats_.largest_batch, batch.size());
    }
    refs.clear();
    for (const Item& item : batch) {
      refs.push_back({&item.ek_fingerprint, &item.verdict, &item.write});
    }
    std::vector<absl::StatusOr<RecordOutcome>> outcomes =
        store_->RecordVerdicts(refs);
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].done(std::move(batch[i].verdict),
                    i < outcomes.size()
                        ? std::move(outcomes[i])
                        : absl::InternalError("store returned no outcome"));
    }
  }
}

}  // namespace vtpm::verifier
