#include "common/bootstate/image_load.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/byte_reader.h"

namespace vtpm::bootstate {
namespace {

bool TryLayout(absl::string_view bytes, bool uintn32, ImageLoadEvent* out) {
  ByteReader r(bytes);
  auto read_uintn = [&](uint64_t* v) {
    if (!uintn32) return r.ReadU64(v);
    uint32_t v32 = 0;
    if (!r.ReadU32(&v32)) return false;
    *v = v32;
    return true;
  };
  uint64_t dp_len = 0;
  if (!r.ReadU64(&out->location) || !read_uintn(&out->length) ||
      !read_uintn(&out->link_time_address) || !read_uintn(&dp_len)) {
    return false;
  }
  if (dp_len != r.remaining()) return false;
  out->device_path = r.Rest();
  out->uintn_32bit = uintn32;
  return true;
}

}  // namespace

absl::StatusOr<ImageLoadEvent> ParseImageLoadEvent(absl::string_view bytes) {
  ImageLoadEvent out;
  if (TryLayout(bytes, /*uintn32=*/false, &out)) return out;
  out = ImageLoadEvent();
  if (TryLayout(bytes, /*uintn32=*/true, &out)) return out;
  return absl::InvalidArgumentError(
      absl::StrCat("UEFI_IMAGE_LOAD_EVENT of ", bytes.size(),
                   " bytes: LengthOfDevicePath does not match the data"));
}

}  // namespace vtpm::bootstate
