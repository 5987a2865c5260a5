#include "common/bootstate/gpt.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/byte_reader.h"
#include "common/bootstate/guid.h"
#include "common/bootstate/ucs2.h"

namespace vtpm::bootstate {
namespace {

constexpr absl::string_view kGptSignature("EFI PART", 8);
constexpr size_t kHeaderSize = 92;
constexpr size_t kMinEntrySize = 128;
constexpr size_t kNameOffset = 56;  // PartitionName within an entry
constexpr size_t kNameSize = 72;    // CHAR16[36]

}  // namespace

absl::StatusOr<GptData> ParseGptEvent(absl::string_view bytes) {
  ByteReader r(bytes);
  absl::string_view header;
  uint64_t count = 0;
  if (!r.ReadBytes(kHeaderSize, &header) || !r.ReadU64(&count)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "UEFI_GPT_DATA: ", bytes.size(), " bytes, header needs 100"));
  }
  if (header.substr(0, 8) != kGptSignature) {
    return absl::InvalidArgumentError(
        "UEFI_GPT_DATA: header signature is not \"EFI PART\"");
  }
  ByteReader h(header.substr(56));  // DiskGUID at 56, entry size at 84
  absl::string_view disk_guid;
  uint64_t entry_lba = 0;
  uint32_t entries_in_table = 0, entry_size = 0;
  h.ReadBytes(16, &disk_guid);
  h.ReadU64(&entry_lba);
  h.ReadU32(&entries_in_table);
  h.ReadU32(&entry_size);
  if (entry_size < kMinEntrySize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "UEFI_GPT_DATA: SizeOfPartitionEntry ", entry_size, " is below 128"));
  }
  if (count != r.remaining() / entry_size || r.remaining() % entry_size != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "UEFI_GPT_DATA: NumberOfPartitions ", count, " of ", entry_size,
        " bytes does not match the ", r.remaining(), " bytes present"));
  }
  GptData out;
  out.disk_guid = GuidToString(disk_guid);
  for (uint64_t i = 0; i < count; ++i) {
    absl::string_view entry;
    r.ReadBytes(entry_size, &entry);
    ByteReader e(entry);
    absl::string_view type_guid, unique_guid;
    uint64_t first = 0, last = 0;
    e.ReadBytes(16, &type_guid);
    e.ReadBytes(16, &unique_guid);
    e.ReadU64(&first);
    e.ReadU64(&last);
    auto* p = &out.partitions.emplace_back();
    p->set_type_guid(GuidToString(type_guid));
    p->set_unique_guid(GuidToString(unique_guid));
    p->set_first_lba(first);
    p->set_last_lba(last);
    p->set_name(
        ToDisplayString(Utf16LeToUtf8(entry.substr(kNameOffset, kNameSize))));
  }
  return out;
}

}  // namespace vtpm::bootstate
