#include "verifier/service/peer_limiter.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/reason.h"

namespace vtpm::verifier {
namespace {

// Refills a token bucket at `rate` per second up to `burst`, then takes
// one token if there is one. A bucket seen for the first time is full.
template <typename Bucket>
bool Take(Bucket& b, double rate, double burst, absl::Time now) {
  if (b.updated == absl::Time()) {
    b.tokens = burst;
  } else if (now > b.updated) {
    b.tokens = std::min(
        burst, b.tokens + rate * absl::ToDoubleSeconds(now - b.updated));
  }
  b.updated = now;
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

}  // namespace

std::string PeerAddress(absl::string_view peer) {
  if (absl::ConsumePrefix(&peer, "ipv4:")) {
    size_t colon = peer.rfind(':');
    return std::string(
        colon == absl::string_view::npos ? peer : peer.substr(0, colon));
  }
  if (absl::ConsumePrefix(&peer, "ipv6:")) {
    absl::string_view host = peer;
    if (absl::StartsWith(host, "[")) {
      size_t end = host.find(']');
      host =
          host.substr(1, end == absl::string_view::npos ? host.npos : end - 1);
    }
    // A zone ("%eth0") is not part of the address.
    host = host.substr(0, host.find('%'));
    boost::system::error_code ec;
    auto a = boost::asio::ip::make_address_v6(std::string(host), ec);
    if (ec) return std::string(host);
    if (a.is_v4_mapped()) {
      return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a)
          .to_string();
    }
    auto bytes = a.to_bytes();
    return absl::StrFormat("%x:%x:%x:%x::/64", bytes[0] << 8 | bytes[1],
                           bytes[2] << 8 | bytes[3], bytes[4] << 8 | bytes[5],
                           bytes[6] << 8 | bytes[7]);
  }
  return std::string(peer);
}

PeerLimiter::PeerLimiter(PeerLimits limits, Clock clock)
    : limits_(limits),
      clock_(clock ? std::move(clock) : [] { return absl::Now(); }) {}

PeerLimiter::Ticket& PeerLimiter::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    Release();
    limiter_ = other.limiter_;
    address_ = std::move(other.address_);
    other.limiter_ = nullptr;
  }
  return *this;
}

void PeerLimiter::Ticket::Release() {
  if (limiter_ == nullptr) return;
  limiter_->Release(address_);
  limiter_ = nullptr;
}

PeerLimiter::Peer& PeerLimiter::PeerLocked(const std::string& address,
                                           absl::Time now) {
  auto it = peers_.find(address);
  if (it == peers_.end()) {
    if (limits_.max_tracked_peers > 0 &&
        peers_.size() >= limits_.max_tracked_peers) {
      // Forget the idle peers seen longest ago (never one with open
      // unproven streams: its count must stay right).
      std::vector<std::pair<absl::Time, std::string>> idle;
      for (const auto& [a, p] : peers_) {
        if (p.unproven == 0) idle.emplace_back(p.last_seen, a);
      }
      std::sort(idle.begin(), idle.end());
      size_t drop = std::max<size_t>(1, idle.size() / 4);
      for (size_t i = 0; i < idle.size() && i < drop; ++i) {
        peers_.erase(idle[i].second);
      }
    }
    it = peers_.emplace(address, Peer{}).first;
  }
  it->second.last_seen = now;
  return it->second;
}

absl::StatusOr<PeerLimiter::Ticket> PeerLimiter::Admit(
    const std::string& address) {
  const absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  Peer& p = PeerLocked(address, now);
  if (limits_.max_unproven_streams > 0 &&
      unproven_ >= limits_.max_unproven_streams) {
    return ReasonError(
        vtpm_attest::v1::RATE_LIMITED,
        absl::StrCat("the verifier holds ", unproven_,
                     " streams that have not proven a TPM yet (the limit); "
                     "retry later"));
  }
  if (limits_.max_unproven_streams_per_peer > 0 &&
      p.unproven >= limits_.max_unproven_streams_per_peer) {
    return ReasonError(
        vtpm_attest::v1::RATE_LIMITED,
        absl::StrCat(address, " has ", p.unproven,
                     " streams that have not proven a TPM yet (the limit "
                     "per peer); retry later"));
  }
  if (limits_.streams_per_second_per_peer > 0 &&
      !Take(p.streams, limits_.streams_per_second_per_peer,
            std::max(1.0, limits_.stream_burst_per_peer), now)) {
    return ReasonError(
        vtpm_attest::v1::RATE_LIMITED,
        absl::StrFormat("%s opens streams faster than %.0f per second; "
                        "retry later",
                        address, limits_.streams_per_second_per_peer));
  }
  ++p.unproven;
  ++unproven_;
  Ticket t;
  t.limiter_ = this;
  t.address_ = address;
  return t;
}

void PeerLimiter::Release(const std::string& address) {
  absl::MutexLock lock(&mu_);
  ReleaseLocked(address);
}

void PeerLimiter::ReleaseLocked(const std::string& address) {
  if (unproven_ > 0) --unproven_;
  auto it = peers_.find(address);
  if (it != peers_.end() && it->second.unproven > 0) --it->second.unproven;
}

bool PeerLimiter::AllowAudit(const std::string& address) {
  const absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  Peer& p = PeerLocked(address, now);
  double per_minute = limits_.audited_attempts_per_minute_per_peer;
  if (per_minute <= 0) return false;
  return Take(p.audit, per_minute / 60.0, per_minute, now);
}

size_t PeerLimiter::unproven_streams() const {
  absl::MutexLock lock(&mu_);
  return unproven_;
}

size_t PeerLimiter::tracked_peers() const {
  absl::MutexLock lock(&mu_);
  return peers_.size();
}

}  // namespace vtpm::verifier
