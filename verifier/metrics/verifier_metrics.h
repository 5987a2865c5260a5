// The verifier's metrics, with stable names (dashboards and alerts depend
// on them: never rename, only add):
//
//   vtpm_attest_attestations_total{result,reason}   counter
//       One per verdict. result: pass|fail|error|stale; reason: the
//       ReasonCode name of the verdict's first reason, "none" for a PASS.
//   vtpm_attest_verification_seconds                 histogram
//       Time to verify one quote response (100 µs .. 10 s buckets).
//   vtpm_attest_connected_agents                     gauge
//   vtpm_attest_streams                              gauge
//   vtpm_attest_enrollments_total{result}            counter
//       result: activated|failed (credential activation outcome).
//   vtpm_attest_unauthenticated_attempts_total{reason}  counter
//       Streams that failed before proving they hold the TPM of the EK
//       they named; reason: the ReasonCode name of the first failure.
//   vtpm_attest_db_seconds{op}                       histogram
//   vtpm_attest_db_errors_total{op}                  counter
//       op: the Store method name (e.g. RecordVerdict); see
//       InstrumentedStore.
//   vtpm_attest_stale_transitions_total              counter
//       Identities moved to STALE by this replica.
//   vtpm_attest_webhook_deliveries_total{result}     counter
//       result: delivered|rejected|gave_up|queue_full|shutdown (see
//       notify/webhook_notifier.h).
//   vtpm_attest_identities{status}                   gauge
//       Identities per status (unspecified|pass|fail|error|stale), set
//       periodically from Store::CountIdentitiesByStatus().
//   vtpm_attest_build_info{version}                  gauge, always 1
#ifndef VTPM_VERIFIER_METRICS_VERIFIER_METRICS_H_
#define VTPM_VERIFIER_METRICS_VERIFIER_METRICS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "verifier/metrics/metrics_registry.h"
#include "verifier/store/store.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::metrics {

// Buckets of the latency histograms, in seconds: 100 µs to 10 s.
const std::vector<double>& LatencyBuckets();

// Lower-case label value of a Result: "pass", "fail", "error", "stale",
// "unspecified".
std::string ResultLabel(vtpm_attest::v1::Result result);

struct VerifierMetrics {
  // Registers every metric above in `registry` (which must outlive the
  // result) and sets build_info{version} to 1. Fails if one of the names
  // is already registered.
  static absl::StatusOr<std::unique_ptr<VerifierMetrics>> Create(
      MetricsRegistry* registry, const std::string& version);

  // Counts a verdict in attestations_total (see the label rules above) and,
  // when `verification_time` is not zero, observes verification_seconds.
  void RecordVerdict(const vtpm_attest::v1::Verdict& verdict,
                     absl::Duration verification_time = absl::ZeroDuration());

  // Sets identities{status} for every status, 0 for those absent from
  // `counts`.
  void SetIdentityCounts(
      const std::map<vtpm_attest::v1::Result, int64_t>& counts);

  // SetIdentityCounts(store.CountIdentitiesByStatus()); the store's error
  // (with context) when it fails, leaving the gauges as they were. Call it
  // periodically (e.g. every 30 s) from one place.
  absl::Status RefreshIdentityCounts(verifier::Store& store);

  CounterFamily* attestations = nullptr;  // {result, reason}
  HistogramFamily* verification_seconds = nullptr;
  GaugeFamily* connected_agents = nullptr;
  GaugeFamily* streams = nullptr;
  CounterFamily* enrollments = nullptr;               // {result}
  CounterFamily* unauthenticated_attempts = nullptr;  // {reason}
  HistogramFamily* db_seconds = nullptr;              // {op}
  CounterFamily* db_errors = nullptr;                 // {op}
  CounterFamily* stale_transitions = nullptr;
  CounterFamily* webhook_deliveries = nullptr;  // {result}
  GaugeFamily* identities = nullptr;            // {status}
  GaugeFamily* build_info = nullptr;            // {version}
};

}  // namespace vtpm::metrics

#endif  // VTPM_VERIFIER_METRICS_VERIFIER_METRICS_H_
