#include "verifier/quote/nonce_store.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

#include "common/hex.h"
#include "common/ossl.h"
#include "common/reason.h"

namespace vtpm::verifier {

namespace v1 = ::vtpm_attest::v1;

NonceStore::NonceStore(absl::Duration ttl, Clock clock, size_t max_sessions,
                       size_t max_used)
    : ttl_(ttl),
      clock_(clock ? std::move(clock) : Clock([] { return absl::Now(); })),
      max_sessions_(max_sessions == 0 ? 1 : max_sessions),
      max_used_(max_used) {}

std::string NonceStore::Issue(const std::string& session_key) {
  std::string nonce(kNonceSize, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()),
                 static_cast<int>(nonce.size())) != 1) {
    std::fprintf(stderr, "NonceStore: RAND_bytes failed; aborting\n");
    std::abort();
  }
  absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  PruneLocked(now);
  auto it = by_session_.find(session_key);
  if (it != by_session_.end()) {
    by_age_.erase(it->second.seq);
    by_session_.erase(it);
  }
  while (by_session_.size() >= max_sessions_ && !by_age_.empty()) {
    by_session_.erase(by_age_.begin()->second);
    by_age_.erase(by_age_.begin());
  }
  uint64_t seq = next_seq_++;
  by_session_[session_key] = Outstanding{nonce, now + ttl_, seq};
  by_age_.emplace(seq, session_key);
  return nonce;
}

absl::Status NonceStore::Consume(const std::string& session_key,
                                 absl::string_view nonce_in_quote) {
  absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  PruneLocked(now);
  if (used_.count(std::string(nonce_in_quote))) {
    return ReasonError(v1::QUOTE_REPLAYED,
                       "the quote's nonce was already used by an earlier "
                       "quote");
  }
  auto it = by_session_.find(session_key);
  if (it == by_session_.end() ||
      !ConstantTimeEquals(it->second.nonce, nonce_in_quote)) {
    return ReasonError(v1::NONCE_MISMATCH,
                       it == by_session_.end()
                           ? "no nonce is outstanding for this session"
                           : "the quote's nonce is not the one issued to "
                             "this session");
  }
  if (now >= it->second.expires) {
    return ReasonError(v1::NONCE_EXPIRED,
                       "the nonce expired " +
                           absl::FormatDuration(now - it->second.expires) +
                           " ago (TTL " + absl::FormatDuration(ttl_) + ")");
  }
  std::string nonce = std::move(it->second.nonce);
  by_age_.erase(it->second.seq);
  by_session_.erase(it);
  RememberUsedLocked(std::move(nonce));
  return absl::OkStatus();
}

size_t NonceStore::outstanding() const {
  absl::MutexLock lock(&mu_);
  return by_session_.size();
}

size_t NonceStore::remembered_used() const {
  absl::MutexLock lock(&mu_);
  return used_.size();
}

void NonceStore::PruneLocked(absl::Time now) {
  // All nonces share one TTL, so issue order is expiry order.
  while (!by_age_.empty()) {
    auto oldest = by_session_.find(by_age_.begin()->second);
    if (oldest != by_session_.end() && oldest->second.expires + ttl_ > now) {
      break;
    }
    if (oldest != by_session_.end()) by_session_.erase(oldest);
    by_age_.erase(by_age_.begin());
  }
}

void NonceStore::RememberUsedLocked(std::string nonce) {
  if (max_used_ == 0) return;
  while (used_order_.size() >= max_used_) {
    used_.erase(used_order_.front());
    used_order_.pop_front();
  }
  used_.insert(nonce);
  used_order_.push_back(std::move(nonce));
}

}  // namespace vtpm::verifier
