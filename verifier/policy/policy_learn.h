// Learning a policy from one known-good boot: the policy that accepts
// exactly the boot a BootState describes.
#ifndef VTPM_VERIFIER_POLICY_POLICY_LEARN_H_
#define VTPM_VERIFIER_POLICY_POLICY_LEARN_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "verifier/policy/policy.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::verifier {

struct LearnOptions {
  // Policy name; must be non-empty.
  std::string name = "learned";
  // Where the boot came from (e.g. the event log's path), quoted in the
  // description.
  std::string source;
  // Labels that select the policy; empty: {"policy": name} (only the
  // default policy should match every agent).
  std::map<std::string, std::string> match_labels;
  // Also pin the replayed PCR values (pcrValues): any change in a quoted
  // PCR then fails, including ones no boot rule covers.
  bool golden_pcrs = false;
};

// The policy that accepts the boot `state` describes and as little else
// as the policy language can say:
//   tpmFamily "2.0", requireEkCertificate, requireEkEku (as default.json);
//   boot.requireEventLog;
//   boot.requireSecureBoot   Secure Boot as observed;
//   boot.requiredDb          sha256 of every db entry;
//   boot.requiredDbx         every dbx entry;
//   boot.allowedBootApplications  the PCR 4 applications' sha256, and that
//                            of every other opaque PCR 4 event (the rule
//                            accounts for every extend, policy_rules.h);
//   boot.allowedDrivers      likewise for PCR 2, or, when nothing opaque
//                            ran, the all-zero digest (an allowlist
//                            nothing matches: no driver allowed);
//   boot.allowedKernelCmdlines  every observed command line text as an
//                            RE2 literal (RE2::QuoteMeta);
//   boot.allowedKernelCmdlineSha256  when a command line was measured only
//                            as a digest (a UKI's .cmdline): every command
//                            line's SHA-256;
//   boot.allowedKernels / allowedInitrds  observed kernels / initrds
//                            (policy_rules.h), if any was measured;
//   boot.allowedBootFiles    with either of those: every other file
//                            measurement and opaque event of PCRs 8, 9,
//                            11, 12, 13 (grub.cfg, the EFI stub's load
//                            options, ...);
//   boot.minimumFirmwareVersion  the observed version, if it has a number;
//   Windows: test signing / debugging forbidden when they were off (and
//                            PCRs 12-14 hold nothing opaque);
//   allowedQuirks            state.quirks_used;
//   quotePcrs                per accepted bank in state.pcrs (sha256,
//                            sha384, sha512), the PCRs the log covered;
//   pcrValues                those PCRs' values, with golden_pcrs.
// A rule over a PCR the log does not cover (so quotePcrs lacks it) is not
// learned: boot applications need PCR 4, drivers 2, Secure Boot 7, the
// Windows rules 12-14. `description` explains what was learned and what to
// review. Fails (InvalidArgument) without a name, when a boot application,
// driver, kernel, initrd or other accounted event lacks a sha256 digest,
// or when state.pcrs has no accepted bank; fails (FailedPrecondition)
// when `state` carries its events and the learned boot rules would still
// reject it (e.g. an opaque PCR 7 or PCR 8 event, which no allowlist can
// account for), naming each reason. The result passes ParsePolicy and
// accepts `state`.
absl::StatusOr<Policy> LearnPolicy(const vtpm_attest::v1::BootState& state,
                                   const LearnOptions& options);

// The policy as a policy file: Protobuf JSON mapping, camelCase names,
// two-space indentation, arrays of numbers on one line, unset fields
// omitted, ending in a newline.
absl::StatusOr<std::string> PolicyToJson(const Policy& policy);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_POLICY_POLICY_LEARN_H_
