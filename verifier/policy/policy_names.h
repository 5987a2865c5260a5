// Names a policy may use that are defined elsewhere: the event-log quirks
// (docs/POLICY.md, "Quirks") and the TCG event type names.
#ifndef VTPM_VERIFIER_POLICY_POLICY_NAMES_H_
#define VTPM_VERIFIER_POLICY_POLICY_NAMES_H_

#include <array>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace vtpm::verifier {

// Every quirk name `allowedQuirks` accepts. This is the single list the
// policy code consults; it must equal the names of the boot-state quirks
// table (common/bootstate), which decides what each quirk tolerates.
inline constexpr std::array<absl::string_view, 4> kKnownQuirks = {
    "qemu-direct-kernel-boot",
    "shim-secureboot-off-by-one",
    "log-before-exit-boot-services",
    "empty-log",
};

// True if `name` is in kKnownQuirks.
bool IsKnownQuirk(absl::string_view name);

// Every EV_* name vtpm::eventlog::EventTypeName() knows (PC Client event
// types 0x0-0xff and EFI event types 0x80000000-0x800000ff), sorted.
const std::vector<std::string>& KnownEventTypeNames();

// True if `name` is one of KnownEventTypeNames().
bool IsKnownEventTypeName(absl::string_view name);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_POLICY_POLICY_NAMES_H_
