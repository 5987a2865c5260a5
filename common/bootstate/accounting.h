// Accounting for every extend into the PCRs an allowlist rule judges.
//
// Event types and event data are not measured, only digests are, so a
// rule that judges decoded objects (boot applications, drivers, kernels)
// misses any event whose type or name the attacker changed. An allowlist
// rule therefore also walks every verified event of its PCRs
// (BootState.events): an event is accounted for when its digest was
// recomputed from data the verifier understands (DIGEST_BASIS_RECOMPUTED),
// when its sha256 digest is in the rule's allowlist (whatever its type),
// when the rule judges it as a decoded object itself, or, in PCR 11, when
// it is the data event of a UKI section (its name is proven by the
// recomputed name event before it). Everything else is unaccounted.
#ifndef VTPM_COMMON_BOOTSTATE_ACCOUNTING_H_
#define VTPM_COMMON_BOOTSTATE_ACCOUNTING_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::bootstate {

struct AccountingScope {
  // PCRs whose every verified event the rule answers for.
  std::set<uint32_t> pcrs;
  // sha256 digests (lower-case hex) the rule allows, whatever the type.
  std::set<std::string> allowed_sha256;
  // Indexes of events the rule judges as decoded objects (it reports
  // their failures itself).
  std::set<uint32_t> judged_events;
};

struct UnaccountedEvent {
  // The event, or nullptr when a PCR of the scope is verified
  // (BootState.pcrs) but the state carries none of its events (they were
  // not included): nothing can be accounted for then.
  const vtpm_attest::v1::EventSummary* event = nullptr;
  uint32_t pcr = 0;
  std::string sha256;  // lower-case hex; empty without a sha256 digest
  // "event 30 (PCR 4, EV_COMPACT_HASH, sha256 9a1f...)" or "PCR 4".
  std::string label;
};

// The events of `scope.pcrs` in `state` that nothing accounts for (see
// above), in log order; a digest basis other than RECOMPUTED (OPAQUE or
// unspecified) counts as opaque.
std::vector<UnaccountedEvent> UnaccountedEvents(
    const vtpm_attest::v1::BootState& state, const AccountingScope& scope);

// The index of every UKI section data event of `state`.
std::set<uint32_t> UkiSectionEvents(const vtpm_attest::v1::BootState& state);

}  // namespace vtpm::bootstate

#endif  // VTPM_COMMON_BOOTSTATE_ACCOUNTING_H_
