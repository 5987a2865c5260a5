// Recomputing event digests from event data. Replay proves that the
// digests in the log are the ones the TPM extended, not that the event
// data or type beside them is honest: an attacker who keeps the digests
// can change an event's type or data at will. For the events whose digest
// is by specification a hash of (a part of) their own data, recomputing
// it catches that.
//
// What the digest covers, per event type, as verified against the real
// OVMF 2022.11 / shim 15.8 / GRUB 2.06 / systemd-stub 252 logs in
// tests/data/eventlogs and against the documented behaviour of the
// components that write them:
//   EV_SEPARATOR, EV_ACTION, EV_EFI_ACTION, EV_S_CRTM_VERSION,
//   EV_EFI_VARIABLE_DRIVER_CONFIG, EV_EFI_VARIABLE_AUTHORITY,
//   EV_EFI_GPT_EVENT(2): the whole event data.
//   EV_EFI_VARIABLE_BOOT(2): EDK2/OVMF hashes only VariableData (the
//     UEFI_VARIABLE_DATA header and name are not covered!); the PC Client
//     profile says the whole UEFI_VARIABLE_DATA. Either is accepted.
//   EV_IPL in PCR 8 (GRUB): the string after its "grub_cmd: ",
//     "kernel_cmdline: " or "module_cmdline: " prefix, without the NUL.
//     The prefix itself is not covered.
//   EV_EVENT_TAG in PCRs 12-14 holding Windows SIPA events: the data.
//     In a Windows log (one with a "WBCL" separator in PCRs 12-14) every
//     EV_EVENT_TAG there, so that changing a container's type cannot hide
//     it; in PCRs 13 and 14, which only Windows tags, always.
//   Not recomputable (the digest covers code or data not in the log):
//   firmware blobs, image loads (Authenticode hashes), handoff tables,
//   EV_POST_CODE, EV_IPL in PCR 9 (file contents) and 14 (MOK lists),
//   Linux EV_EVENT_TAGs in PCR 9 (initrd, load options). PCR 11 (UKI
//   sections) and PCR 12 (systemd-stub command line) depend on the
//   neighbouring events and are checked where they are decoded.
#ifndef VTPM_COMMON_BOOTSTATE_DIGEST_CHECK_H_
#define VTPM_COMMON_BOOTSTATE_DIGEST_CHECK_H_

#include <optional>
#include <string>
#include <vector>

#include "common/eventlog/event_log.h"

namespace vtpm::bootstate {

// The bytes an event's digests must be a hash of (any one of `inputs`).
struct DigestRule {
  std::string name;  // e.g. "H(event data)"
  std::vector<std::string> inputs;
};

// The rule for `e` (see above), or nullopt when its digest cannot be
// recomputed from the log. `windows_log`: the log has a Windows Boot
// Configuration Log separator ("WBCL") in PCR 12, 13 or 14.
std::optional<DigestRule> DigestRuleFor(const eventlog::Event& e,
                                        bool windows_log = false);

// True when `e` is the separator Windows Boot Manager logs in PCRs 12-14.
bool IsWbclSeparator(const eventlog::Event& e);

struct DigestComparison {
  bool match = false;
  // On a mismatch: the first bank that differs, its digest in the log and
  // the hash of the first input, e.g. "sha256 digest 3d67... but
  // H(data) = 9a1f...".
  std::string detail;
  // Banks skipped because their hash algorithm is not supported here.
  std::vector<TPMI_ALG_HASH> skipped_banks;
};

// True (match) when one of `inputs` hashes to the event's digest in every
// bank whose algorithm is supported (sha1/256/384/512). An event with no
// supported bank matches vacuously (and lists the skipped banks).
DigestComparison CompareDigests(const eventlog::Event& e,
                                const std::vector<std::string>& inputs);

// True when one of `inputs` hashes to the event's digest in every
// supported bank and there is at least one supported bank (no vacuous
// match): the digest is recomputed from those bytes.
bool DigestsRecomputedFrom(const eventlog::Event& e,
                           const std::vector<std::string>& inputs);

}  // namespace vtpm::bootstate

#endif  // VTPM_COMMON_BOOTSTATE_DIGEST_CHECK_H_
