// AttestationSession's identity rules: what the fleet knows of an EK and a
// VM UUID is read at the Hello (public data proves nothing, so nothing is
// written then) and judged, and the identity recorded, once the peer has
// proven that it holds the TPM.
#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/reason.h"
#include "common/status_macros.h"
#include "verifier/service/attestation_service.h"

namespace vtpm::verifier {

using vtpm_attest::v1::ENROLLMENT_REENROLL;
using vtpm_attest::v1::ENROLLMENT_RETIRED;

IdentityRecord AttestationSession::HelloRecord() const {
  IdentityRecord record;
  record.ek_fingerprint = ek_fingerprint_;
  record.vm_uuid = hello_.host().vm_uuid();
  record.hostname = hello_.host().hostname();
  record.ek_public = hello_.ek().public_area();
  record.ek_certificate = hello_.ek().certificate();
  record.policy = policy_->name();
  record.labels.insert(hello_.labels().begin(), hello_.labels().end());
  record.last_seen_unix = absl::ToUnixSeconds(absl::Now());
  return record;
}

absl::Status AttestationSession::PlanIdentity() {
  ASSIGN_OR_RETURN(known_, service_->store_->GetIdentity(ek_fingerprint_));
  const std::string& vm = hello_.host().vm_uuid();
  same_vm_.clear();
  if (!vm.empty()) {
    ASSIGN_OR_RETURN(same_vm_, service_->store_->FindIdentitiesByVmUuid(vm));
  }
  const bool reenroll =
      known_.has_value() && known_->enrollment == ENROLLMENT_REENROLL;
  force_activation_ = reenroll;
  retire_on_activation_.clear();
  for (const auto& other : same_vm_) {
    if (other.ek_fingerprint == ek_fingerprint_ ||
        other.enrollment == ENROLLMENT_RETIRED) {
      continue;
    }
    // The operator re-enrolled this VM: the EK that proves itself by
    // activation takes over from the others.
    if (reenroll || other.enrollment == ENROLLMENT_REENROLL) {
      retire_on_activation_.push_back(other.ek_fingerprint);
      force_activation_ = true;
    }
  }
  return absl::OkStatus();
}

absl::Status AttestationSession::JudgeAndRecordIdentity(bool activated_ak) {
  const std::string& vm = hello_.host().vm_uuid();
  const bool reenroll =
      known_.has_value() && known_->enrollment == ENROLLMENT_REENROLL;

  // a. A known EK under another VM UUID: the vTPM state (or the disk with
  //    the agent's keys) was copied to another VM.
  if (known_.has_value() && !reenroll && !vm.empty() &&
      !known_->vm_uuid.empty() &&
      !absl::EqualsIgnoreCase(known_->vm_uuid, vm)) {
    return ReasonError(
        vtpm_attest::v1::EK_VM_UUID_CHANGED,
        absl::StrCat("EK ", ek_fingerprint_, " is enrolled for VM ",
                     known_->vm_uuid, " and now presents itself as VM ", vm,
                     ": a copied vTPM state? If expected: vtpm-attest "
                     "reenroll --ek ",
                     ek_fingerprint_));
  }
  if (known_.has_value() && known_->enrollment == ENROLLMENT_RETIRED) {
    return ReasonError(
        vtpm_attest::v1::EK_CHANGED,
        absl::StrCat("EK ", ek_fingerprint_, " of VM ", known_->vm_uuid,
                     " was retired when the VM re-enrolled with another EK"));
  }

  // b. A known VM with another EK: its vTPM was replaced or the VM is a
  //    clone that kept the UUID. Only an operator's re-enrollment (of the
  //    old identity or of this one) lets the new EK take over.
  const IdentityRecord* conflict = nullptr;
  for (const auto& other : same_vm_) {
    if (other.ek_fingerprint == ek_fingerprint_ ||
        other.enrollment == ENROLLMENT_RETIRED ||
        std::find(retire_on_activation_.begin(), retire_on_activation_.end(),
                  other.ek_fingerprint) != retire_on_activation_.end()) {
      continue;
    }
    conflict = &other;
    break;
  }
  if (conflict != nullptr) {
    // Keep the newcomer on record (PENDING) so an operator can see it and
    // re-enroll it: it has proven it holds its TPM.
    if (!known_.has_value()) {
      RETURN_IF_ERROR(service_->store_->UpsertIdentity(HelloRecord()));
    }
    return ReasonError(
        vtpm_attest::v1::EK_CHANGED,
        absl::StrCat("VM ", vm, " is enrolled with EK ",
                     conflict->ek_fingerprint, " and now presents EK ",
                     ek_fingerprint_,
                     ": its vTPM was replaced or the VM was cloned. If "
                     "expected: vtpm-attest reenroll --vm ",
                     vm));
  }

  RETURN_IF_ERROR(service_->store_->UpsertIdentity(HelloRecord()));
  if (!activated_ak) return absl::OkStatus();
  RETURN_IF_ERROR(service_->store_->SetActivatedAk(
      ek_fingerprint_, hello_.ak().name(), hello_.ak().public_area()));
  // The operator re-enrolled this VM: the EK that just proved itself
  // replaces the old ones.
  for (const auto& old : retire_on_activation_) {
    absl::Status s = service_->store_->SetEnrollment(
        old, vtpm_attest::v1::ENROLLMENT_RETIRED);
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  retire_on_activation_.clear();
  return absl::OkStatus();
}

}  // namespace vtpm::verifier
