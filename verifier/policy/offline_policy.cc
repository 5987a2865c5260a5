#include "verifier/policy/offline_policy.h"

namespace vtpm::verifier {

Policy OfflinePolicy(const Policy& policy,
                     std::vector<std::string>* set_aside) {
  Policy out = policy;
  auto note = [&](bool was_set, const char* field) {
    if (was_set && set_aside != nullptr) set_aside->push_back(field);
  };
  note(!out.tpm_family().empty(), "tpmFamily");
  out.clear_tpm_family();
  note(!out.allowed_tpm_models().empty(), "allowedTpmModels");
  out.clear_allowed_tpm_models();
  note(!out.allowed_tpm_manufacturers().empty(), "allowedTpmManufacturers");
  out.clear_allowed_tpm_manufacturers();
  note(!out.pinned_eks().empty(), "pinnedEks");
  out.clear_pinned_eks();
  note(out.freshness().max_evidence_age_seconds() != 0, "freshness");
  out.clear_freshness();
  note(!out.trust_platforms().empty(), "trustPlatforms");
  out.clear_trust_platforms();
  note(out.require_ek_certificate(), "requireEkCertificate");
  out.clear_require_ek_certificate();
  note(out.require_ek_eku(), "requireEkEku");
  out.clear_require_ek_eku();
  return out;
}

}  // namespace vtpm::verifier
