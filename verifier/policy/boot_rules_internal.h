// Internal to the boot rules (boot_rules.cc, boot_cmdline_rules.cc):
// what their messages share.
#ifndef VTPM_VERIFIER_POLICY_BOOT_RULES_INTERNAL_H_
#define VTPM_VERIFIER_POLICY_BOOT_RULES_INTERNAL_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "common/bootstate/accounting.h"
#include "verifier/policy/policy_rules.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::verifier::internal {

// "event 23 (PCR 4, EV_EFI_BOOT_SERVICES_APPLICATION)".
std::string EventRef(uint32_t index, uint32_t pcr, uint32_t type);
std::string EventRef(const vtpm_attest::v1::EventSummary& e);

// EventRef of the state's event with log index `index`, or "event 39
// (PCR 8)" when the state does not carry it.
std::string EventRefAt(const vtpm_attest::v1::BootState& s, uint32_t index,
                       uint32_t pcr);

// True when `digest` is in `list` (both canonical lower-case hex).
bool Listed(const google::protobuf::RepeatedPtrField<std::string>& list,
            const std::string& digest);

// Every verified event of `scope.pcrs` that `scope` does not account for
// (bootstate/accounting.h) becomes an EVENTLOG_UNCLASSIFIED_EVENT reason
// of `rule` naming the event (index, PCR, claimed type, sha256, decoded
// data); `allowlist` (may be empty) names the list that could have
// allowed its digest.
void Account(const vtpm_attest::v1::BootState& s,
             const bootstate::AccountingScope& scope, absl::string_view rule,
             absl::string_view allowlist, RuleReasons& reasons);

}  // namespace vtpm::verifier::internal

#endif  // VTPM_VERIFIER_POLICY_BOOT_RULES_INTERNAL_H_
