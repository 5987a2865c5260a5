// EFI device paths (UEFI spec 10.3) to the text form of UEFI spec 10.6,
// for the node types firmware logs in image-load and Boot#### events.
#ifndef VTPM_COMMON_BOOTSTATE_DEVICE_PATH_H_
#define VTPM_COMMON_BOOTSTATE_DEVICE_PATH_H_

#include <string>

#include "absl/strings/string_view.h"

namespace vtpm::bootstate {

struct DevicePathText {
  // Nodes joined by '/', instances by ','; e.g.
  // "PciRoot(0x0)/Pci(0x1,0x1)/HD(1,GPT,<guid>,0x800,0x100000)/\EFI\BOOT\BOOTX64.EFI".
  // Node types this decoder does not know appear as "Type(T,S)" (decimal
  // type and subtype) and do not stop decoding.
  std::string text;
  // False when a node's length is below 4 or runs past the data (decoding
  // stops there and "<malformed>" ends the text), or when a known node is
  // too short for its fields (it is shown as "Type(T,S)").
  bool well_formed = true;
};

// Decodes a device path. Decoding ends at the End-Entire node or at the
// end of `bytes`; never fails.
DevicePathText DevicePathToText(absl::string_view bytes);

}  // namespace vtpm::bootstate

#endif  // VTPM_COMMON_BOOTSTATE_DEVICE_PATH_H_
