#include "verifier/metrics/instrumented_store.h"

#include <utility>

#include "absl/time/clock.h"
#include "common/status_macros.h"

namespace vtpm::metrics {
namespace {

using ::vtpm::verifier::AttestRequest;
using ::vtpm::verifier::AuditRecord;
using ::vtpm::verifier::FailedEvidence;
using ::vtpm::verifier::IdentityQuery;
using ::vtpm::verifier::IdentityRecord;
using ::vtpm::verifier::RecordOutcome;
using ::vtpm::verifier::StoredPolicy;
using ::vtpm::verifier::StoredVerdict;
using ::vtpm::verifier::VerdictQuery;
using ::vtpm::verifier::VerdictWrite;

constexpr const char* kOpNames[] = {
    "GetIdentity",
    "FindIdentitiesByVmUuid",
    "ListIdentities",
    "CountIdentitiesByStatus",
    "UpsertIdentity",
    "SetActivatedAk",
    "SetEnrollment",
    "ForgetIdentity",
    "MarkStale",
    "RecordVerdict",
    "RecordVerdicts",
    "QueryVerdicts",
    "VerdictsAfter",
    "LastVerdictSeq",
    "RecordFailedEvidence",
    "GetFailedEvidence",
    "PruneFailedEvidence",
    "AppendAudit",
    "ListAudit",
    "RequestAttestation",
    "AttestRequestsAfter",
    "LastAttestRequestSeq",
    "PruneAttestRequests",
    "PutPolicy",
    "ListStoredPolicies",
    "PolicyRevision",
};
static_assert(std::size(kOpNames) == InstrumentedStore::kOpCount,
              "one name per Store operation");

}  // namespace

const char* InstrumentedStore::OpName(Op op) {
  return op >= 0 && op < kOpCount ? kOpNames[op] : "unknown";
}

InstrumentedStore::InstrumentedStore(std::unique_ptr<verifier::Store> inner,
                                     VerifierMetrics* metrics)
    : inner_(std::move(inner)) {
  for (int op = 0; op < kOpCount; ++op) {
    series_[op].seconds = &metrics->db_seconds->WithLabels({kOpNames[op]});
    series_[op].errors = &metrics->db_errors->WithLabels({kOpNames[op]});
  }
}

template <typename Call>
auto InstrumentedStore::Timed(Op op, Call call) -> decltype(call()) {
  const absl::Time start = absl::Now();
  auto result = call();
  series_[op].seconds->ObserveDuration(absl::Now() - start);
  const absl::Status& status = internal::ToStatus(result);
  if (!status.ok() && !absl::IsNotFound(status)) series_[op].errors->Inc();
  return result;
}

absl::StatusOr<std::optional<IdentityRecord>> InstrumentedStore::GetIdentity(
    const std::string& ek_fingerprint) {
  return Timed(kGetIdentity,
               [&] { return inner_->GetIdentity(ek_fingerprint); });
}

absl::StatusOr<std::vector<IdentityRecord>>
InstrumentedStore::FindIdentitiesByVmUuid(const std::string& vm_uuid) {
  return Timed(kFindIdentitiesByVmUuid,
               [&] { return inner_->FindIdentitiesByVmUuid(vm_uuid); });
}

absl::StatusOr<std::vector<IdentityRecord>> InstrumentedStore::ListIdentities(
    const IdentityQuery& query) {
  return Timed(kListIdentities, [&] { return inner_->ListIdentities(query); });
}

absl::StatusOr<std::map<vtpm_attest::v1::Result, int64_t>>
InstrumentedStore::CountIdentitiesByStatus() {
  return Timed(kCountIdentitiesByStatus,
               [&] { return inner_->CountIdentitiesByStatus(); });
}

absl::Status InstrumentedStore::UpsertIdentity(const IdentityRecord& record) {
  return Timed(kUpsertIdentity, [&] { return inner_->UpsertIdentity(record); });
}

absl::Status InstrumentedStore::SetActivatedAk(
    const std::string& ek_fingerprint, const std::string& ak_name,
    const std::string& ak_public) {
  return Timed(kSetActivatedAk, [&] {
    return inner_->SetActivatedAk(ek_fingerprint, ak_name, ak_public);
  });
}

absl::Status InstrumentedStore::SetEnrollment(
    const std::string& ek_fingerprint, vtpm_attest::v1::EnrollmentState state) {
  return Timed(kSetEnrollment,
               [&] { return inner_->SetEnrollment(ek_fingerprint, state); });
}

absl::Status InstrumentedStore::ForgetIdentity(
    const std::string& ek_fingerprint) {
  return Timed(kForgetIdentity,
               [&] { return inner_->ForgetIdentity(ek_fingerprint); });
}

absl::StatusOr<std::vector<IdentityRecord>> InstrumentedStore::MarkStale(
    int64_t now_unix, int limit) {
  return Timed(kMarkStale, [&] { return inner_->MarkStale(now_unix, limit); });
}

absl::StatusOr<RecordOutcome> InstrumentedStore::RecordVerdict(
    const std::string& ek_fingerprint, const vtpm_attest::v1::Verdict& verdict,
    const VerdictWrite& write) {
  return Timed(kRecordVerdict, [&] {
    return inner_->RecordVerdict(ek_fingerprint, verdict, write);
  });
}

std::vector<absl::StatusOr<RecordOutcome>> InstrumentedStore::RecordVerdicts(
    const std::vector<verifier::VerdictToRecord>& batch) {
  const absl::Time start = absl::Now();
  auto results = inner_->RecordVerdicts(batch);
  series_[kRecordVerdicts].seconds->ObserveDuration(absl::Now() - start);
  for (const auto& r : results) {
    if (!r.ok() && !absl::IsNotFound(r.status())) {
      series_[kRecordVerdicts].errors->Inc();
    }
  }
  return results;
}

absl::StatusOr<std::vector<vtpm_attest::v1::Verdict>>
InstrumentedStore::QueryVerdicts(const VerdictQuery& query) {
  return Timed(kQueryVerdicts, [&] { return inner_->QueryVerdicts(query); });
}

absl::StatusOr<std::vector<StoredVerdict>> InstrumentedStore::VerdictsAfter(
    int64_t after_seq, int limit) {
  return Timed(kVerdictsAfter,
               [&] { return inner_->VerdictsAfter(after_seq, limit); });
}

absl::StatusOr<int64_t> InstrumentedStore::LastVerdictSeq() {
  return Timed(kLastVerdictSeq, [&] { return inner_->LastVerdictSeq(); });
}

absl::Status InstrumentedStore::RecordFailedEvidence(const FailedEvidence& e) {
  return Timed(kRecordFailedEvidence,
               [&] { return inner_->RecordFailedEvidence(e); });
}

absl::StatusOr<std::optional<FailedEvidence>>
InstrumentedStore::GetFailedEvidence(const std::string& verdict_id) {
  return Timed(kGetFailedEvidence,
               [&] { return inner_->GetFailedEvidence(verdict_id); });
}

absl::StatusOr<int64_t> InstrumentedStore::PruneFailedEvidence(
    int64_t before_unix) {
  return Timed(kPruneFailedEvidence,
               [&] { return inner_->PruneFailedEvidence(before_unix); });
}

absl::StatusOr<int64_t> InstrumentedStore::AppendAudit(
    const AuditRecord& entry) {
  return Timed(kAppendAudit, [&] { return inner_->AppendAudit(entry); });
}

absl::StatusOr<std::vector<AuditRecord>> InstrumentedStore::ListAudit(
    int limit) {
  return Timed(kListAudit, [&] { return inner_->ListAudit(limit); });
}

absl::StatusOr<int64_t> InstrumentedStore::RequestAttestation(
    const std::string& ek_fingerprint, int64_t now_unix) {
  return Timed(kRequestAttestation, [&] {
    return inner_->RequestAttestation(ek_fingerprint, now_unix);
  });
}

absl::StatusOr<std::vector<AttestRequest>>
InstrumentedStore::AttestRequestsAfter(int64_t after_seq, int limit) {
  return Timed(kAttestRequestsAfter,
               [&] { return inner_->AttestRequestsAfter(after_seq, limit); });
}

absl::StatusOr<int64_t> InstrumentedStore::LastAttestRequestSeq() {
  return Timed(kLastAttestRequestSeq,
               [&] { return inner_->LastAttestRequestSeq(); });
}

absl::Status InstrumentedStore::PruneAttestRequests(int64_t before_unix) {
  return Timed(kPruneAttestRequests,
               [&] { return inner_->PruneAttestRequests(before_unix); });
}

absl::StatusOr<int64_t> InstrumentedStore::PutPolicy(
    const StoredPolicy& policy) {
  return Timed(kPutPolicy, [&] { return inner_->PutPolicy(policy); });
}

absl::StatusOr<std::vector<StoredPolicy>>
InstrumentedStore::ListStoredPolicies() {
  return Timed(kListStoredPolicies,
               [&] { return inner_->ListStoredPolicies(); });
}

absl::StatusOr<int64_t> InstrumentedStore::PolicyRevision() {
  return Timed(kPolicyRevision, [&] { return inner_->PolicyRevision(); });
}

}  // namespace vtpm::metrics
