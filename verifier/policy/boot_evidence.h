// From an event log and quoted PCR values to what the boot rules judge:
// the one path the verifier service and `vtpm-attest policy check` share.
//
//   auto vb = VerifyEventLog(log, quoted, ExtractOptionsForPolicy(policy));
//   if (!vb.ok()) -> one reason, ToReason(vb.status())
//   reasons = FindingsToReasons(vb->findings)
//           + EvaluatePolicy(policy, {..., .boot = &vb->state, ...})
#ifndef VTPM_VERIFIER_POLICY_BOOT_EVIDENCE_H_
#define VTPM_VERIFIER_POLICY_BOOT_EVIDENCE_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/bootstate/boot_state.h"
#include "common/eventlog/replay.h"
#include "common/pcr_selection.h"
#include "verifier/policy/policy.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::verifier {

// Boot-state findings as Verdict reasons: same code, same message (which
// names the event), in the same order.
std::vector<vtpm_attest::v1::Reason> FindingsToReasons(
    const std::vector<bootstate::Finding>& findings);

// The extraction options a policy implies: its allowedQuirks,
// boot.extraEventTypes and boot.osExtendedPcrs; decoded events included
// (the allowlist rules account for every verified event through them, and
// their messages cite them).
bootstate::ExtractOptions ExtractOptionsForPolicy(const Policy& policy);

struct VerifiedBoot {
  vtpm_attest::v1::BootState state;
  std::vector<bootstate::Finding> findings;
  eventlog::ReplayMatch match;
};

// Parses `log`, matches its replay against `quoted` (values from a
// verified quote) and extracts the boot state of the matching PCRs.
// Errors carry a reason code: EVENTLOG_MISSING for an empty log,
// EVENTLOG_MALFORMED when it does not parse, EVENTLOG_REPLAY_MISMATCH when
// a quoted PCR differs from the replay; INTERNAL_ERROR if extraction fails.
absl::StatusOr<VerifiedBoot> VerifyEventLog(
    absl::string_view log, const vtpm::PcrValues& quoted,
    const bootstate::ExtractOptions& options);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_POLICY_BOOT_EVIDENCE_H_
