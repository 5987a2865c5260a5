#include "verifier/admin/admin_service.h"

#include <string>
#include <unordered_set>
#include <utility>

#include "absl/time/clock.h"

namespace vtpm::verifier {
namespace {

namespace v1 = ::vtpm_attest::v1;

// Authenticates, runs `fn(actor)` and stores its value in `*resp`.
template <typename Resp, typename Fn>
grpc::Status Serve(const AdminAuth* auth, grpc::ServerContext* ctx, Resp* resp,
                   Fn fn) {
  absl::StatusOr<std::string> actor = auth->Authenticate(*ctx);
  if (!actor.ok()) return ToGrpcStatus(actor.status());
  auto result = fn(*actor);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *resp = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl::StatusCode and grpc::StatusCode share their numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

std::unique_ptr<AdminServiceImpl> MakeAdminService(AdminCore* core,
                                                   const AdminAuth* auth) {
  if (core == nullptr || auth == nullptr || !auth->Enabled()) return nullptr;
  return std::make_unique<AdminServiceImpl>(core, auth);
}

#define VTPM_ADMIN_UNARY(Method, Req, Resp)                                   \
  grpc::Status AdminServiceImpl::Method(grpc::ServerContext* ctx,             \
                                        const v1::Req* req, v1::Resp* resp) { \
    return Serve(auth_, ctx, resp, [&](const std::string& actor) {            \
      return core_->Method(*req, actor);                                      \
    });                                                                       \
  }

VTPM_ADMIN_UNARY(ListIdentities, ListIdentitiesRequest, ListIdentitiesResponse)
VTPM_ADMIN_UNARY(GetIdentity, GetIdentityRequest, IdentityDetail)
VTPM_ADMIN_UNARY(ListVerdicts, ListVerdictsRequest, ListVerdictsResponse)
VTPM_ADMIN_UNARY(Reenroll, ReenrollRequest, AdminActionResponse)
VTPM_ADMIN_UNARY(Forget, ForgetRequest, AdminActionResponse)
VTPM_ADMIN_UNARY(ListPolicies, ListPoliciesRequest, ListPoliciesResponse)
VTPM_ADMIN_UNARY(ApplyPolicy, ApplyPolicyRequest, ApplyPolicyResponse)
VTPM_ADMIN_UNARY(ReloadPolicies, ReloadPoliciesRequest, ListPoliciesResponse)
VTPM_ADMIN_UNARY(AttestNow, AttestNowRequest, AdminActionResponse)
VTPM_ADMIN_UNARY(ListAudit, ListAuditRequest, ListAuditResponse)
VTPM_ADMIN_UNARY(GetFailedEvidence, GetFailedEvidenceRequest, FailedEvidence)

#undef VTPM_ADMIN_UNARY

grpc::Status AdminServiceImpl::WatchVerdicts(
    grpc::ServerContext* ctx, const v1::WatchVerdictsRequest* req,
    grpc::ServerWriter<v1::VerdictEvent>* writer) {
  absl::StatusOr<std::string> actor = auth_->Authenticate(*ctx);
  if (!actor.ok()) return ToGrpcStatus(actor.status());
  if (shutting_down_) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "shutting down");
  }
  absl::StatusOr<WatchStart> start = core_->StartWatch(*req, *actor);
  if (!start.ok()) return ToGrpcStatus(start.status());
  std::unordered_set<std::string> sent;
  for (const v1::VerdictEvent& e : start->backlog) {
    if (!writer->Write(e)) return grpc::Status::CANCELLED;
    sent.insert(e.verdict().verdict_id());
  }
  // Headers reach the client now even when no verdict follows for a while.
  if (start->backlog.empty()) writer->SendInitialMetadata();
  while (!ctx->IsCancelled()) {
    if (shutting_down_) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "the verifier is shutting down");
    }
    auto next = start->live->Next(absl::Now() + watch_poll_);
    if (!next.ok()) return ToGrpcStatus(next.status());
    if (!next->has_value()) continue;
    const StoredVerdict& v = **next;
    if (!sent.empty() && sent.count(v.verdict.verdict_id()) != 0) continue;
    v1::VerdictEvent e;
    e.set_seq(v.seq);
    *e.mutable_verdict() = v.verdict;
    if (!writer->Write(e)) break;
  }
  return grpc::Status::CANCELLED;
}

}  // namespace vtpm::verifier
