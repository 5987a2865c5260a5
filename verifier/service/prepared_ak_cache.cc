#include "verifier/service/prepared_ak_cache.h"

namespace vtpm::verifier {

absl::StatusOr<std::shared_ptr<const PreparedAk>> PreparedAkCache::Get(
    const std::string& public_area, const TPMT_PUBLIC& pub) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(public_area);
    if (it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->second;
    }
  }
  // Prepare outside the lock; a concurrent miss on the same key just
  // prepares twice.
  auto prepared = PreparedAk::FromPublic(pub);
  if (!prepared.ok()) return prepared.status();
  std::lock_guard<std::mutex> lock(mu_);
  if (index_.count(public_area) == 0 && capacity_ > 0) {
    lru_.emplace_front(public_area, *prepared);
    index_[public_area] = lru_.begin();
    while (lru_.size() > capacity_) {
      index_.erase(lru_.back().first);
      lru_.pop_back();
    }
  }
  return *prepared;
}

size_t PreparedAkCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lru_.size();
}

}  // namespace vtpm::verifier
