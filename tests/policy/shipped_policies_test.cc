// The policies shipped in policies/ (installed to /etc/vtpm-attest/policies)
// load together and are selected by their labels.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/harness/process.h"
#include "tests/policy/boot_state_data.h"
#include "verifier/policy/policy.h"

namespace vtpm::verifier {
namespace {

using ::testing::Contains;

std::string Dir() { return testing::SourceDir() + "/policies"; }

TEST(ShippedPoliciesTest, EveryFileLoadsAndIsNamedAfterItsFile) {
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(Dir())) {
    if (e.path().extension() != ".json") continue;
    ++files;
    auto p = LoadPolicyFile(e.path().string());
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->name(), e.path().stem().string());
    EXPECT_FALSE(p->description().empty()) << p->name();
    // Only the default policy may match every agent.
    if (p->name() != "default") {
      EXPECT_GT(p->match_labels_size(), 0) << p->name();
    }
  }
  EXPECT_GE(files, 7);
}

TEST(ShippedPoliciesTest, SelectedByLabels) {
  auto set = PolicySet::LoadDirectory(Dir());
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ((*set->Select({}))->name(), "default");
  EXPECT_EQ((*set->Select({{"image", "debian-12"}}))->name(), "default");
  EXPECT_EQ((*set->Select({{"policy", "ovmf-secureboot"}}))->name(),
            "ovmf-secureboot");
  EXPECT_EQ((*set->Select({{"platform", "libvirt"}}))->name(), "libvirt-swtpm");
  EXPECT_EQ((*set->Select({{"platform", "vsphere"}}))->name(), "vsphere-vmca");
  EXPECT_EQ((*set->Select({{"platform", "cloud"}}))->name(), "cloud-vtpm");
  EXPECT_EQ((*set->Select({{"policy", "ovmf-uki-golden"}}))->name(),
            "ovmf-uki-golden");
}

TEST(ShippedPoliciesTest, SecureBootPolicyRequiresMicrosoftKeys) {
  auto p = LoadPolicyFile(Dir() + "/ovmf-secureboot.json");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->boot().require_secure_boot());
  EXPECT_TRUE(p->boot().require_event_log());
  EXPECT_THAT(p->boot().required_db(), Contains(testing::kMsUefiCa2011));
  EXPECT_THAT(p->boot().required_db(), Contains(testing::kMsWindowsPca2011));
}

TEST(ShippedPoliciesTest, TrustStorePolicies) {
  for (auto [name, platform] : {std::pair{"libvirt-swtpm", "libvirt"},
                                std::pair{"vsphere-vmca", "vsphere"},
                                std::pair{"cloud-vtpm", "cloud"}}) {
    auto p = LoadPolicyFile(Dir() + "/" + name + ".json");
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_TRUE(p->require_ek_certificate()) << name;
    EXPECT_THAT(p->trust_platforms(), ::testing::ElementsAre(platform));
  }
}

}  // namespace
}  // namespace vtpm::verifier
