#include "agent/backoff.h"

#include <algorithm>

namespace vtpm::agent {

std::chrono::milliseconds Backoff::Next() {
  int64_t cap = initial_.count();
  for (int i = 0; i < attempt_ && cap < max_.count(); ++i) cap *= 2;
  cap = std::min<int64_t>(cap, max_.count());
  ++attempt_;
  std::uniform_int_distribution<int64_t> dist(cap / 2, cap);
  return std::chrono::milliseconds(dist(rng_));
}

}  // namespace vtpm::agent
