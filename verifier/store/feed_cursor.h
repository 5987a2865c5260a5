// A reader's position in one of the Store's seq-ordered feeds
// (VerdictsAfter, AttestRequestsAfter). On PostgreSQL a seq is drawn when
// a row is inserted, not when it commits, so a lower seq can become
// visible after a higher one. A FeedCursor therefore re-reads a window
// below the highest seq it saw and remembers which seqs in that window it
// already took, so each row is taken once and none is skipped (unless it
// stays invisible for longer than the window). Not thread-safe.
#ifndef VTPM_VERIFIER_STORE_FEED_CURSOR_H_
#define VTPM_VERIFIER_STORE_FEED_CURSOR_H_

#include <algorithm>
#include <cstdint>
#include <set>

namespace vtpm::verifier {

class FeedCursor {
 public:
  // Rows up to `start` (the feed's last seq when reading began) are never
  // taken; `window` is how far below the highest seq each read starts.
  FeedCursor(int64_t start, int64_t window)
      : start_(start), window_(window), highest_(start) {}

  // The seq to pass to the feed's *After() call.
  int64_t ReadFrom() const { return std::max(start_, highest_ - window_); }

  // True the first time a row with `seq` (> start) is seen: take it.
  bool Take(int64_t seq) {
    if (seq <= start_ || !taken_.insert(seq).second) return false;
    highest_ = std::max(highest_, seq);
    return true;
  }

  // Forgets seqs that fell below the window; call after each poll.
  void Trim() {
    while (!taken_.empty() && *taken_.begin() < highest_ - window_) {
      taken_.erase(taken_.begin());
    }
  }

  int64_t highest() const { return highest_; }

 private:
  const int64_t start_;
  const int64_t window_;
  int64_t highest_;
  std::set<int64_t> taken_;
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_STORE_FEED_CURSOR_H_
