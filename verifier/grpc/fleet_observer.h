// Glue between the attestation service and the verifier's outputs: every
// verdict is counted in the Prometheus metrics, and FAIL, STALE and
// RECOVERED transitions become signed webhook events.
#ifndef VTPM_VERIFIER_GRPC_FLEET_OBSERVER_H_
#define VTPM_VERIFIER_GRPC_FLEET_OBSERVER_H_

#include "verifier/metrics/verifier_metrics.h"
#include "verifier/notify/webhook_notifier.h"
#include "verifier/service/observer.h"

namespace vtpm::verifier {

class FleetObserver : public ServiceObserver {
 public:
  // Either may be null; both must outlive the observer.
  FleetObserver(metrics::VerifierMetrics* metrics,
                notify::WebhookNotifier* webhooks)
      : metrics_(metrics), webhooks_(webhooks) {}

  void OnVerdict(const vtpm_attest::v1::Verdict& verdict,
                 vtpm_attest::v1::Result previous,
                 absl::Duration latency) override;
  void OnActivation(bool ok) override;
  void OnUnauthenticatedAttempt(vtpm_attest::v1::ReasonCode reason) override;

 private:
  metrics::VerifierMetrics* metrics_;
  notify::WebhookNotifier* webhooks_;
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_GRPC_FLEET_OBSERVER_H_
