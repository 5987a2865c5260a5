// UEFI_VARIABLE_DATA, the event data of EV_EFI_VARIABLE_DRIVER_CONFIG,
// EV_EFI_VARIABLE_BOOT(2) and EV_EFI_VARIABLE_AUTHORITY (TCG PC Client
// PFP, section 10.4.8 / 9.2.6):
//   EFI_GUID VariableName; UINT64 UnicodeNameLength (in CHAR16s);
//   UINT64 VariableDataLength; CHAR16 UnicodeName[]; INT8 VariableData[].
#ifndef VTPM_COMMON_BOOTSTATE_EFI_VARIABLE_H_
#define VTPM_COMMON_BOOTSTATE_EFI_VARIABLE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vtpm::bootstate {

struct UefiVariableData {
  std::string vendor_guid;  // GuidToString form
  std::string name;         // UnicodeName as UTF-8
  absl::string_view data;   // VariableData, a view into the parsed bytes
  // Bytes after VariableData (0 for a well-formed event).
  size_t trailing_bytes = 0;
};

// Parses `bytes` (which must outlive the result's `data`). The lengths are
// checked against the bytes present without overflow. Trailing bytes
// after VariableData are an error unless `allow_trailing`, in which case
// their count is returned. Errors are InvalidArgument and name the field.
absl::StatusOr<UefiVariableData> ParseUefiVariableData(
    absl::string_view bytes, bool allow_trailing = false);

// The encoding of a UEFI_VARIABLE_DATA (for tests and for building events).
std::string SerializeUefiVariableData(absl::string_view vendor_guid_raw,
                                      absl::string_view utf16_name,
                                      absl::string_view data);

}  // namespace vtpm::bootstate

#endif  // VTPM_COMMON_BOOTSTATE_EFI_VARIABLE_H_
