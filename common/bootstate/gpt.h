// UEFI_GPT_DATA, the event data of EV_EFI_GPT_EVENT and EV_EFI_GPT_EVENT2
// (TCG PC Client PFP 10.4.5): the 92-byte EFI_PARTITION_TABLE_HEADER,
// UINT64 NumberOfPartitions, then that many EFI_PARTITION_ENTRYs of the
// header's SizeOfPartitionEntry bytes each (EVENT2 zeroes the GUIDs that
// identify the disk).
#ifndef VTPM_COMMON_BOOTSTATE_GPT_H_
#define VTPM_COMMON_BOOTSTATE_GPT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::bootstate {

struct GptData {
  std::string disk_guid;
  std::vector<vtpm_attest::v1::GptPartition> partitions;
};

// Parses `bytes`. Fails (InvalidArgument, naming the field) on a header
// without the "EFI PART" signature, SizeOfPartitionEntry below 128, or a
// partition count that does not account for exactly the bytes present.
absl::StatusOr<GptData> ParseGptEvent(absl::string_view bytes);

}  // namespace vtpm::bootstate

#endif  // VTPM_COMMON_BOOTSTATE_GPT_H_
