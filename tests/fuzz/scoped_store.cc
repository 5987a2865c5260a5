#include "tests/fuzz/scoped_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace vtpm::fuzz {

namespace v1 = vtpm_attest::v1;
using verifier::IdentityQuery;
using verifier::IdentityRecord;

absl::StatusOr<std::optional<IdentityRecord>> InputScopedStore::GetIdentity(
    const std::string& ek_fingerprint) {
  RETURN_IF_ERROR(backing_->GetIdentity(ek_fingerprint));
  auto it = identities_.find(ek_fingerprint);
  if (it == identities_.end()) return std::optional<IdentityRecord>();
  return std::optional<IdentityRecord>(it->second);
}

absl::StatusOr<std::vector<IdentityRecord>>
InputScopedStore::FindIdentitiesByVmUuid(const std::string& vm_uuid) {
  RETURN_IF_ERROR(backing_->FindIdentitiesByVmUuid(vm_uuid));
  std::vector<IdentityRecord> out;
  for (const auto& [fp, r] : identities_) {
    if (r.vm_uuid == vm_uuid) out.push_back(r);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const IdentityRecord& a, const IdentityRecord& b) {
                     return a.last_seen_unix > b.last_seen_unix;
                   });
  return out;
}

absl::StatusOr<std::vector<IdentityRecord>> InputScopedStore::ListIdentities(
    const IdentityQuery& query) {
  RETURN_IF_ERROR(backing_->ListIdentities(query));
  std::vector<IdentityRecord> out;
  const size_t limit = query.limit > 0 ? query.limit : 100;
  for (auto it = identities_.upper_bound(query.after_fingerprint);
       it != identities_.end() && out.size() < limit; ++it) {
    const IdentityRecord& r = it->second;
    if (query.status != v1::RESULT_UNSPECIFIED && r.status != query.status) {
      continue;
    }
    if (!query.policy.empty() && r.policy != query.policy) continue;
    if (!query.vm_uuid.empty() && r.vm_uuid != query.vm_uuid) continue;
    out.push_back(r);
  }
  return out;
}

absl::StatusOr<std::map<v1::Result, int64_t>>
InputScopedStore::CountIdentitiesByStatus() {
  RETURN_IF_ERROR(backing_->CountIdentitiesByStatus());
  std::map<v1::Result, int64_t> out;
  for (const auto& [fp, r] : identities_) ++out[r.status];
  return out;
}

absl::Status InputScopedStore::UpsertIdentity(const IdentityRecord& record) {
  RETURN_IF_ERROR(backing_->UpsertIdentity(record));
  auto [it, inserted] = identities_.try_emplace(record.ek_fingerprint);
  IdentityRecord& r = it->second;
  if (inserted) {
    r.ek_fingerprint = record.ek_fingerprint;
    r.first_seen_unix = record.last_seen_unix;
  }
  r.vm_uuid = record.vm_uuid;
  r.hostname = record.hostname;
  r.ek_public = record.ek_public;
  r.ek_certificate = record.ek_certificate;
  r.policy = record.policy;
  r.labels = record.labels;
  r.last_seen_unix = record.last_seen_unix;
  return absl::OkStatus();
}

absl::Status InputScopedStore::SetActivatedAk(const std::string& ek_fingerprint,
                                              const std::string& ak_name,
                                              const std::string& ak_public) {
  RETURN_IF_ERROR(backing_->SetActivatedAk(ek_fingerprint, ak_name, ak_public));
  auto it = identities_.find(ek_fingerprint);
  if (it == identities_.end()) {
    return absl::NotFoundError(absl::StrCat("no identity ", ek_fingerprint));
  }
  it->second.ak_name = ak_name;
  it->second.ak_public = ak_public;
  it->second.enrollment = v1::ENROLLMENT_ACTIVE;
  return absl::OkStatus();
}

absl::Status InputScopedStore::SetEnrollment(const std::string& ek_fingerprint,
                                             v1::EnrollmentState state) {
  RETURN_IF_ERROR(backing_->SetEnrollment(ek_fingerprint, state));
  auto it = identities_.find(ek_fingerprint);
  if (it == identities_.end()) {
    return absl::NotFoundError(absl::StrCat("no identity ", ek_fingerprint));
  }
  it->second.enrollment = state;
  if (state == v1::ENROLLMENT_REENROLL) {
    it->second.ak_name.clear();
    it->second.ak_public.clear();
    it->second.clock.reset();
  }
  return absl::OkStatus();
}

absl::Status InputScopedStore::ForgetIdentity(
    const std::string& ek_fingerprint) {
  RETURN_IF_ERROR(backing_->ForgetIdentity(ek_fingerprint));
  if (identities_.erase(ek_fingerprint) == 0) {
    return absl::NotFoundError(absl::StrCat("no identity ", ek_fingerprint));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<IdentityRecord>> InputScopedStore::MarkStale(
    int64_t now_unix, int limit) {
  RETURN_IF_ERROR(backing_->MarkStale(now_unix, limit));
  std::vector<IdentityRecord> out;
  for (auto& [fp, r] : identities_) {
    if (static_cast<int>(out.size()) >= limit) break;
    bool decided = r.status == v1::RESULT_PASS || r.status == v1::RESULT_FAIL ||
                   r.status == v1::RESULT_ERROR;
    if (!decided || r.next_due_unix == 0 || r.next_due_unix >= now_unix) {
      continue;
    }
    out.push_back(r);
    r.status = v1::RESULT_STALE;
  }
  return out;
}

absl::StatusOr<verifier::RecordOutcome> InputScopedStore::RecordVerdict(
    const std::string& ek_fingerprint, const v1::Verdict& verdict,
    const verifier::VerdictWrite& write) {
  ASSIGN_OR_RETURN(verifier::RecordOutcome out,
                   backing_->RecordVerdict(ek_fingerprint, verdict, write));
  auto it = identities_.find(ek_fingerprint);
  out.previous_status =
      it == identities_.end() ? v1::RESULT_UNSPECIFIED : it->second.status;
  if (out.inserted && it != identities_.end() &&
      verdict.result() != v1::RESULT_STALE) {
    IdentityRecord& r = it->second;
    r.status = verdict.result();
    r.last_verdict_unix = verdict.verified_at_unix();
    r.next_due_unix = write.next_due_unix;
    if (write.clock) r.clock = write.clock;
  }
  return out;
}

}  // namespace vtpm::fuzz
