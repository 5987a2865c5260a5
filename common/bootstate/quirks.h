// Named, documented workarounds for logs that real firmware and boot
// loaders write but that break a strict reading of the TCG rules. Each is
// off unless a policy allows it by name (ExtractOptions.allowed_quirks).
// A log that needs a quirk the policy does not allow gets a POLICY_QUIRK
// finding naming the quirk and the event; an allowed quirk is listed in
// BootState.quirks_used.
#ifndef VTPM_COMMON_BOOTSTATE_QUIRKS_H_
#define VTPM_COMMON_BOOTSTATE_QUIRKS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "common/eventlog/event_log.h"

namespace vtpm::bootstate {

inline constexpr char kQuirkQemuDirectKernelBoot[] = "qemu-direct-kernel-boot";
inline constexpr char kQuirkShimOffByOne[] = "shim-secureboot-off-by-one";
inline constexpr char kQuirkLogBeforeExitBootServices[] =
    "log-before-exit-boot-services";
inline constexpr char kQuirkEmptyLog[] = "empty-log";

struct Quirk {
  const char* name;
  const char* description;  // what writes such logs, and why
  const char* detection;    // what in the log reveals it
  const char* effect;       // what allowing it changes
};

// Every quirk, in a stable order.
absl::Span<const Quirk> AllQuirks();

// The quirk called `name`, or nullptr.
const Quirk* FindQuirk(absl::string_view name);

// Where a log needs a quirk.
struct QuirkHit {
  const char* quirk;
  std::optional<uint32_t> event_index;  // none for whole-log quirks
  std::string detail;
};

// qemu-direct-kernel-boot: the PCR 4 boot application `e` was loaded
// from QEMU's kernel loader file system (its device path starts with
// VenMedia(1428f772-b64a-441e-b8c3-9ebdd7f893c7)), i.e. `qemu -kernel`.
// `device_path_text` is its decoded device path.
bool IsQemuDirectKernelBoot(const eventlog::Event& e,
                            absl::string_view device_path_text);

// shim-secureboot-off-by-one: `e` is a PCR 7 EV_EFI_VARIABLE_AUTHORITY
// whose data does not hash to its digest but the data without its last
// byte does, in every supported bank.
bool IsShimOffByOne(const eventlog::Event& e);

// The whole-log quirks, judged on `events` (the verified events, in log
// order) and `all_events` (every event of the log):
//   empty-log when `all_events` has nothing but EV_NO_ACTION events;
//   log-before-exit-boot-services when `pcr5_verified` and no event in
//   `events` is the PCR 5 EV_EFI_ACTION "Exit Boot Services Invocation"
//   (not reported together with empty-log).
std::vector<QuirkHit> DetectLogQuirks(
    const std::vector<const eventlog::Event*>& events,
    const std::vector<eventlog::Event>& all_events, bool pcr5_verified);

}  // namespace vtpm::bootstate

#endif  // VTPM_COMMON_BOOTSTATE_QUIRKS_H_
