// What a measured file is by its logged name. The name of a PCR 8/9/12/13
// file measurement is event data, which no digest covers: it is a claim of
// the log, good for reports and for spotting a second kernel, never a
// reason to trust a digest (an allowlist rule accounts for every file
// digest, whatever its name; docs/EVENTLOG.md).
#ifndef VTPM_COMMON_BOOTSTATE_MEASURED_FILE_H_
#define VTPM_COMMON_BOOTSTATE_MEASURED_FILE_H_

#include "absl/strings/string_view.h"

namespace vtpm::bootstate {

enum class FileKind { kKernel, kInitrd, kOther };

// By the last path component of `name` (after the last '/', '\' or ')'),
// lower-cased: containing "initrd" or "initramfs" -> initrd ("/initrd.img",
// "Linux initrd"); starting with "vmlinuz", "vmlinux", "bzimage" or
// "kernel" -> kernel ("(hd0,gpt2)/boot/vmlinuz-6.1.0-27-amd64"); anything
// else (grub.cfg, "LOADED_IMAGE::LoadOptions", modules) -> other.
FileKind ClassifyFileName(absl::string_view name);

}  // namespace vtpm::bootstate

#endif  // VTPM_COMMON_BOOTSTATE_MEASURED_FILE_H_
