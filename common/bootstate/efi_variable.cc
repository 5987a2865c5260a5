#include "common/bootstate/efi_variable.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/byte_reader.h"
#include "common/bootstate/guid.h"
#include "common/bootstate/ucs2.h"

namespace vtpm::bootstate {

absl::StatusOr<UefiVariableData> ParseUefiVariableData(absl::string_view bytes,
                                                       bool allow_trailing) {
  ByteReader r(bytes);
  absl::string_view guid;
  uint64_t name_chars = 0;
  uint64_t data_len = 0;
  if (!r.ReadBytes(16, &guid) || !r.ReadU64(&name_chars) ||
      !r.ReadU64(&data_len)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "UEFI_VARIABLE_DATA: ", bytes.size(), " bytes, header needs 32"));
  }
  // Compare without multiplying or adding untrusted 64-bit values.
  if (name_chars > r.remaining() / 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("UEFI_VARIABLE_DATA: UnicodeNameLength ", name_chars,
                     " exceeds the ", r.remaining(), " bytes left"));
  }
  absl::string_view name;
  r.ReadBytes(static_cast<size_t>(name_chars) * 2, &name);
  if (data_len > r.remaining()) {
    return absl::InvalidArgumentError(
        absl::StrCat("UEFI_VARIABLE_DATA: VariableDataLength ", data_len,
                     " exceeds the ", r.remaining(), " bytes left"));
  }
  UefiVariableData out;
  r.ReadBytes(static_cast<size_t>(data_len), &out.data);
  out.trailing_bytes = r.remaining();
  if (out.trailing_bytes != 0 && !allow_trailing) {
    return absl::InvalidArgumentError(
        absl::StrCat("UEFI_VARIABLE_DATA: ", out.trailing_bytes,
                     " bytes after VariableData"));
  }
  out.vendor_guid = GuidToString(guid);
  out.name = ToDisplayString(Utf16LeToUtf8(name));
  return out;
}

std::string SerializeUefiVariableData(absl::string_view vendor_guid_raw,
                                      absl::string_view utf16_name,
                                      absl::string_view data) {
  std::string out(vendor_guid_raw);
  auto put64 = [&](uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  };
  put64(utf16_name.size() / 2);
  put64(data.size());
  absl::StrAppend(&out, utf16_name, data);
  return out;
}

}  // namespace vtpm::bootstate
