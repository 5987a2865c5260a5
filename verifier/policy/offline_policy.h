// Judging stored evidence without a live agent (`vtpm-attest policy
// check`): the rules that need facts only a live attestation has are set
// aside, the rest run unchanged through EvaluatePolicy.
#ifndef VTPM_VERIFIER_POLICY_OFFLINE_POLICY_H_
#define VTPM_VERIFIER_POLICY_OFFLINE_POLICY_H_

#include <string>
#include <vector>

#include "verifier/policy/policy.h"

namespace vtpm::verifier {

// `policy` without tpmFamily, allowedTpmModels, allowedTpmManufacturers
// (need TPM facts), pinnedEks (needs the EK), freshness (needs the nonce's
// age), trustPlatforms, requireEkCertificate and requireEkEku (judged by
// the EK chain, not by EvaluatePolicy). The JSON names of those that were
// set are appended to `*set_aside` (if not null).
Policy OfflinePolicy(const Policy& policy, std::vector<std::string>* set_aside);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_POLICY_OFFLINE_POLICY_H_
