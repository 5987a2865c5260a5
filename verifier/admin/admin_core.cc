#include "verifier/admin/admin_core.h"

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/hex.h"
#include "common/text_escape.h"
#include "common/status_macros.h"

namespace vtpm::verifier {
namespace {

namespace v1 = ::vtpm_attest::v1;

constexpr int kDefaultPage = 100;
constexpr int kMaxPage = 1000;
constexpr int kDefaultVerdicts = 10;
constexpr int kDefaultHistory = 50;
constexpr int kDefaultAudit = 50;

// `requested` as a limit: 0 means `def`; negative is an error; capped.
absl::StatusOr<int> Limit(int requested, int def, const char* field) {
  if (requested < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must not be negative"));
  }
  if (requested == 0) return def;
  return std::min(requested, kMaxPage);
}

absl::Status CheckResult(v1::Result r, const char* field) {
  if (!v1::Result_IsValid(r)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": unknown result ", static_cast<int>(r)));
  }
  return absl::OkStatus();
}

std::string Target(const IdentityRecord& r) {
  return r.vm_uuid.empty()
             ? r.ek_fingerprint
             : absl::StrCat(r.ek_fingerprint, " (VM ", r.vm_uuid, ")");
}

}  // namespace

v1::IdentitySummary ToSummary(const IdentityRecord& r) {
  v1::IdentitySummary s;
  s.set_ek_fingerprint(r.ek_fingerprint);
  // Stored text may predate the verifier's validation of guest text:
  // proto3 strings must be UTF-8.
  s.set_vm_uuid(vtpm::ToValidUtf8(r.vm_uuid));
  s.set_hostname(vtpm::ToValidUtf8(r.hostname));
  s.set_policy(vtpm::ToValidUtf8(r.policy));
  for (const auto& [k, v] : r.labels) {
    (*s.mutable_labels())[vtpm::ToValidUtf8(k)] = vtpm::ToValidUtf8(v);
  }
  s.set_enrollment(r.enrollment);
  s.set_status(r.status);
  s.set_first_seen_unix(r.first_seen_unix);
  s.set_last_seen_unix(r.last_seen_unix);
  s.set_last_verdict_unix(r.last_verdict_unix);
  s.set_next_due_unix(r.next_due_unix);
  s.set_ak_name(vtpm::HexEncode(r.ak_name));
  if (r.clock.has_value()) {
    s.set_reset_count(r.clock->reset_count);
    s.set_restart_count(r.clock->restart_count);
    s.set_clock(r.clock->clock);
  }
  return s;
}

absl::StatusOr<IdentityRecord> AdminCore::Resolve(
    const v1::IdentitySelector& selector) {
  switch (selector.by_case()) {
    case v1::IdentitySelector::kEkFingerprint: {
      std::string fp = absl::AsciiStrToLower(selector.ek_fingerprint());
      if (fp.empty()) {
        return absl::InvalidArgumentError("identity.ek_fingerprint: empty");
      }
      ASSIGN_OR_RETURN(std::optional<IdentityRecord> r,
                       store_->GetIdentity(fp));
      if (!r.has_value()) {
        return absl::NotFoundError(
            absl::StrCat("no identity with EK fingerprint ", fp));
      }
      return *std::move(r);
    }
    case v1::IdentitySelector::kVmUuid: {
      std::string vm = absl::AsciiStrToLower(selector.vm_uuid());
      if (vm.empty()) {
        return absl::InvalidArgumentError("identity.vm_uuid: empty");
      }
      ASSIGN_OR_RETURN(std::vector<IdentityRecord> ids,
                       store_->FindIdentitiesByVmUuid(vm));
      for (auto& r : ids) {
        if (r.enrollment != v1::ENROLLMENT_RETIRED) return std::move(r);
      }
      return absl::NotFoundError(
          ids.empty()
              ? absl::StrCat("no identity for VM ", vm)
              : absl::StrCat("VM ", vm, " has only retired identities"));
    }
    default:
      return absl::InvalidArgumentError(
          "identity: give ek_fingerprint or vm_uuid");
  }
}

