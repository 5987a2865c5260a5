#include "tests/adversarial/attack_util.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace vtpm::testing {

absl::StatusOr<VictimState> ReadVictim(const std::string& db,
                                       const std::string& vm_uuid,
                                       const std::string& ek_fingerprint) {
  auto store = verifier::OpenStore(db);
  if (!store.ok()) return store.status();
  auto found = (*store)->FindIdentitiesByVmUuid(vm_uuid);
  if (!found.ok()) return found.status();
  if (found->empty()) {
    return absl::NotFoundError(absl::StrCat("no identity for VM ", vm_uuid));
  }
  VictimState s;
  s.identity = found->front();
  if (!ek_fingerprint.empty()) {
    auto it = std::find_if(found->begin(), found->end(), [&](const auto& r) {
      return r.ek_fingerprint == ek_fingerprint;
    });
    if (it == found->end()) {
      return absl::NotFoundError(absl::StrCat(
          "VM ", vm_uuid, " has no identity with EK ", ek_fingerprint));
    }
    s.identity = *it;
  }
  verifier::VerdictQuery q;
  q.vm_uuid = vm_uuid;
  q.ek_fingerprint = s.identity.ek_fingerprint;
  q.limit = 100000;
  auto verdicts = (*store)->QueryVerdicts(q);
  if (!verdicts.ok()) return verdicts.status();
  s.verdicts = *std::move(verdicts);
  return s;
}

void ExpectSameIdentity(const verifier::IdentityRecord& before,
                        const verifier::IdentityRecord& after) {
  EXPECT_EQ(after.ek_fingerprint, before.ek_fingerprint);
  EXPECT_EQ(after.vm_uuid, before.vm_uuid);
  EXPECT_EQ(after.hostname, before.hostname);
  EXPECT_EQ(after.labels, before.labels);
  EXPECT_EQ(after.policy, before.policy);
  EXPECT_EQ(after.ek_public, before.ek_public);
  EXPECT_EQ(after.ek_certificate, before.ek_certificate);
  EXPECT_EQ(after.ak_name, before.ak_name);
  EXPECT_EQ(after.ak_public, before.ak_public);
  EXPECT_EQ(after.enrollment, before.enrollment);
  EXPECT_EQ(after.status, before.status);
  EXPECT_EQ(after.first_seen_unix, before.first_seen_unix);
}

vtpm_attest::v1::EndorsementKey ReplayedEk(
    const verifier::IdentityRecord& victim) {
  vtpm_attest::v1::EndorsementKey ek;
  ek.set_public_area(victim.ek_public);
  ek.set_certificate(victim.ek_certificate);
  return ek;
}

void ImpersonateIn(const verifier::IdentityRecord& victim,
                   vtpm_attest::v1::Hello* hello) {
  *hello->mutable_ek() = ReplayedEk(victim);
  hello->mutable_ak()->set_public_area(victim.ak_public);
  hello->mutable_ak()->set_name(victim.ak_name);
  hello->mutable_host()->set_vm_uuid(victim.vm_uuid);
  hello->mutable_host()->set_hostname(victim.hostname);
  hello->clear_labels();
  hello->mutable_labels()->insert(victim.labels.begin(), victim.labels.end());
}

}  // namespace vtpm::testing
