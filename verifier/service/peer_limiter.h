// Bounds on what a peer that has not proven it holds a TPM can make the
// verifier do: concurrent unproven streams per peer address and in all,
// the rate of new streams (Hellos, each of which may cost a
// MakeCredential) per peer address, and the rate at which its failures
// are written to the audit trail. Transport-free: the session asks it at
// the start of each stream. Thread-safe.
#ifndef VTPM_VERIFIER_SERVICE_PEER_LIMITER_H_
#define VTPM_VERIFIER_SERVICE_PEER_LIMITER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace vtpm::verifier {

struct PeerLimits {
  // Streams that have not yet proven possession of a TPM, from one peer
  // address and from all peers. 0: no limit.
  size_t max_unproven_streams_per_peer = 16;
  size_t max_unproven_streams = 4096;
  // New streams per second from one peer address (token bucket with this
  // burst). 0: no limit. Agents behind one NAT address share it.
  double streams_per_second_per_peer = 50;
  double stream_burst_per_peer = 200;
  // Unauthenticated attempts of one peer address written to the audit
  // trail per minute (token bucket, burst the same); the rest are counted
  // in metrics only.
  double audited_attempts_per_minute_per_peer = 10;
  // Peers tracked at once; beyond this the idle ones are forgotten first.
  size_t max_tracked_peers = 100000;
};

// The address a limit applies to, from a gRPC peer string:
// "ipv4:10.0.0.5:41234" -> "10.0.0.5"; "ipv6:[2001:db8::1]:443" ->
// "2001:db8:0:0::/64" (one /64, which one host can fill with addresses);
// anything else as it is.
std::string PeerAddress(absl::string_view grpc_peer);

class PeerLimiter {
 public:
  using Clock = std::function<absl::Time()>;

  // `clock` defaults to absl::Now (tests inject their own).
  explicit PeerLimiter(PeerLimits limits = {}, Clock clock = nullptr);
  PeerLimiter(const PeerLimiter&) = delete;
  PeerLimiter& operator=(const PeerLimiter&) = delete;

  // Holds one unproven stream's place until Proven() or destruction.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept { *this = std::move(other); }
    Ticket& operator=(Ticket&& other) noexcept;
    ~Ticket() { Release(); }
    // The stream proved possession: it no longer counts as unproven.
    void Proven() { Release(); }
    bool held() const { return limiter_ != nullptr; }

   private:
    friend class PeerLimiter;
    void Release();
    PeerLimiter* limiter_ = nullptr;
    std::string address_;
  };

  // A new stream from `address` (PeerAddress): a ticket, or RATE_LIMITED
  // saying which limit it hit.
  absl::StatusOr<Ticket> Admit(const std::string& address);

  // Whether an unauthenticated attempt of `address` may be written to the
  // audit trail now (the audit rate per peer); counts it either way.
  bool AllowAudit(const std::string& address);

  size_t unproven_streams() const;
  size_t tracked_peers() const;

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
  };
  struct Peer {
    size_t unproven = 0;
    Bucket streams;
    Bucket audit;
    absl::Time last_seen;
  };

  Peer& PeerLocked(const std::string& address, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReleaseLocked(const std::string& address)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Release(const std::string& address);

  const PeerLimits limits_;
  const Clock clock_;
  mutable absl::Mutex mu_;
  std::unordered_map<std::string, Peer> peers_ ABSL_GUARDED_BY(mu_);
  size_t unproven_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_SERVICE_PEER_LIMITER_H_
