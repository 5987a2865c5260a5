// What the adversarial tests share: reading a victim's record the way an
// auditor would, and building the Hello of an attacker who replays a
// victim's public data.
#ifndef VTPM_TESTS_ADVERSARIAL_ATTACK_UTIL_H_
#define VTPM_TESTS_ADVERSARIAL_ATTACK_UTIL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "verifier/store/store.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::testing {

struct VictimState {
  verifier::IdentityRecord identity;
  std::vector<vtpm_attest::v1::Verdict> verdicts;  // newest first
};

// The identity of `vm_uuid` in the store at `db` (a path or URL), the one
// with `ek_fingerprint` when it is given (else the most recently seen),
// and the VM's verdicts under that EK; NotFound when there is none.
absl::StatusOr<VictimState> ReadVictim(const std::string& db,
                                       const std::string& vm_uuid,
                                       const std::string& ek_fingerprint = "");

// GoogleTest expectations that every field an attacker could want to
// change is as it was (last_seen and the due time may move on).
void ExpectSameIdentity(const verifier::IdentityRecord& before,
                        const verifier::IdentityRecord& after);

// The victim's public EK as a Hello carries it (no chain: the trust store
// has the intermediate).
vtpm_attest::v1::EndorsementKey ReplayedEk(
    const verifier::IdentityRecord& victim);

// Makes `hello` the victim's: its EK, its enrolled AK, its VM UUID,
// hostname and labels.
void ImpersonateIn(const verifier::IdentityRecord& victim,
                   vtpm_attest::v1::Hello* hello);

}  // namespace vtpm::testing

#endif  // VTPM_TESTS_ADVERSARIAL_ATTACK_UTIL_H_
