// Reconnect delays: exponential backoff with full jitter, so that a fleet
// of agents does not reconnect in lockstep after a verifier restart.
#ifndef VTPM_AGENT_BACKOFF_H_
#define VTPM_AGENT_BACKOFF_H_

#include <chrono>
#include <random>

namespace vtpm::agent {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
      : initial_(initial), max_(max), rng_(std::random_device{}()) {}

  // The delay before the next attempt: uniform in [cap/2, cap] where cap
  // doubles from `initial` per failure up to `max`.
  std::chrono::milliseconds Next();
  // After a successful connection.
  void Reset() { attempt_ = 0; }
  int attempt() const { return attempt_; }

 private:
  std::chrono::milliseconds initial_, max_;
  int attempt_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace vtpm::agent

#endif  // VTPM_AGENT_BACKOFF_H_
