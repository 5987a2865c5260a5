#include "common/bootstate/measured_file.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace vtpm::bootstate {

FileKind ClassifyFileName(absl::string_view name) {
  std::string lower = absl::AsciiStrToLower(name);
  size_t slash = lower.find_last_of("/\\)");
  absl::string_view base = lower;
  if (slash != std::string::npos) base = base.substr(slash + 1);
  if (absl::StrContains(base, "initrd") ||
      absl::StrContains(base, "initramfs")) {
    return FileKind::kInitrd;
  }
  for (absl::string_view prefix : {"vmlinuz", "vmlinux", "bzimage", "kernel"}) {
    if (absl::StartsWith(base, prefix)) return FileKind::kKernel;
  }
  return FileKind::kOther;
}

}  // namespace vtpm::bootstate
