// The gRPC adapter of the admin API (synchronous server API): every RPC
// authenticates the caller (AdminAuth), calls AdminCore and maps its
// absl::Status to a grpc::Status of the same code.
#ifndef VTPM_VERIFIER_ADMIN_ADMIN_SERVICE_H_
#define VTPM_VERIFIER_ADMIN_ADMIN_SERVICE_H_

#include <atomic>
#include <memory>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "verifier/admin/admin_auth.h"
#include "verifier/admin/admin_core.h"
#include "vtpm_attest/v1/admin.grpc.pb.h"

namespace vtpm::verifier {

// `status` as a grpc::Status with the same code and message.
grpc::Status ToGrpcStatus(const absl::Status& status);

class AdminServiceImpl final : public vtpm_attest::v1::AdminService::Service {
 public:
  // `core` and `auth` must outlive the service. `watch_poll` bounds how
  // long a WatchVerdicts stream takes to notice a cancelled client or
  // Shutdown().
  AdminServiceImpl(AdminCore* core, const AdminAuth* auth,
                   absl::Duration watch_poll = absl::Milliseconds(250))
      : core_(core), auth_(auth), watch_poll_(watch_poll) {}

  // Ends open WatchVerdicts streams (within watch_poll) and refuses new
  // ones; call before grpc::Server::Shutdown so it does not wait for them.
  void Shutdown() { shutting_down_ = true; }

  grpc::Status ListIdentities(
      grpc::ServerContext* ctx,
      const vtpm_attest::v1::ListIdentitiesRequest* req,
      vtpm_attest::v1::ListIdentitiesResponse* resp) override;
  grpc::Status GetIdentity(grpc::ServerContext* ctx,
                           const vtpm_attest::v1::GetIdentityRequest* req,
                           vtpm_attest::v1::IdentityDetail* resp) override;
  grpc::Status ListVerdicts(
      grpc::ServerContext* ctx, const vtpm_attest::v1::ListVerdictsRequest* req,
      vtpm_attest::v1::ListVerdictsResponse* resp) override;
  grpc::Status Reenroll(grpc::ServerContext* ctx,
                        const vtpm_attest::v1::ReenrollRequest* req,
                        vtpm_attest::v1::AdminActionResponse* resp) override;
  grpc::Status Forget(grpc::ServerContext* ctx,
                      const vtpm_attest::v1::ForgetRequest* req,
                      vtpm_attest::v1::AdminActionResponse* resp) override;
  grpc::Status ListPolicies(
      grpc::ServerContext* ctx, const vtpm_attest::v1::ListPoliciesRequest* req,
      vtpm_attest::v1::ListPoliciesResponse* resp) override;
  grpc::Status ApplyPolicy(grpc::ServerContext* ctx,
                           const vtpm_attest::v1::ApplyPolicyRequest* req,
                           vtpm_attest::v1::ApplyPolicyResponse* resp) override;
  grpc::Status ReloadPolicies(
      grpc::ServerContext* ctx,
      const vtpm_attest::v1::ReloadPoliciesRequest* req,
      vtpm_attest::v1::ListPoliciesResponse* resp) override;
  grpc::Status AttestNow(grpc::ServerContext* ctx,
                         const vtpm_attest::v1::AttestNowRequest* req,
                         vtpm_attest::v1::AdminActionResponse* resp) override;
  // Backlog (since_unix), then live verdicts until the client cancels, the
  // server shuts down, or the subscriber falls too far behind
  // (RESOURCE_EXHAUSTED).
  grpc::Status WatchVerdicts(
      grpc::ServerContext* ctx,
      const vtpm_attest::v1::WatchVerdictsRequest* req,
      grpc::ServerWriter<vtpm_attest::v1::VerdictEvent>* writer) override;
  grpc::Status GetFailedEvidence(
      grpc::ServerContext* ctx,
      const vtpm_attest::v1::GetFailedEvidenceRequest* req,
      vtpm_attest::v1::FailedEvidence* resp) override;
  grpc::Status ListAudit(grpc::ServerContext* ctx,
                         const vtpm_attest::v1::ListAuditRequest* req,
                         vtpm_attest::v1::ListAuditResponse* resp) override;

 private:
  AdminCore* const core_;
  const AdminAuth* const auth_;
  const absl::Duration watch_poll_;
  std::atomic<bool> shutting_down_{false};
};

// The admin service to register, or nullptr when `auth` has neither a
// token nor a client CA (the API is then not served at all).
std::unique_ptr<AdminServiceImpl> MakeAdminService(AdminCore* core,
                                                   const AdminAuth* auth);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_ADMIN_ADMIN_SERVICE_H_
