// Firmware memory measured by address: UEFI_PLATFORM_FIRMWARE_BLOB(2)
// (EV_EFI_PLATFORM_FIRMWARE_BLOB/BLOB2) and UEFI_HANDOFF_TABLE_POINTERS(2)
// (EV_EFI_HANDOFF_TABLES/TABLES2), TCG PC Client PFP 10.4.4 and 10.4.6:
//   BLOB:  UINT64 BlobBase; UINT64 BlobLength
//   BLOB2: UINT8 BlobDescriptionSize; BYTE BlobDescription[]; then BLOB
//   TABLES:  UINT64 NumberOfTables; {EFI_GUID; UINT64 pointer}[]
//   TABLES2: UINT8 TableDescriptionSize; BYTE TableDescription[]; TABLES
#ifndef VTPM_COMMON_BOOTSTATE_FIRMWARE_BLOB_H_
#define VTPM_COMMON_BOOTSTATE_FIRMWARE_BLOB_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vtpm::bootstate {

// "base 0x820000 length 0xe0000", or for BLOB2 "DXEFV: base ... length
// ..."; `blob2` selects the layout. Fails (InvalidArgument) unless the
// fields account for exactly the data.
absl::StatusOr<std::string> DescribeFirmwareBlob(absl::string_view data,
                                                 bool blob2);

// "2 tables: <guid>, <guid>", prefixed by the description for TABLES2.
// Fails (InvalidArgument) unless the fields account for exactly the data.
absl::StatusOr<std::string> DescribeHandoffTables(absl::string_view data,
                                                  bool tables2);

}  // namespace vtpm::bootstate

#endif  // VTPM_COMMON_BOOTSTATE_FIRMWARE_BLOB_H_
