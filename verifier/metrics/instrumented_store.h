// A Store decorator that measures every call: its latency goes to
// vtpm_attest_db_seconds{op} and a failure to vtpm_attest_db_errors_total{op},
// where op is the Store method's name (e.g. "RecordVerdict").
//
// A failure is any non-OK status except NotFound (the documented answer
// for an unknown identity, not a database problem). Results pass through
// unchanged.
#ifndef VTPM_VERIFIER_METRICS_INSTRUMENTED_STORE_H_
#define VTPM_VERIFIER_METRICS_INSTRUMENTED_STORE_H_

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "verifier/metrics/verifier_metrics.h"
#include "verifier/store/store.h"

namespace vtpm::metrics {

class InstrumentedStore : public verifier::Store {
 public:
  // The Store operations, one per method; also the `op` label values.
  enum Op {
    kGetIdentity,
    kFindIdentitiesByVmUuid,
    kListIdentities,
    kCountIdentitiesByStatus,
    kUpsertIdentity,
    kSetActivatedAk,
    kSetEnrollment,
    kForgetIdentity,
    kMarkStale,
    kRecordVerdict,
    kRecordVerdicts,
    kQueryVerdicts,
    kVerdictsAfter,
    kLastVerdictSeq,
    kRecordFailedEvidence,
    kGetFailedEvidence,
    kPruneFailedEvidence,
    kAppendAudit,
    kListAudit,
    kRequestAttestation,
    kAttestRequestsAfter,
    kLastAttestRequestSeq,
    kPruneAttestRequests,
    kPutPolicy,
    kListStoredPolicies,
    kPolicyRevision,
    kOpCount,
  };
  // The label value of `op` (the method name).
  static const char* OpName(Op op);

  // Wraps `inner`. `metrics` must outlive this store. The series of every
  // op are created here, so calls never take the registry's locks.
  InstrumentedStore(std::unique_ptr<verifier::Store> inner,
                    VerifierMetrics* metrics);

  verifier::Store& inner() { return *inner_; }

  absl::StatusOr<std::optional<verifier::IdentityRecord>> GetIdentity(
      const std::string& ek_fingerprint) override;
  absl::StatusOr<std::vector<verifier::IdentityRecord>> FindIdentitiesByVmUuid(
      const std::string& vm_uuid) override;
  absl::StatusOr<std::vector<verifier::IdentityRecord>> ListIdentities(
      const verifier::IdentityQuery& query) override;
  absl::StatusOr<std::map<vtpm_attest::v1::Result, int64_t>>
  CountIdentitiesByStatus() override;
  absl::Status UpsertIdentity(const verifier::IdentityRecord& record) override;
  absl::Status SetActivatedAk(const std::string& ek_fingerprint,
                              const std::string& ak_name,
                              const std::string& ak_public) override;
  absl::Status SetEnrollment(const std::string& ek_fingerprint,
                             vtpm_attest::v1::EnrollmentState state) override;
  absl::Status ForgetIdentity(const std::string& ek_fingerprint) override;
  absl::StatusOr<std::vector<verifier::IdentityRecord>> MarkStale(
      int64_t now_unix, int limit) override;
  absl::StatusOr<verifier::RecordOutcome> RecordVerdict(
      const std::string& ek_fingerprint,
      const vtpm_attest::v1::Verdict& verdict,
      const verifier::VerdictWrite& write) override;
  // One observation per batch; one error per verdict that failed.
  std::vector<absl::StatusOr<verifier::RecordOutcome>> RecordVerdicts(
      const std::vector<verifier::VerdictToRecord>& batch) override;
  absl::StatusOr<std::vector<vtpm_attest::v1::Verdict>> QueryVerdicts(
      const verifier::VerdictQuery& query) override;
  absl::StatusOr<std::vector<verifier::StoredVerdict>> VerdictsAfter(
      int64_t after_seq, int limit) override;
  absl::StatusOr<int64_t> LastVerdictSeq() override;
  absl::Status RecordFailedEvidence(const verifier::FailedEvidence& e) override;
  absl::StatusOr<std::optional<verifier::FailedEvidence>> GetFailedEvidence(
      const std::string& verdict_id) override;
  absl::StatusOr<int64_t> PruneFailedEvidence(int64_t before_unix) override;
  absl::StatusOr<int64_t> AppendAudit(
      const verifier::AuditRecord& entry) override;
  absl::StatusOr<std::vector<verifier::AuditRecord>> ListAudit(
      int limit) override;
  absl::StatusOr<int64_t> RequestAttestation(const std::string& ek_fingerprint,
                                             int64_t now_unix) override;
  absl::StatusOr<std::vector<verifier::AttestRequest>> AttestRequestsAfter(
      int64_t after_seq, int limit) override;
  absl::StatusOr<int64_t> LastAttestRequestSeq() override;
  absl::Status PruneAttestRequests(int64_t before_unix) override;
  absl::StatusOr<int64_t> PutPolicy(
      const verifier::StoredPolicy& policy) override;
  absl::StatusOr<std::vector<verifier::StoredPolicy>> ListStoredPolicies()
      override;
  absl::StatusOr<int64_t> PolicyRevision() override;

 private:
  struct OpSeries {
    Histogram* seconds = nullptr;
    Counter* errors = nullptr;
  };
  // Runs `call`, observing its time and counting its failure under `op`.
  template <typename Call>
  auto Timed(Op op, Call call) -> decltype(call());

  std::unique_ptr<verifier::Store> inner_;
  std::array<OpSeries, kOpCount> series_;
};

}  // namespace vtpm::metrics

#endif  // VTPM_VERIFIER_METRICS_INSTRUMENTED_STORE_H_