absl::Status AdminCore::Audit(const std::string& actor,
                              const std::string& action,
                              const std::string& target,
                              const std::string& detail) {
  AuditRecord a;
  a.at_unix = absl::ToUnixSeconds(absl::Now());
  a.actor = actor;
  a.action = action;
  a.target = target;
  a.detail = detail;
  absl::StatusOr<int64_t> seq = store_->AppendAudit(a);
  if (!seq.ok()) {
    return Annotate(seq.status(),
                    absl::StrCat(action, " of ", target,
                                 " was done but could not be audited"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ListIdentitiesResponse> AdminCore::ListIdentities(
    const v1::ListIdentitiesRequest& req, const std::string&) {
  RETURN_IF_ERROR(CheckResult(req.status(), "status"));
  ASSIGN_OR_RETURN(int limit, Limit(req.limit(), kDefaultPage, "limit"));
  IdentityQuery q;
  q.status = req.status();
  q.policy = req.policy();
  q.vm_uuid = absl::AsciiStrToLower(req.vm_uuid());
  q.after_fingerprint = absl::AsciiStrToLower(req.page_token());
  q.limit = limit + 1;  // one more tells whether another page follows
  ASSIGN_OR_RETURN(std::vector<IdentityRecord> ids, store_->ListIdentities(q));
  v1::ListIdentitiesResponse out;
  for (size_t i = 0; i < ids.size() && i < static_cast<size_t>(limit); ++i) {
    *out.add_identities() = ToSummary(ids[i]);
  }
  if (ids.size() > static_cast<size_t>(limit)) {
    out.set_next_page_token(ids[limit - 1].ek_fingerprint);
  }
  return out;
}

absl::StatusOr<v1::IdentityDetail> AdminCore::GetIdentity(
    const v1::GetIdentityRequest& req, const std::string&) {
  ASSIGN_OR_RETURN(int n, Limit(req.verdicts(), kDefaultVerdicts, "verdicts"));
  ASSIGN_OR_RETURN(IdentityRecord r, Resolve(req.identity()));
  v1::IdentityDetail d;
  *d.mutable_summary() = ToSummary(r);
  d.set_ek_public(r.ek_public);
  d.set_ek_certificate(r.ek_certificate);
  VerdictQuery q;
  q.ek_fingerprint = r.ek_fingerprint;
  q.limit = n;
  ASSIGN_OR_RETURN(std::vector<v1::Verdict> verdicts, store_->QueryVerdicts(q));
  for (auto& v : verdicts) *d.add_recent_verdicts() = std::move(v);
  if (!r.vm_uuid.empty()) {
    ASSIGN_OR_RETURN(std::vector<IdentityRecord> same,
                     store_->FindIdentitiesByVmUuid(r.vm_uuid));
    for (const auto& o : same) {
      if (o.ek_fingerprint != r.ek_fingerprint) {
        *d.add_same_vm() = ToSummary(o);
      }
    }
  }
  return d;
}

absl::StatusOr<v1::ListVerdictsResponse> AdminCore::ListVerdicts(
    const v1::ListVerdictsRequest& req, const std::string&) {
  RETURN_IF_ERROR(CheckResult(req.result(), "result"));
  ASSIGN_OR_RETURN(int limit, Limit(req.limit(), kDefaultHistory, "limit"));
  if (req.since_unix() < 0) {
    return absl::InvalidArgumentError("since_unix: must not be negative");
  }
  VerdictQuery q;
  switch (req.identity().by_case()) {
    case v1::IdentitySelector::kEkFingerprint:
      q.ek_fingerprint = absl::AsciiStrToLower(req.identity().ek_fingerprint());
      if (q.ek_fingerprint.empty()) {
        return absl::InvalidArgumentError("identity.ek_fingerprint: empty");
      }
      break;
    case v1::IdentitySelector::kVmUuid:
      q.vm_uuid = absl::AsciiStrToLower(req.identity().vm_uuid());
      if (q.vm_uuid.empty()) {
        return absl::InvalidArgumentError("identity.vm_uuid: empty");
      }
      break;
    default:
      break;
  }
  q.since_unix = req.since_unix();
  q.result = req.result();
  q.limit = limit;
  ASSIGN_OR_RETURN(std::vector<v1::Verdict> verdicts, store_->QueryVerdicts(q));
  v1::ListVerdictsResponse out;
  for (auto& v : verdicts) *out.add_verdicts() = std::move(v);
  return out;
}

absl::StatusOr<v1::AdminActionResponse> AdminCore::Reenroll(
    const v1::ReenrollRequest& req, const std::string& actor) {
  ASSIGN_OR_RETURN(IdentityRecord r, Resolve(req.identity()));
  RETURN_IF_ERROR(
      store_->SetEnrollment(r.ek_fingerprint, v1::ENROLLMENT_REENROLL));
  RETURN_IF_ERROR(Audit(actor, "reenroll", Target(r), req.reason()));
  ASSIGN_OR_RETURN(std::optional<IdentityRecord> now,
                   store_->GetIdentity(r.ek_fingerprint));
  v1::AdminActionResponse out;
  out.set_message(absl::StrCat(
      "identity ", r.ek_fingerprint,
      " may enroll again: its AK is activated anew on its next contact, and "
      "a new EK presented by VM ",
      r.vm_uuid.empty() ? "(none)" : r.vm_uuid, " replaces it"));
  *out.mutable_identity() = ToSummary(now.has_value() ? *now : r);
  return out;
}

absl::StatusOr<v1::AdminActionResponse> AdminCore::Forget(
    const v1::ForgetRequest& req, const std::string& actor) {
  ASSIGN_OR_RETURN(IdentityRecord r, Resolve(req.identity()));
  RETURN_IF_ERROR(store_->ForgetIdentity(r.ek_fingerprint));
  RETURN_IF_ERROR(Audit(actor, "forget", Target(r), req.reason()));
  v1::AdminActionResponse out;
  out.set_message(absl::StrCat("identity ", r.ek_fingerprint,
                               " forgotten; its verdict history stays"));
  *out.mutable_identity() = ToSummary(r);
  return out;
}

absl::StatusOr<v1::ListPoliciesResponse> AdminCore::ListPolicies(
    const v1::ListPoliciesRequest&, const std::string&) {
  v1::ListPoliciesResponse out;
  for (auto& p : policies_->List()) *out.add_policies() = std::move(p);
  return out;
}

absl::StatusOr<v1::ApplyPolicyResponse> AdminCore::ApplyPolicy(
    const v1::ApplyPolicyRequest& req, const std::string& actor) {
  if (req.json().empty()) {
    return absl::InvalidArgumentError("json: empty");
  }
  ASSIGN_OR_RETURN(v1::PolicyInfo info, policies_->Apply(req.json(), req.name(),
                                                         actor, req.dry_run()));
  if (!req.dry_run()) {
    RETURN_IF_ERROR(Audit(actor, "apply-policy", info.policy().name(),
                          absl::StrCat("sha256 ", info.sha256())));
  }
  v1::ApplyPolicyResponse out;
  *out.mutable_policy() = std::move(info);
  return out;
}

absl::StatusOr<v1::ListPoliciesResponse> AdminCore::ReloadPolicies(
    const v1::ReloadPoliciesRequest&, const std::string& actor) {
  RETURN_IF_ERROR(policies_->Reload());
  RETURN_IF_ERROR(Audit(actor, "reload-policies", "", ""));
  return ListPolicies({}, actor);
}

absl::StatusOr<v1::AdminActionResponse> AdminCore::AttestNow(
    const v1::AttestNowRequest& req, const std::string& actor) {
  ASSIGN_OR_RETURN(IdentityRecord r, Resolve(req.identity()));
  ASSIGN_OR_RETURN(int64_t seq,
                   store_->RequestAttestation(
                       r.ek_fingerprint, absl::ToUnixSeconds(absl::Now())));
  RETURN_IF_ERROR(
      Audit(actor, "attest-now", Target(r), absl::StrCat("request ", seq)));
  v1::AdminActionResponse out;
  out.set_message(absl::StrCat(
      "attestation of ", r.ek_fingerprint,
      " requested; the verdict arrives on the verdict feed (watch)"));
  *out.mutable_identity() = ToSummary(r);
  return out;
}

absl::StatusOr<v1::FailedEvidence> AdminCore::GetFailedEvidence(
    const v1::GetFailedEvidenceRequest& req, const std::string&) {
  if (req.verdict_id().empty()) {
    return absl::InvalidArgumentError("verdict_id is required");
  }
  ASSIGN_OR_RETURN(std::optional<FailedEvidence> raw,
                   store_->GetFailedEvidence(req.verdict_id()));
  if (!raw.has_value()) {
    return absl::NotFoundError(absl::StrCat(
        "no evidence kept for verdict ", req.verdict_id(),
        " (it passed, or its evidence was pruned after the retention "
        "period)"));
  }
  v1::FailedEvidence out;
  out.set_verdict_id(raw->verdict_id);
  out.set_ek_fingerprint(raw->ek_fingerprint);
  out.set_created_unix(raw->created_unix);
  if (!out.mutable_hello()->ParseFromString(raw->hello)) {
    return absl::DataLossError("stored Hello does not parse");
  }
  if (!raw->quote_response.empty() &&
      !out.mutable_quote_response()->ParseFromString(raw->quote_response)) {
    return absl::DataLossError("stored QuoteResponse does not parse");
  }
  return out;
}

absl::StatusOr<v1::ListAuditResponse> AdminCore::ListAudit(
    const v1::ListAuditRequest& req, const std::string&) {
  ASSIGN_OR_RETURN(int limit, Limit(req.limit(), kDefaultAudit, "limit"));
  ASSIGN_OR_RETURN(std::vector<AuditRecord> entries, store_->ListAudit(limit));
  v1::ListAuditResponse out;
  for (const auto& e : entries) {
    v1::AuditEntry* a = out.add_entries();
    a->set_seq(e.seq);
    a->set_at_unix(e.at_unix);
    a->set_actor(vtpm::ToValidUtf8(e.actor));
    a->set_action(vtpm::ToValidUtf8(e.action));
    a->set_target(vtpm::ToValidUtf8(e.target));
    a->set_detail(vtpm::ToValidUtf8(e.detail));
  }
  return out;
}

absl::StatusOr<WatchStart> AdminCore::StartWatch(
    const v1::WatchVerdictsRequest& req, const std::string&) {
  if (req.since_unix() < 0) {
    return absl::InvalidArgumentError("since_unix: must not be negative");
  }
  WatchStart out;
  // Subscribe first so nothing recorded while the history is read is lost.
  out.live = feed_->Subscribe(req.vm_uuid());
  if (req.since_unix() > 0) {
    VerdictQuery q;
    q.vm_uuid = absl::AsciiStrToLower(req.vm_uuid());
    q.since_unix = req.since_unix();
    q.limit = kMaxPage;
    ASSIGN_OR_RETURN(std::vector<v1::Verdict> history,
                     store_->QueryVerdicts(q));
    std::reverse(history.begin(), history.end());  // oldest first
    for (auto& v : history) {
      v1::VerdictEvent e;
      *e.mutable_verdict() = std::move(v);
      out.backlog.push_back(std::move(e));
    }
  }
  return out;
}

}  // namespace vtpm::verifier
