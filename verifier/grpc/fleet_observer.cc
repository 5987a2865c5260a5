#include "verifier/grpc/fleet_observer.h"

#include <cstdio>

namespace vtpm::verifier {

void FleetObserver::OnVerdict(const vtpm_attest::v1::Verdict& verdict,
                              vtpm_attest::v1::Result previous,
                              absl::Duration latency) {
  if (metrics_ != nullptr) {
    metrics_->RecordVerdict(verdict, latency);
    if (verdict.result() == vtpm_attest::v1::RESULT_STALE) {
      metrics_->stale_transitions->WithLabels({}).Inc();
    }
  }
  if (webhooks_ == nullptr) return;
  auto kind = notify::EventKindFor(previous, verdict.result());
  if (!kind.has_value()) return;
  notify::WebhookEvent event;
  event.kind = *kind;
  event.verdict = verdict;
  event.previous_status = previous;
  auto id = webhooks_->Notify(event);
  if (!id.ok()) {
    std::fprintf(stderr, "vtpm-attest-verifier: webhook not queued: %s\n",
                 std::string(id.status().message()).c_str());
  }
}

void FleetObserver::OnUnauthenticatedAttempt(
    vtpm_attest::v1::ReasonCode reason) {
  if (metrics_ == nullptr) return;
  metrics_->unauthenticated_attempts
      ->WithLabels({vtpm_attest::v1::ReasonCode_Name(reason)})
      .Inc();
}

void FleetObserver::OnActivation(bool ok) {
  if (metrics_ == nullptr) return;
  metrics_->enrollments->WithLabels({ok ? "activated" : "failed"}).Inc();
}

}  // namespace vtpm::verifier
