// The Windows Boot Configuration Log: SIPA events that Windows Boot
// Manager and winload log as EV_EVENT_TAG events in PCRs 12-14.
//
// An EV_EVENT_TAG's data is a sequence of SIPA events, each
//   UINT32 type; UINT32 size; BYTE data[size]
// (the same layout as TCG_PCClientTaggedEvent). Types whose bits
// 0x000F0000 are 0x00010000 are containers (e.g. 0x40010001 trust
// boundary, 0x40010003 loaded-module aggregation) whose data is again a
// sequence of SIPA events. Type values are Microsoft's SIPAEVENT_*
// constants (wbcl.h in the Windows SDK).
#ifndef VTPM_COMMON_BOOTSTATE_WBCL_H_
#define VTPM_COMMON_BOOTSTATE_WBCL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::bootstate {

// SIPA event types decoded here.
enum SipaEventType : uint32_t {
  kSipaContainerMask = 0x000F0000,
  kSipaContainer = 0x00010000,
  kSipaTrustBoundary = 0x40010001,
  kSipaLoadedModuleAggregation = 0x40010003,
  kSipaBootCounter = 0x00020002,
  kSipaBitlockerUnlock = 0x00020005,
  kSipaBootDebugging = 0x00040001,
  kSipaOsKernelDebug = 0x00050001,
  kSipaCodeIntegrity = 0x00050002,
  kSipaTestSigning = 0x00050003,
  kSipaSafeMode = 0x00050005,
  kSipaWinPe = 0x00050006,
  kSipaHypervisorDebug = 0x0005000D,
  kSipaFilePath = 0x00070001,
  kSipaAuthenticodeHash = 0x00070004,
};

// What the SIPA events of a boot say, accumulated over events.
struct WbclState {
  bool seen = false;  // at least one SIPA event decoded
  std::optional<uint64_t> boot_counter;
  bool bitlocker_unlocked = false;  // a BitLocker unlock with nonzero flags
  // Weakening settings latch on: set if any event reports them.
  bool test_signing = false;
  bool boot_debugging = false;
  bool kernel_debugging = false;
  bool hypervisor_debugging = false;
  bool safe_mode = false;
  bool winpe = false;
  // Code integrity latches off: enabled only if every report says so.
  std::optional<bool> code_integrity;
  // Loaded modules: the file path, or "authenticode:<hex>" without one.
  std::vector<std::string> loaded_modules;
};

// Decodes the data of one EV_EVENT_TAG event into `state`. Fails
// (InvalidArgument, naming the offset) when a SIPA event's size runs past
// its container or containers nest deeper than 16; what was decoded
// before the error stays in `state`. Unknown SIPA types are skipped.
absl::Status DecodeWbclEvent(absl::string_view data, WbclState* state);

// The proto form; `debugging` is any of boot, kernel or hypervisor
// debugging.
void WbclToProto(const WbclState& state,
                 vtpm_attest::v1::WindowsBootState* out);

// One SIPA event's encoding (for building test data and containers).
std::string EncodeSipaEvent(uint32_t type, absl::string_view data);

}  // namespace vtpm::bootstate

#endif  // VTPM_COMMON_BOOTSTATE_WBCL_H_
