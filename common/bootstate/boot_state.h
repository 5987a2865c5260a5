// Boot state from a verified TCG event log: what firmware, Secure Boot
// databases, boot applications, kernel and command line the boot used.
// Only events in PCRs that replayed to quoted values are used.
#ifndef VTPM_COMMON_BOOTSTATE_BOOT_STATE_H_
#define VTPM_COMMON_BOOTSTATE_BOOT_STATE_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/eventlog/event_log.h"
#include "common/eventlog/replay.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::bootstate {

struct ExtractOptions {
  // Quirks (see quirks.h) the policy allows; others are findings.
  std::set<std::string> allowed_quirks;
  // Event types allowed in PCRs 0-9 beyond the TCG PC Client defaults
  // (names as EventTypeName gives them).
  std::set<std::string> extra_event_types;
  // PCRs the OS may extend after ExitBootServices (the policy's
  // boot.osExtendedPcrs): events logged after "Exit Boot Services
  // Invocation" in other PCRs are EVENTLOG_AFTER_EXIT_BOOT_SERVICES.
  std::set<uint32_t> os_extended_pcrs;
  // Put decoded events in BootState.events. The allowlist rules account
  // for every verified event through them (verifier/policy/boot_rules.cc),
  // so the verifier always includes them.
  bool include_events = true;
};

// Something wrong with the log that is not a parse error: an event whose
// data does not hash to its digest (EVENTLOG_DIGEST_MISMATCH), an event
// type that does not belong in its PCR (EVENTLOG_UNEXPECTED_EVENT), a
// quirk the log needs but the policy does not allow (POLICY_QUIRK), a
// value a boot measures once measured again (EVENTLOG_REPEATED_MEASUREMENT,
// naming both events), an event logged after ExitBootServices in a PCR the
// OS may not extend (EVENTLOG_AFTER_EXIT_BOOT_SERVICES).
struct Finding {
  vtpm_attest::v1::ReasonCode code;
  std::string message;  // names the event (index, PCR, type)
  uint32_t event_index;
};

struct Extraction {
  vtpm_attest::v1::BootState state;
  std::vector<Finding> findings;
};

// Extracts the boot state from the events of `log` whose (bank, PCR) is in
// `match.verified`. Fails only on internal errors; everything wrong with
// the log's content is a Finding.
//
// Event types and event data are not measured, only digests are. Every
// verified event's EventSummary.digest_basis says how its digest is
// accounted for: DIGEST_BASIS_RECOMPUTED when the digest was recomputed
// from the event's data in a supported bank AND that data is of a kind
// understood for its PCR (a separator with a valid value, a fixed action
// string of action_strings.h, an EFI variable that parses, a GPT, the
// S-CRTM version, a GRUB string or kernel command line in PCR 8, a UKI
// section name event in PCR 11, systemd-stub's UTF-16 command line in PCR
// 8/12, the Linux load-options tag holding its own command line, a SIPA
// container in PCRs 12-14); DIGEST_BASIS_OPAQUE otherwise (the digest
// covers code or data that is not in the log: only an allowlist can
// account for it). Where a label is unmeasured the event is classified by
// what its digest covers: a PCR 8 text that hashes to its digest and is a
// kernel command line by content (it starts with "BOOT_IMAGE=" or with the
// kernel of an earlier GRUB "linux" command) is a command line whatever
// its GRUB prefix or event type; a PCR 11 event that follows a section
// name event is that section's data whatever its type or name.
//
// Every kernel command line is in BootState.kernel_cmdlines (the singular
// kernel_cmdline / kernel_cmdline_sha256 are the first text / the first
// digest-only one). A value a boot measures once, measured again by the
// same source, is EVENTLOG_REPEATED_MEASUREMENT: the GRUB kernel command
// line, a UKI section (.cmdline, .linux, ...), systemd-stub's command
// line, the Linux EFI stub's load options, each Secure Boot configuration
// variable in PCR 7 (secure_boot holds only if every SecureBoot instance
// is 1), a PCR 8/9 file named as a kernel, the S-CRTM version.
// BootState.exit_boot_services_index is the first verified "Exit Boot
// Services Invocation" (PCR 5, digest recomputed), or -1; verified events
// after it in log order, other than its "Returned with Success/Failure"
// actions and events of options.os_extended_pcrs, are
// EVENTLOG_AFTER_EXIT_BOOT_SERVICES findings.
absl::StatusOr<Extraction> ExtractBootState(const eventlog::ParsedLog& log,
                                            const eventlog::ReplayMatch& match,
                                            const ExtractOptions& options);

}  // namespace vtpm::bootstate

#endif  // VTPM_COMMON_BOOTSTATE_BOOT_STATE_H_
