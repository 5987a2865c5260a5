#include "tests/fuzz/scoped_store.h"

#include <algorithm>

#include "common/status_macros.h"

namespace vtpm::fuzz {

using verifier::ClockState;
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
  std::sort(out.begin(), out.end(),
            [](const IdentityRecord& a, const IdentityRecord& b) {
              return a.last_seen_unix > b.last_seen_unix;
            });
  return out;
}

absl::Status InputScopedStore::UpsertIdentity(const IdentityRecord& record) {
  RETURN_IF_ERROR(backing_->UpsertIdentity(record));
  auto [it, inserted] = identities_.try_emplace(record.ek_fingerprint, record);
  if (!inserted) {
    IdentityRecord& r = it->second;
    r.vm_uuid = record.vm_uuid;
    r.hostname = record.hostname;
    r.ek_public = record.ek_public;
    r.ek_certificate = record.ek_certificate;
    r.policy = record.policy;
    r.last_seen_unix = record.last_seen_unix;
  } else {
    it->second.first_seen_unix = record.last_seen_unix;
    it->second.ak_name.clear();
    it->second.ak_public.clear();
    it->second.clock.reset();
  }
  return absl::OkStatus();
}

absl::Status InputScopedStore::SetActivatedAk(const std::string& ek_fingerprint,
                                              const std::string& ak_name,
                                              const std::string& ak_public) {
  RETURN_IF_ERROR(backing_->SetActivatedAk(ek_fingerprint, ak_name, ak_public));
  auto it = identities_.find(ek_fingerprint);
  if (it != identities_.end()) {
    it->second.ak_name = ak_name;
    it->second.ak_public = ak_public;
  }
  return absl::OkStatus();
}

absl::Status InputScopedStore::SetClock(const std::string& ek_fingerprint,
                                        const ClockState& clock) {
  RETURN_IF_ERROR(backing_->SetClock(ek_fingerprint, clock));
  auto it = identities_.find(ek_fingerprint);
  if (it != identities_.end()) it->second.clock = clock;
  return absl::OkStatus();
}

absl::Status InputScopedStore::RecordVerdict(
    const std::string& ek_fingerprint,
    const vtpm_attest::v1::Verdict& verdict) {
  return backing_->RecordVerdict(ek_fingerprint, verdict);
}

absl::StatusOr<std::vector<vtpm_attest::v1::Verdict>>
InputScopedStore::ListVerdicts(const std::string& ek_fingerprint, int limit) {
  return backing_->ListVerdicts(ek_fingerprint, limit);
}

}  // namespace vtpm::fuzz
