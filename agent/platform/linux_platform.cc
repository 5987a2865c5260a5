// Linux implementation of Platform: sysfs, securityfs and /etc.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/platform/platform.h"

namespace vtpm::agent {
namespace {

// Reads a whole file; NotFound if it does not exist.
absl::StatusOr<std::string> Slurp(const std::string& path,
                                  size_t max_bytes = 64 << 20) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return absl::NotFoundError(absl::StrCat(path, " does not exist"));
    }
    return absl::PermissionDeniedError(
        absl::StrCat("cannot read ", path, ": ", strerror(errno)));
  }
  std::string data;
  char buf[65536];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    data.append(buf, in.gcount());
    if (data.size() > max_bytes) {
      return absl::OutOfRangeError(
          absl::StrCat(path, " is larger than ", max_bytes, " bytes"));
    }
  }
  return data;
}

std::string TrimmedOrEmpty(const std::string& path) {
  auto s = Slurp(path, 4096);
  return s.ok() ? std::string(absl::StripAsciiWhitespace(*s)) : "";
}

class LinuxPlatform : public Platform {
 public:
  explicit LinuxPlatform(LinuxPaths paths) : p_(std::move(paths)) {}

  std::vector<std::string> DefaultTctis() const override {
    return {"device:/dev/tpmrm0", "device:/dev/tpm0"};
  }

  absl::StatusOr<vtpm_attest::v1::HostFacts> ReadHostFacts() const override {
    vtpm_attest::v1::HostFacts f;
    f.set_os("linux");
    f.set_os_version(TrimmedOrEmpty(Path(p_.os_release)));
    char host[256] = {};
    if (gethostname(host, sizeof(host) - 1) == 0) f.set_hostname(host);
    f.set_vm_uuid(absl::AsciiStrToLower(TrimmedOrEmpty(Path(p_.product_uuid))));
    f.set_machine_id(TrimmedOrEmpty(Path(p_.machine_id)));
    return f;
  }

  vtpm_attest::v1::TpmInterface DetectTpmInterface() const override {
    // /sys/class/tpm/tpm0/device/driver -> .../tpm_crb or .../tpm_tis
    std::error_code ec;
    auto target = std::filesystem::read_symlink(
        Path(p_.tpm_sysfs + "/device/driver"), ec);
    std::string driver = ec ? "" : target.filename().string();
    if (driver.empty()) {
      auto uevent = Slurp(Path(p_.tpm_sysfs + "/device/uevent"), 4096);
      if (uevent.ok()) {
        for (absl::string_view line : absl::StrSplit(*uevent, '\n')) {
          if (absl::ConsumePrefix(&line, "DRIVER=")) driver = std::string(line);
        }
      }
    }
    if (absl::StartsWith(driver, "tpm_crb")) {
      return vtpm_attest::v1::TPM_INTERFACE_CRB;
    }
    if (absl::StartsWith(driver, "tpm_tis")) {
      return vtpm_attest::v1::TPM_INTERFACE_TIS;
    }
    return vtpm_attest::v1::TPM_INTERFACE_UNSPECIFIED;
  }

  absl::StatusOr<std::string> ReadEventLog() const override {
    return Slurp(Path(p_.event_log));
  }

 private:
  std::string Path(const std::string& abs) const { return p_.root + abs; }
  LinuxPaths p_;
};

}  // namespace

std::unique_ptr<Platform> CreateLinuxPlatform(LinuxPaths paths) {
  return std::make_unique<LinuxPlatform>(std::move(paths));
}

std::unique_ptr<Platform> CreateNativePlatform() {
  return CreateLinuxPlatform();
}

}  // namespace vtpm::agent
