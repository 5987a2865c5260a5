// UEFI_IMAGE_LOAD_EVENT, the event data of EV_EFI_BOOT_SERVICES_APPLICATION,
// EV_EFI_BOOT_SERVICES_DRIVER and EV_EFI_RUNTIME_SERVICES_DRIVER (TCG PC
// Client PFP 10.4.3):
//   EFI_PHYSICAL_ADDRESS ImageLocationInMemory; UINTN ImageLengthInMemory;
//   UINTN ImageLinkTimeAddress; UINTN LengthOfDevicePath;
//   EFI_DEVICE_PATH_PROTOCOL DevicePath[LengthOfDevicePath].
#ifndef VTPM_COMMON_BOOTSTATE_IMAGE_LOAD_H_
#define VTPM_COMMON_BOOTSTATE_IMAGE_LOAD_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vtpm::bootstate {

struct ImageLoadEvent {
  uint64_t location = 0;
  uint64_t length = 0;
  uint64_t link_time_address = 0;
  absl::string_view device_path;  // raw, a view into the parsed bytes
  bool uintn_32bit = false;       // laid out by 32-bit firmware
};

// Parses `bytes` (which must outlive the result). UINTN is 8 bytes on
// x86-64 firmware and 4 on 32-bit firmware; the layout whose
// LengthOfDevicePath accounts for exactly the remaining bytes is taken,
// 64-bit first. Fails (InvalidArgument) when neither does.
absl::StatusOr<ImageLoadEvent> ParseImageLoadEvent(absl::string_view bytes);

}  // namespace vtpm::bootstate

#endif  // VTPM_COMMON_BOOTSTATE_IMAGE_LOAD_H_
