#include "common/bootstate/tagged_event.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/byte_reader.h"
#include "common/bootstate/ucs2.h"

namespace vtpm::bootstate {

absl::StatusOr<TaggedEvent> ParseTaggedEvent(absl::string_view bytes) {
  ByteReader r(bytes);
  TaggedEvent out;
  uint32_t size = 0;
  if (!r.ReadU32(&out.id) || !r.ReadU32(&size)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TCG_PCClientTaggedEvent: ", bytes.size(), " bytes, header needs 8"));
  }
  if (size != r.remaining()) {
    return absl::InvalidArgumentError(
        absl::StrCat("TCG_PCClientTaggedEvent: taggedEventDataSize ", size,
                     " but ", r.remaining(), " bytes follow the header"));
  }
  out.data = r.Rest();
  return out;
}

std::string TaggedEventLabel(absl::string_view data) {
  return LoggedString(data);
}

}  // namespace vtpm::bootstate
