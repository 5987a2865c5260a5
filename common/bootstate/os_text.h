// Internal to the boot-state extraction (os_events.cc, grub_events.cc):
// how OS loaders' strings hash, and the names of values a boot measures
// once.
#ifndef VTPM_COMMON_BOOTSTATE_OS_TEXT_H_
#define VTPM_COMMON_BOOTSTATE_OS_TEXT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/eventlog/event_log.h"

namespace vtpm::bootstate::internal {

// Values a boot measures once (ExtractContext::MeasuredOnce keys).
inline constexpr char kGrubKernelCmdline[] = "the GRUB kernel command line";
inline constexpr char kSystemdStubCmdline[] =
    "systemd-stub's kernel command line";
inline constexpr char kEfiStubLoadOptions[] =
    "the Linux EFI stub's load options (kernel command line)";

// A UTF-16 string with and without its trailing NUL: the two forms
// systemd-stub versions hash (with it up to 252, without it later).
std::vector<std::string> Utf16Candidates(absl::string_view data);

// True when `data` is ASCII stored as UTF-16LE and the event's digests
// are its hash (with or without the trailing NUL) in every supported bank,
// at least one.
bool HashesToOwnUtf16(const eventlog::Event& e, absl::string_view data);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

}  // namespace vtpm::bootstate::internal

#endif  // VTPM_COMMON_BOOTSTATE_OS_TEXT_H_
