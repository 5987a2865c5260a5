// Test helpers: EFI and TCG structures built from their specified
// layouts (UEFI spec, TCG PC Client PFP), for decoder and extraction
// tests.
#ifndef VTPM_TESTS_BOOTSTATE_EFI_BUILDERS_H_
#define VTPM_TESTS_BOOTSTATE_EFI_BUILDERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace vtpm::bootstate::testing {

// Little-endian integers.
std::string U16(uint16_t v);
std::string U32(uint32_t v);
std::string U64(uint64_t v);

// The 16 bytes of an EFI_GUID written as "8be4df61-93ca-11d2-aa0d-...".
std::string Guid(absl::string_view text);

// ASCII as UTF-16LE, without a terminating NUL.
std::string Utf16(absl::string_view ascii);

// One device path node.
std::string Node(uint8_t type, uint8_t subtype, absl::string_view body);

// An EFI_SIGNATURE_LIST of `type_guid` whose signatures are `signatures`
// (each owner GUID + data, all the same size), after `header` (the
// vendor SignatureHeader).
std::string SignatureList(absl::string_view type_guid,
                          const std::vector<std::string>& signatures,
                          absl::string_view header = "");

struct Partition {
  std::string type_guid;
  std::string unique_guid;
  uint64_t first_lba;
  uint64_t last_lba;
  std::string name;  // ASCII
};

// UEFI_GPT_DATA: a 92-byte header ("EFI PART", 128-byte entries), the
// count and the entries.
std::string GptEvent(absl::string_view disk_guid,
                     const std::vector<Partition>& partitions);

// UEFI_IMAGE_LOAD_EVENT (64-bit UINTN) with `device_path`.
std::string ImageLoad(uint64_t base, uint64_t length,
                      absl::string_view device_path);

// A device path of one file path node and End-Entire.
std::string FilePath(absl::string_view ascii_path);

// TCG_PCClientTaggedEvent.
std::string TaggedEvent(uint32_t id, absl::string_view data);

}  // namespace vtpm::bootstate::testing

#endif  // VTPM_TESTS_BOOTSTATE_EFI_BUILDERS_H_
