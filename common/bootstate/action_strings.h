// The fixed action strings of the TCG PC Client Platform Firmware Profile
// (EV_EFI_ACTION, r1.05 section 10.4.4; EV_ACTION for legacy BIOS boots,
// 10.4.3), each with the PCR it is measured into. An action event whose
// data is one of these and hashes to its digest is understood: it records
// that something happened and measures nothing else. Any other action
// text, even one that hashes to its digest, is not understood (its
// meaning is unknown), so its digest is OPAQUE (docs/EVENTLOG.md).
#ifndef VTPM_COMMON_BOOTSTATE_ACTION_STRINGS_H_
#define VTPM_COMMON_BOOTSTATE_ACTION_STRINGS_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace vtpm::bootstate {

inline constexpr absl::string_view kCallingEfiApplication =
    "Calling EFI Application from Boot Option";
inline constexpr absl::string_view kReturningFromEfiApplication =
    "Returning from EFI Application from Boot Option";
inline constexpr absl::string_view kExitBootServicesInvocation =
    "Exit Boot Services Invocation";
inline constexpr absl::string_view kExitBootServicesFailed =
    "Exit Boot Services Returned with Failure";
inline constexpr absl::string_view kExitBootServicesSucceeded =
    "Exit Boot Services Returned with Success";
inline constexpr absl::string_view kUefiDebugMode = "UEFI Debug Mode";
inline constexpr absl::string_view kDmaProtectionDisabled =
    "DMA Protection Disabled";

struct KnownAction {
  uint32_t pcr;
  absl::string_view text;  // the whole event data, no NUL
};

// Every known action string with its PCR:
//   PCR 4: "Calling EFI Application from Boot Option", "Returning from EFI
//     Application from Boot Option"; legacy BIOS "Calling INT 19h",
//     "Returned INT 19h", "Return via INT 18h".
//   PCR 5: "Exit Boot Services Invocation", "Exit Boot Services Returned
//     with Failure", "Exit Boot Services Returned with Success".
//   PCR 7: "UEFI Debug Mode", "DMA Protection Disabled".
absl::Span<const KnownAction> KnownActions();

// True when `data` is exactly a known action string of `pcr`.
bool IsKnownAction(uint32_t pcr, absl::string_view data);

}  // namespace vtpm::bootstate

#endif  // VTPM_COMMON_BOOTSTATE_ACTION_STRINGS_H_
