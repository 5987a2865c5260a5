#include "common/bootstate/load_option.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/byte_reader.h"
#include "common/bootstate/device_path.h"
#include "common/bootstate/ucs2.h"

namespace vtpm::bootstate {

absl::StatusOr<LoadOption> ParseLoadOption(absl::string_view bytes) {
  ByteReader r(bytes);
  LoadOption out;
  uint16_t path_len = 0;
  if (!r.ReadU32(&out.attributes) || !r.ReadU16(&path_len)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "EFI_LOAD_OPTION: ", bytes.size(), " bytes, header needs 6"));
  }
  // Description: CHAR16s up to and including a NUL.
  size_t desc_start = r.position();
  bool terminated = false;
  uint16_t unit = 0;
  while (r.ReadU16(&unit)) {
    if (unit == 0) {
      terminated = true;
      break;
    }
  }
  if (!terminated) {
    return absl::InvalidArgumentError(
        "EFI_LOAD_OPTION: Description is not NUL-terminated");
  }
  out.description = ToDisplayString(
      Utf16LeToUtf8(bytes.substr(desc_start, r.position() - desc_start)));
  absl::string_view path;
  if (!r.ReadBytes(path_len, &path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("EFI_LOAD_OPTION: FilePathListLength ", path_len,
                     " exceeds the ", r.remaining(), " bytes left"));
  }
  out.device_path = DevicePathToText(path).text;
  out.optional_data_size = r.remaining();
  return out;
}

absl::StatusOr<std::vector<uint16_t>> ParseBootOrder(absl::string_view bytes) {
  if (bytes.size() % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("BootOrder of odd length ", bytes.size()));
  }
  std::vector<uint16_t> out;
  ByteReader r(bytes);
  uint16_t n = 0;
  while (r.ReadU16(&n)) out.push_back(n);
  return out;
}

}  // namespace vtpm::bootstate
