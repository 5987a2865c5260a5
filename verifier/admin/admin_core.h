// The admin API without its transport: one method per AdminService RPC,
// each taking the request and the authenticated actor (for the audit
// trail). Every replica answers from the shared Store, so every replica
// shows the same fleet.
#ifndef VTPM_VERIFIER_ADMIN_ADMIN_CORE_H_
#define VTPM_VERIFIER_ADMIN_ADMIN_CORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "verifier/admin/verdict_feed.h"
#include "verifier/policy/policy_registry.h"
#include "verifier/store/store.h"
#include "vtpm_attest/v1/admin.pb.h"

namespace vtpm::verifier {

// The summary the admin API shows for an identity (ak_name as hex).
vtpm_attest::v1::IdentitySummary ToSummary(const IdentityRecord& record);

// The start of a WatchVerdicts stream: verdicts recorded since the
// request's since_unix (oldest first, seq 0: read from history, not from
// the feed) and the live subscription, which starts before the history is
// read (a verdict may appear in both: the backlog's verdict ids let the
// caller skip such duplicates).
struct WatchStart {
  std::vector<vtpm_attest::v1::VerdictEvent> backlog;
  std::unique_ptr<VerdictFeed::Subscription> live;
};

class AdminCore {
 public:
  // All three must outlive the core.
  AdminCore(Store* store, PolicyRegistry* policies, VerdictFeed* feed)
      : store_(store), policies_(policies), feed_(feed) {}

  // Errors, as for every method: INVALID_ARGUMENT for a bad request (the
  // message names the field), NOT_FOUND for an unknown identity, and the
  // Store's errors (UNAVAILABLE when the database is unreachable).

  absl::StatusOr<vtpm_attest::v1::ListIdentitiesResponse> ListIdentities(
      const vtpm_attest::v1::ListIdentitiesRequest& request,
      const std::string& actor);
  absl::StatusOr<vtpm_attest::v1::IdentityDetail> GetIdentity(
      const vtpm_attest::v1::GetIdentityRequest& request,
      const std::string& actor);
  // A vm_uuid selector matches the verdicts of every identity the VM had.
  absl::StatusOr<vtpm_attest::v1::ListVerdictsResponse> ListVerdicts(
      const vtpm_attest::v1::ListVerdictsRequest& request,
      const std::string& actor);
  // SetEnrollment(REENROLL) and an audit entry "reenroll".
  absl::StatusOr<vtpm_attest::v1::AdminActionResponse> Reenroll(
      const vtpm_attest::v1::ReenrollRequest& request,
      const std::string& actor);
  // ForgetIdentity and an audit entry "forget"; the response carries the
  // identity as it was.
  absl::StatusOr<vtpm_attest::v1::AdminActionResponse> Forget(
      const vtpm_attest::v1::ForgetRequest& request, const std::string& actor);
  absl::StatusOr<vtpm_attest::v1::ListPoliciesResponse> ListPolicies(
      const vtpm_attest::v1::ListPoliciesRequest& request,
      const std::string& actor);
  // PolicyRegistry::Apply and (unless dry_run) an audit entry
  // "apply-policy" with the policy's sha256.
  absl::StatusOr<vtpm_attest::v1::ApplyPolicyResponse> ApplyPolicy(
      const vtpm_attest::v1::ApplyPolicyRequest& request,
      const std::string& actor);
  // PolicyRegistry::Reload and an audit entry "reload-policies".
  absl::StatusOr<vtpm_attest::v1::ListPoliciesResponse> ReloadPolicies(
      const vtpm_attest::v1::ReloadPoliciesRequest& request,
      const std::string& actor);
  // Store::RequestAttestation and an audit entry "attest-now".
  absl::StatusOr<vtpm_attest::v1::AdminActionResponse> AttestNow(
      const vtpm_attest::v1::AttestNowRequest& request,
      const std::string& actor);
  // The raw evidence of a failed verdict; NOT_FOUND when none is kept.
  absl::StatusOr<vtpm_attest::v1::FailedEvidence> GetFailedEvidence(
      const vtpm_attest::v1::GetFailedEvidenceRequest& request,
      const std::string& actor);
  absl::StatusOr<vtpm_attest::v1::ListAuditResponse> ListAudit(
      const vtpm_attest::v1::ListAuditRequest& request,
      const std::string& actor);
  absl::StatusOr<WatchStart> StartWatch(
      const vtpm_attest::v1::WatchVerdictsRequest& request,
      const std::string& actor);

  // The identity a selector names: by EK fingerprint (any case), or the
  // most recently seen identity of a VM UUID that is not RETIRED.
  // INVALID_ARGUMENT when the selector is unset or empty; NOT_FOUND.
  absl::StatusOr<IdentityRecord> Resolve(
      const vtpm_attest::v1::IdentitySelector& selector);

 private:
  absl::Status Audit(const std::string& actor, const std::string& action,
                     const std::string& target, const std::string& detail);

  Store* const store_;
  PolicyRegistry* const policies_;
  VerdictFeed* const feed_;
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_ADMIN_ADMIN_CORE_H_
