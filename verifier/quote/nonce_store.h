// Quote nonces: issued per session, consumed once.
//
// Each session (e.g. an agent's stream) has at most one outstanding nonce;
// issuing a new one replaces it. A quote's nonce is accepted once, for the
// session it was issued to, before its TTL runs out.
//
// Memory is bounded:
//  - Outstanding nonces: at most `max_sessions`; issuing beyond that evicts
//    the session whose nonce was issued first. Nonces are pruned
//    `ttl` after they expire (until then a late quote is still reported as
//    NONCE_EXPIRED rather than NONCE_MISMATCH).
//  - Consumed nonces: the last `max_used` are remembered (first in, first
//    out) so that a replay is reported as QUOTE_REPLAYED. Forgetting one
//    weakens nothing: a consumed nonce is no longer outstanding, so a
//    replay of a forgotten one still fails, as NONCE_MISMATCH.
#ifndef VTPM_VERIFIER_QUOTE_NONCE_STORE_H_
#define VTPM_VERIFIER_QUOTE_NONCE_STORE_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace vtpm::verifier {

class NonceStore {
 public:
  using Clock = std::function<absl::Time()>;

  static constexpr size_t kNonceSize = 32;
  static constexpr size_t kDefaultMaxSessions = 100000;
  static constexpr size_t kDefaultMaxUsed = 100000;

  // `clock` defaults to absl::Now (tests inject their own).
  explicit NonceStore(absl::Duration ttl = absl::Seconds(120),
                      Clock clock = nullptr,
                      size_t max_sessions = kDefaultMaxSessions,
                      size_t max_used = kDefaultMaxUsed);

  NonceStore(const NonceStore&) = delete;
  NonceStore& operator=(const NonceStore&) = delete;

  // A fresh 32-byte nonce from RAND_bytes, outstanding for `session_key`
  // until now + ttl; replaces the session's previous outstanding nonce.
  // Aborts the process if the CSPRNG fails (it never returns a weak nonce).
  std::string Issue(const std::string& session_key);

  // Accepts `nonce_in_quote` once for `session_key`:
  //  - OK when it equals the session's outstanding, unexpired nonce (which
  //    is then consumed);
  //  - QUOTE_REPLAYED when it was already consumed (by any session);
  //  - NONCE_EXPIRED when it equals the session's nonce but the TTL ran
  //    out;
  //  - NONCE_MISMATCH otherwise (unknown session, another nonce).
  absl::Status Consume(const std::string& session_key,
                       absl::string_view nonce_in_quote);

  // Counts, for tests and metrics.
  size_t outstanding() const;
  size_t remembered_used() const;

 private:
  struct Outstanding {
    std::string nonce;
    absl::Time expires;
    uint64_t seq;  // issue order, for eviction
  };

  void PruneLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RememberUsedLocked(std::string nonce) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const absl::Duration ttl_;
  const Clock clock_;
  const size_t max_sessions_;
  const size_t max_used_;

  mutable absl::Mutex mu_;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
  std::unordered_map<std::string, Outstanding> by_session_ ABSL_GUARDED_BY(mu_);
  // seq -> session key, oldest first (pruning and eviction).
  std::map<uint64_t, std::string> by_age_ ABSL_GUARDED_BY(mu_);
  std::unordered_set<std::string> used_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> used_order_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_QUOTE_NONCE_STORE_H_
