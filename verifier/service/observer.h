// What the attestation service tells the rest of the verifier (metrics,
// webhooks) as it works. Transport-free; implementations must be
// thread-safe and must not block: they run on the stream's thread.
#ifndef VTPM_VERIFIER_SERVICE_OBSERVER_H_
#define VTPM_VERIFIER_SERVICE_OBSERVER_H_

#include "absl/time/time.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::verifier {

class ServiceObserver {
 public:
  virtual ~ServiceObserver() = default;

  // A verdict was stored for the first time (a retried write is not
  // reported again). `previous` is the identity's status before it;
  // `latency` runs from receiving the evidence to the verdict (zero for
  // verdicts the verifier makes by itself, such as STALE).
  virtual void OnVerdict(const vtpm_attest::v1::Verdict& verdict,
                         vtpm_attest::v1::Result previous,
                         absl::Duration latency) = 0;

  // A credential activation finished (`ok` = the AK was proven).
  virtual void OnActivation(bool ok) = 0;

  // A peer failed before proving it holds the TPM of the EK it named
  // (`reason` is the first failure); nothing was recorded for that
  // identity.
  virtual void OnUnauthenticatedAttempt(vtpm_attest::v1::ReasonCode reason) {}
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_SERVICE_OBSERVER_H_
