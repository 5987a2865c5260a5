#include "verifier/service/housekeeper.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/hex.h"
#include "common/status_macros.h"
#include "verifier/service/verdict_id.h"

namespace vtpm::verifier {
namespace {

using vtpm_attest::v1::Verdict;

void Log(const std::string& what, const absl::Status& s) {
  std::fprintf(stderr, "vtpm-attest-verifier: housekeeping: %s: %s\n",
               what.c_str(), std::string(s.message()).c_str());
}

}  // namespace

Housekeeper::Housekeeper(Store* store, StreamRegistry* registry,
                         ServiceObserver* observer,
                         std::function<absl::Status()> policy_poll,
                         HousekeeperOptions options)
    : store_(store),
      registry_(registry),
      observer_(observer),
      policy_poll_(std::move(policy_poll)),
      options_(std::move(options)) {}

Housekeeper::~Housekeeper() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

absl::Status Housekeeper::Start() {
  // Requests queued before this process started were for whoever held the
  // streams then.
  ASSIGN_OR_RETURN(int64_t start, store_->LastAttestRequestSeq());
  requests_.emplace(start, /*window=*/1000);
  auto now = std::chrono::steady_clock::now();
  next_policy_poll_ = now + options_.policy_poll_interval;
  next_prune_ = now;
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void Housekeeper::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    RunOnce();
    lock.lock();
    cv_.wait_for(lock, options_.tick, [this] { return stop_; });
  }
}

void Housekeeper::RunOnce() {
  if (options_.on_tick) options_.on_tick();
  auto stale = SweepStale();
  if (!stale.ok()) Log("marking stale identities", stale.status());
  PollAttestRequests();
  auto now = std::chrono::steady_clock::now();
  if (policy_poll_ && now >= next_policy_poll_) {
    next_policy_poll_ = now + options_.policy_poll_interval;
    absl::Status s = policy_poll_();
    if (!s.ok()) Log("reloading policies", s);
  }
  if (now >= next_prune_) {
    next_prune_ = now + std::chrono::minutes(10);
    int64_t unix_now = absl::ToUnixSeconds(absl::Now());
    auto pruned = store_->PruneFailedEvidence(
        unix_now - std::chrono::duration_cast<std::chrono::seconds>(
                       options_.evidence_retention)
                       .count());
    if (!pruned.ok()) Log("pruning failed evidence", pruned.status());
    absl::Status s = store_->PruneAttestRequests(unix_now - 3600);
    if (!s.ok()) Log("pruning attest-now requests", s);
  }
}

absl::StatusOr<int> Housekeeper::SweepStale() {
  int total = 0;
  while (true) {
    int64_t now = absl::ToUnixSeconds(absl::Now());
    ASSIGN_OR_RETURN(auto overdue, store_->MarkStale(now, 500));
    for (const auto& id : overdue) {
      Verdict v;
      v.set_result(vtpm_attest::v1::RESULT_STALE);
      v.mutable_identity()->set_vm_uuid(id.vm_uuid);
      v.mutable_identity()->set_ek_fingerprint(id.ek_fingerprint);
      v.mutable_identity()->set_hostname(id.hostname);
      auto* r = v.add_reasons();
      r->set_code(vtpm_attest::v1::EVIDENCE_OVERDUE);
      r->set_message(absl::StrCat(
          "no verdict since ",
          absl::FormatTime(absl::FromUnixSeconds(id.last_verdict_unix),
                           absl::UTCTimeZone()),
          "; evidence was due by ",
          absl::FormatTime(absl::FromUnixSeconds(id.next_due_unix),
                           absl::UTCTimeZone())));
      v.set_policy(id.policy);
      v.set_replica(options_.replica_name);
      v.set_verified_at_unix(now);
      v.set_verdict_id(NewVerdictId());
      auto recorded = store_->RecordVerdict(id.ek_fingerprint, v, {});
      if (!recorded.ok()) {
        // The identity is STALE already; only its history entry is lost.
        Log("recording a STALE verdict", recorded.status());
        continue;
      }
      if (observer_ != nullptr) {
        observer_->OnVerdict(v, id.status, absl::ZeroDuration());
      }
      ++total;
    }
    if (overdue.size() < 500) break;
  }
  return total;
}

void Housekeeper::PollAttestRequests() {
  int64_t from = requests_->ReadFrom();
  while (true) {
    auto requests = store_->AttestRequestsAfter(from, 1000);
    if (!requests.ok()) {
      Log("reading attest-now requests", requests.status());
      return;
    }
    for (const auto& r : *requests) {
      from = std::max(from, r.seq);
      if (requests_->Take(r.seq)) registry_->AttestNow(r.ek_fingerprint);
    }
    if (requests->size() < 1000) break;
  }
  requests_->Trim();
}

}  // namespace vtpm::verifier
