// TCG_PCClientTaggedEvent, the event data of EV_EVENT_TAG (TCG PC Client
// PFP 10.4.2): UINT32 taggedEventID; UINT32 taggedEventDataSize;
// BYTE taggedEventData[taggedEventDataSize].
#ifndef VTPM_COMMON_BOOTSTATE_TAGGED_EVENT_H_
#define VTPM_COMMON_BOOTSTATE_TAGGED_EVENT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vtpm::bootstate {

// Tag ids used by the Linux EFI stub (drivers/firmware/efi/libstub) in
// PCR 9 (and by systemd-stub): the initrd loaded via LINUX_EFI_INITRD_MEDIA
// and the kernel's load options (command line). The digest covers the
// initrd / the UTF-16 load options; the tagged data is only a label.
inline constexpr uint32_t kLinuxInitrdTag = 0x8F3B22EC;
inline constexpr uint32_t kLinuxLoadOptionsTag = 0x8F3B22ED;

struct TaggedEvent {
  uint32_t id = 0;
  absl::string_view data;  // a view into the parsed bytes
};

// Parses `bytes`; taggedEventDataSize must account for exactly the bytes
// after the 8-byte header (InvalidArgument otherwise).
absl::StatusOr<TaggedEvent> ParseTaggedEvent(absl::string_view bytes);

// The tagged data as a label: UTF-16LE when it looks like ASCII stored as
// UTF-16, else bytes up to the first NUL; made display-safe.
std::string TaggedEventLabel(absl::string_view data);

}  // namespace vtpm::bootstate

#endif  // VTPM_COMMON_BOOTSTATE_TAGGED_EVENT_H_
