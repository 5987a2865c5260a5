#include "verifier/metrics/verifier_metrics.h"

#include "absl/strings/ascii.h"
#include "common/status_macros.h"

namespace vtpm::metrics {

using ::vtpm_attest::v1::Result;

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double>* const kBuckets = new std::vector<double>{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
  return *kBuckets;
}

std::string ResultLabel(Result result) {
  switch (result) {
    case vtpm_attest::v1::RESULT_PASS:
      return "pass";
    case vtpm_attest::v1::RESULT_FAIL:
      return "fail";
    case vtpm_attest::v1::RESULT_ERROR:
      return "error";
    case vtpm_attest::v1::RESULT_STALE:
      return "stale";
    default:
      return "unspecified";
  }
}

absl::StatusOr<std::unique_ptr<VerifierMetrics>> VerifierMetrics::Create(
    MetricsRegistry* registry, const std::string& version) {
  auto m = std::make_unique<VerifierMetrics>();
  ASSIGN_OR_RETURN(
      m->attestations,
      registry->AddCounter("vtpm_attest_attestations_total",
                           "Verdicts by result and first reason code.",
                           {"result", "reason"}));
  ASSIGN_OR_RETURN(
      m->verification_seconds,
      registry->AddHistogram("vtpm_attest_verification_seconds",
                             "Time to verify one quote response, in seconds.",
                             {}, LatencyBuckets()));
  ASSIGN_OR_RETURN(m->connected_agents,
                   registry->AddGauge("vtpm_attest_connected_agents",
                                      "Agents with an open stream."));
  ASSIGN_OR_RETURN(m->streams, registry->AddGauge("vtpm_attest_streams",
                                                  "Open attestation streams."));
  ASSIGN_OR_RETURN(
      m->enrollments,
      registry->AddCounter("vtpm_attest_enrollments_total",
                           "Credential activations by result.", {"result"}));
  ASSIGN_OR_RETURN(
      m->unauthenticated_attempts,
      registry->AddCounter(
          "vtpm_attest_unauthenticated_attempts_total",
          "Streams that failed before proving they hold the TPM of the EK "
          "they named (nothing recorded for that identity), by the reason "
          "of the first failure.",
          {"reason"}));
  ASSIGN_OR_RETURN(
      m->db_seconds,
      registry->AddHistogram("vtpm_attest_db_seconds",
                             "Store call latency by operation, in seconds.",
                             {"op"}, LatencyBuckets()));
  ASSIGN_OR_RETURN(
      m->db_errors,
      registry->AddCounter("vtpm_attest_db_errors_total",
                           "Failed store calls by operation.", {"op"}));
  ASSIGN_OR_RETURN(
      m->stale_transitions,
      registry->AddCounter("vtpm_attest_stale_transitions_total",
                           "Identities this replica moved to STALE."));
  ASSIGN_OR_RETURN(
      m->webhook_deliveries,
      registry->AddCounter("vtpm_attest_webhook_deliveries_total",
                           "Webhook events by final outcome.", {"result"}));
  ASSIGN_OR_RETURN(
      m->identities,
      registry->AddGauge("vtpm_attest_identities",
                         "Enrolled identities by status.", {"status"}));
  ASSIGN_OR_RETURN(
      m->build_info,
      registry->AddGauge("vtpm_attest_build_info",
                         "Verifier build; the value is 1.", {"version"}));
  m->build_info->WithLabels({version}).Set(1);
  // Series that dashboards expect to exist before the first event.
  m->connected_agents->WithLabels({});
  m->streams->WithLabels({});
  m->stale_transitions->WithLabels({});
  m->SetIdentityCounts({});
  return m;
}

void VerifierMetrics::RecordVerdict(const vtpm_attest::v1::Verdict& verdict,
                                    absl::Duration verification_time) {
  std::string reason = "none";
  if (verdict.result() != vtpm_attest::v1::RESULT_PASS) {
    reason = verdict.reasons_size() > 0
                 ? vtpm_attest::v1::ReasonCode_Name(verdict.reasons(0).code())
                 : "REASON_CODE_UNSPECIFIED";
    // An unknown (newer) enum value has no name.
    if (reason.empty()) {
      reason = std::to_string(static_cast<int>(verdict.reasons(0).code()));
    }
  }
  attestations->WithLabels({ResultLabel(verdict.result()), reason}).Inc();
  if (verification_time != absl::ZeroDuration()) {
    verification_seconds->WithLabels({}).ObserveDuration(verification_time);
  }
}

void VerifierMetrics::SetIdentityCounts(
    const std::map<Result, int64_t>& counts) {
  for (Result r :
       {vtpm_attest::v1::RESULT_UNSPECIFIED, vtpm_attest::v1::RESULT_PASS,
        vtpm_attest::v1::RESULT_FAIL, vtpm_attest::v1::RESULT_ERROR,
        vtpm_attest::v1::RESULT_STALE}) {
    auto it = counts.find(r);
    identities->WithLabels({ResultLabel(r)})
        .Set(it == counts.end() ? 0.0 : static_cast<double>(it->second));
  }
}

absl::Status VerifierMetrics::RefreshIdentityCounts(verifier::Store& store) {
  absl::StatusOr<std::map<Result, int64_t>> counts =
      store.CountIdentitiesByStatus();
  RETURN_IF_ERROR_CTX(counts, "refreshing vtpm_attest_identities");
  SetIdentityCounts(*counts);
  return absl::OkStatus();
}

}  // namespace vtpm::metrics
