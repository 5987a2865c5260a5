// EFI_LOAD_OPTION, the value of a Boot#### variable (UEFI spec 3.1.3):
//   UINT32 Attributes; UINT16 FilePathListLength;
//   CHAR16 Description[] (NUL-terminated);
//   EFI_DEVICE_PATH_PROTOCOL FilePathList[FilePathListLength bytes];
//   UINT8 OptionalData[] (the rest).
#ifndef VTPM_COMMON_BOOTSTATE_LOAD_OPTION_H_
#define VTPM_COMMON_BOOTSTATE_LOAD_OPTION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vtpm::bootstate {

struct LoadOption {
  uint32_t attributes = 0;
  std::string description;  // UTF-8, display-safe
  std::string device_path;  // DevicePathToText of FilePathList
  size_t optional_data_size = 0;
};

// Parses a Boot#### value. Fails (InvalidArgument) when the data ends
// inside the header or the description, or FilePathListLength runs past
// the data.
absl::StatusOr<LoadOption> ParseLoadOption(absl::string_view bytes);

// Parses a BootOrder value (UINT16 option numbers). Fails on odd length.
absl::StatusOr<std::vector<uint16_t>> ParseBootOrder(absl::string_view bytes);

}  // namespace vtpm::bootstate

#endif  // VTPM_COMMON_BOOTSTATE_LOAD_OPTION_H_
