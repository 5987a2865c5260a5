// LinuxPlatform against a directory tree laid out like sysfs/securityfs.
#include <gtest/gtest.h>

#include <filesystem>

#include "agent/platform/platform.h"
#include "tests/harness/process.h"

namespace vtpm::agent {
namespace {

namespace fs = std::filesystem;
using ::vtpm::testing::TempDir;
using ::vtpm::testing::WriteFile;

class LinuxPlatformTest : public ::testing::Test {
 protected:
  void Put(const std::string& path, const std::string& data) {
    fs::create_directories(fs::path(dir_.path() + path).parent_path());
    ASSERT_TRUE(WriteFile(dir_.path() + path, data).ok());
  }
  std::unique_ptr<Platform> Make() {
    LinuxPaths p;
    p.root = dir_.path();
    return CreateLinuxPlatform(p);
  }
  TempDir dir_;
};

TEST_F(LinuxPlatformTest, ReadsHostFacts) {
  Put("/sys/class/dmi/id/product_uuid",
      "4C4C4544-0042-3510-8052-B4C04F4E4B32\n");
  Put("/etc/machine-id", "0123456789abcdef0123456789abcdef\n");
  Put("/proc/sys/kernel/osrelease", "6.1.0-27-cloud-amd64\n");
  auto facts = Make()->ReadHostFacts();
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->os(), "linux");
  EXPECT_EQ(facts->vm_uuid(), "4c4c4544-0042-3510-8052-b4c04f4e4b32");
  EXPECT_EQ(facts->machine_id(), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(facts->os_version(), "6.1.0-27-cloud-amd64");
  EXPECT_FALSE(facts->hostname().empty());
}

TEST_F(LinuxPlatformTest, MissingFilesLeaveFieldsEmpty) {
  auto facts = Make()->ReadHostFacts();
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->vm_uuid(), "");
  EXPECT_EQ(Make()->DetectTpmInterface(),
            vtpm_attest::v1::TPM_INTERFACE_UNSPECIFIED);
  auto log = Make()->ReadEventLog();
  EXPECT_EQ(log.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(LinuxPlatformTest, DetectsCrbFromDriverLinkAndTisFromUevent) {
  fs::create_directories(dir_.path() + "/sys/bus/acpi/drivers/tpm_crb");
  fs::create_directories(dir_.path() + "/sys/class/tpm/tpm0/device");
  fs::create_directory_symlink(
      dir_.path() + "/sys/bus/acpi/drivers/tpm_crb",
      dir_.path() + "/sys/class/tpm/tpm0/device/driver");
  EXPECT_EQ(Make()->DetectTpmInterface(), vtpm_attest::v1::TPM_INTERFACE_CRB);
  fs::remove(dir_.path() + "/sys/class/tpm/tpm0/device/driver");
  Put("/sys/class/tpm/tpm0/device/uevent",
      "DRIVER=tpm_tis\nMODALIAS=acpi:MSFT0101:\n");
  EXPECT_EQ(Make()->DetectTpmInterface(), vtpm_attest::v1::TPM_INTERFACE_TIS);
}

TEST_F(LinuxPlatformTest, ReadsEventLogBytes) {
  std::string log("\x00\x01\x02\xff", 4);
  Put("/sys/kernel/security/tpm0/binary_bios_measurements", log);
  auto got = Make()->ReadEventLog();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, log);
}

}  // namespace
}  // namespace vtpm::agent
