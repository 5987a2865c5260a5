// One-line, display-safe descriptions of events for people (the
// EventSummary.description of the boot state and `vtpm-attest eventlog
// show`). Descriptions decode the data; they do not vouch for it.
#ifndef VTPM_COMMON_BOOTSTATE_DESCRIBE_H_
#define VTPM_COMMON_BOOTSTATE_DESCRIBE_H_

#include <string>

#include "common/eventlog/event_log.h"

namespace vtpm::bootstate {

// E.g. "SecureBoot = 01", "\EFI\BOOT\BOOTX64.EFI (image 1048504 bytes)",
// "grub_cmd: set timeout=0", "db: 2 signatures". Malformed data gives
// "malformed <structure>: <why>"; unknown types give up to 32 bytes of
// hex. Never fails.
std::string DescribeEvent(const eventlog::Event& e);

}  // namespace vtpm::bootstate

#endif  // VTPM_COMMON_BOOTSTATE_DESCRIBE_H_
