// The agent's view of its operating system. Everything that touches
// OS-specific paths or APIs (Linux sysfs/securityfs, Windows TBS and the
// registry) sits behind this interface, so the rest of the agent is
// platform-free. Implementations: linux_platform.cc (Windows: later).
#ifndef VTPM_AGENT_PLATFORM_PLATFORM_H_
#define VTPM_AGENT_PLATFORM_PLATFORM_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::agent {

class Platform {
 public:
  virtual ~Platform() = default;

  // TCTI configurations to try, in order, when the user names none
  // (Linux: the kernel resource manager, then the raw device).
  virtual std::vector<std::string> DefaultTctis() const = 0;

  // OS name and version, hostname, SMBIOS VM UUID and machine id. Fields
  // the OS does not expose are left empty; only unexpected I/O errors fail.
  virtual absl::StatusOr<vtpm_attest::v1::HostFacts> ReadHostFacts() const = 0;

  // How the TPM is attached (CRB or TIS), or UNSPECIFIED if unknown.
  virtual vtpm_attest::v1::TpmInterface DetectTpmInterface() const = 0;

  // The firmware's TCG event log. NotFound when the platform exposes none
  // (e.g. swtpm in tests, or securityfs not mounted).
  virtual absl::StatusOr<std::string> ReadEventLog() const = 0;
};

// Where the Linux implementation reads from. Tests point `root` at a
// directory tree laid out like the real one.
struct LinuxPaths {
  std::string root = "";  // prefix for every absolute path below
  std::string tpm_sysfs = "/sys/class/tpm/tpm0";
  std::string event_log = "/sys/kernel/security/tpm0/binary_bios_measurements";
  std::string product_uuid = "/sys/class/dmi/id/product_uuid";
  std::string machine_id = "/etc/machine-id";
  std::string os_release = "/proc/sys/kernel/osrelease";
};

std::unique_ptr<Platform> CreateLinuxPlatform(LinuxPaths paths = {});

// The platform the agent was built for.
std::unique_ptr<Platform> CreateNativePlatform();

}  // namespace vtpm::agent

#endif  // VTPM_AGENT_PLATFORM_PLATFORM_H_
