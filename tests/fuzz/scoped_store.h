// A Store for one fuzz input: every call goes to the process's real store
// (SQLite), so agent-controlled strings and blobs reach the real SQL, but
// identities are answered from what this input wrote, as if the database
// had been empty when the input started. Without it an identity activated
// by one input would change how the next input's conversation runs, and
// crashes would not reproduce from their input alone.
#ifndef VTPM_TESTS_FUZZ_SCOPED_STORE_H_
#define VTPM_TESTS_FUZZ_SCOPED_STORE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "verifier/store/store.h"

namespace vtpm::fuzz {

class InputScopedStore : public verifier::Store {
 public:
  // `backing` must outlive this store.
  explicit InputScopedStore(verifier::Store* backing) : backing_(backing) {}

  // --- Identities: scoped to this input -------------------------------------
  // Each call goes to the backing store first (its error, if any, is
  // returned); reads are then answered from this input's own writes, and
  // writes are remembered only if the backing store accepted them, with the
  // Store contract's semantics (upsert keeps first_seen, enrollment, the
  // activated AK, status, due time and clock; the others need an identity
  // this input wrote).

  absl::StatusOr<std::optional<verifier::IdentityRecord>> GetIdentity(
      const std::string& ek_fingerprint) override;
  // Only identities this input wrote, most recently seen first.
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

  // Goes to the backing store; when it stored the verdict, the identity's
  // status, due time and clock change here too, and previous_status is
  // this input's view.
  absl::StatusOr<verifier::RecordOutcome> RecordVerdict(
      const std::string& ek_fingerprint,
      const vtpm_attest::v1::Verdict& verdict,
      const verifier::VerdictWrite& write) override;

  // --- Everything else goes straight to the backing store -------------------

  absl::StatusOr<std::vector<vtpm_attest::v1::Verdict>> QueryVerdicts(
      const verifier::VerdictQuery& query) override {
    return backing_->QueryVerdicts(query);
  }
  absl::StatusOr<std::vector<verifier::StoredVerdict>> VerdictsAfter(
      int64_t after_seq, int limit) override {
    return backing_->VerdictsAfter(after_seq, limit);
  }
  absl::StatusOr<int64_t> LastVerdictSeq() override {
    return backing_->LastVerdictSeq();
  }
  absl::Status RecordFailedEvidence(
      const verifier::FailedEvidence& e) override {
    return backing_->RecordFailedEvidence(e);
  }
  absl::StatusOr<std::optional<verifier::FailedEvidence>> GetFailedEvidence(
      const std::string& verdict_id) override {
    return backing_->GetFailedEvidence(verdict_id);
  }
  absl::StatusOr<int64_t> PruneFailedEvidence(int64_t before_unix) override {
    return backing_->PruneFailedEvidence(before_unix);
  }
  absl::StatusOr<int64_t> AppendAudit(
      const verifier::AuditRecord& entry) override {
    return backing_->AppendAudit(entry);
  }
  absl::StatusOr<std::vector<verifier::AuditRecord>> ListAudit(
      int limit) override {
    return backing_->ListAudit(limit);
  }
  absl::StatusOr<int64_t> RequestAttestation(const std::string& ek_fingerprint,
                                             int64_t now_unix) override {
    return backing_->RequestAttestation(ek_fingerprint, now_unix);
  }
  absl::StatusOr<std::vector<verifier::AttestRequest>> AttestRequestsAfter(
      int64_t after_seq, int limit) override {
    return backing_->AttestRequestsAfter(after_seq, limit);
  }
  absl::StatusOr<int64_t> LastAttestRequestSeq() override {
    return backing_->LastAttestRequestSeq();
  }
  absl::Status PruneAttestRequests(int64_t before_unix) override {
    return backing_->PruneAttestRequests(before_unix);
  }
  absl::StatusOr<int64_t> PutPolicy(
      const verifier::StoredPolicy& policy) override {
    return backing_->PutPolicy(policy);
  }
  absl::StatusOr<std::vector<verifier::StoredPolicy>> ListStoredPolicies()
      override {
    return backing_->ListStoredPolicies();
  }
  absl::StatusOr<int64_t> PolicyRevision() override {
    return backing_->PolicyRevision();
  }

 private:
  verifier::Store* backing_;
  std::map<std::string, verifier::IdentityRecord> identities_;
};

}  // namespace vtpm::fuzz

#endif  // VTPM_TESTS_FUZZ_SCOPED_STORE_H_
