#include "common/bootstate/firmware_blob.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/byte_reader.h"
#include "common/bootstate/guid.h"
#include "common/bootstate/ucs2.h"

namespace vtpm::bootstate {
namespace {

// Reads an optional UINT8-length-prefixed description.
bool ReadDescription(ByteReader& r, std::string* out) {
  uint8_t size = 0;
  absl::string_view desc;
  if (!r.ReadU8(&size) || !r.ReadBytes(size, &desc)) return false;
  *out = ToDisplayString(desc.substr(0, desc.find('\0')));
  return true;
}

}  // namespace

absl::StatusOr<std::string> DescribeFirmwareBlob(absl::string_view data,
                                                 bool blob2) {
  ByteReader r(data);
  std::string desc;
  uint64_t base = 0, length = 0;
  if ((blob2 && !ReadDescription(r, &desc)) || !r.ReadU64(&base) ||
      !r.ReadU64(&length) || !r.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        blob2 ? "UEFI_PLATFORM_FIRMWARE_BLOB2" : "UEFI_PLATFORM_FIRMWARE_BLOB",
        " of ", data.size(), " bytes is malformed"));
  }
  std::string text = absl::StrFormat("base 0x%x length 0x%x", base, length);
  return blob2 ? absl::StrCat(desc, ": ", text) : text;
}

absl::StatusOr<std::string> DescribeHandoffTables(absl::string_view data,
                                                  bool tables2) {
  ByteReader r(data);
  std::string desc;
  uint64_t count = 0;
  const char* what =
      tables2 ? "UEFI_HANDOFF_TABLE_POINTERS2" : "UEFI_HANDOFF_TABLE_POINTERS";
  if ((tables2 && !ReadDescription(r, &desc)) || !r.ReadU64(&count) ||
      count != r.remaining() / 24 || r.remaining() % 24 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " of ", data.size(), " bytes is malformed"));
  }
  std::string text = absl::StrCat(count, count == 1 ? " table" : " tables");
  for (uint64_t i = 0; i < count; ++i) {
    absl::string_view guid;
    uint64_t pointer = 0;
    r.ReadBytes(16, &guid);
    r.ReadU64(&pointer);
    absl::StrAppend(&text, i == 0 ? ": " : ", ", GuidToString(guid));
  }
  return tables2 ? absl::StrCat(desc, ": ", text) : text;
}

}  // namespace vtpm::bootstate
