// Load-time validation of the policy fields: each error names the file and
// the field (JSON path), and good values come back in canonical form.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/harness/process.h"
#include "tests/policy/boot_state_data.h"
#include "verifier/policy/policy.h"
#include "verifier/policy/policy_names.h"

namespace vtpm::verifier {
namespace {

using ::testing::AllOf;
using testing::FakeDigest;
using ::testing::HasSubstr;

// Expects `json` to be rejected with a message naming the source and
// `field`.
void ExpectFieldError(const std::string& json, const std::string& field,
                      const std::string& why = "") {
  auto p = ParsePolicy(json, "/etc/vtpm-attest/policies/p.json", "p");
  ASSERT_FALSE(p.ok()) << json;
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(p.status().message(),
              AllOf(HasSubstr("/etc/vtpm-attest/policies/p.json"),
                    HasSubstr(absl::StrCat("field ", field)), HasSubstr(why)))
      << json;
}

TEST(ValidateTest, Sha256ListsNeedDigestsOfTheRightSize) {
  for (const char* field :
       {"requiredDb", "forbiddenDb", "requiredDbx", "allowedBootApplications",
        "allowedDrivers", "allowedInitrds", "allowedKernels",
        "allowedBootFiles", "allowedKernelCmdlineSha256"}) {
    SCOPED_TRACE(field);
    ExpectFieldError(absl::StrCat(R"({"boot": {")", field, R"(": [")",
                                  FakeDigest(1), R"(", "abcd"]}})"),
                     absl::StrCat("boot.", field, "[1]"), "2 bytes");
    ExpectFieldError(absl::StrCat(R"({"boot": {")", field, R"(": ["zz"]}})"),
                     absl::StrCat("boot.", field, "[0]"));
    // A SHA-1 digest is not accepted either.
    ExpectFieldError(absl::StrCat(R"({"boot": {")", field, R"(": [")",
                                  std::string(40, 'a'), R"("]}})"),
                     absl::StrCat("boot.", field, "[0]"), "20 bytes");
  }
}

TEST(ValidateTest, DigestsAreCanonicalized) {
  std::string upper = "0x" + std::string(64, 'A');
  auto p =
      ParsePolicy(absl::StrCat(R"({"boot": {"requiredDb": [")", upper,
                               R"("], "allowedKernels": [")", upper, R"("]}})"),
                  "p.json", "p");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->boot().required_db(0), std::string(64, 'a'));
  EXPECT_EQ(p->boot().allowed_kernels(0), std::string(64, 'a'));
  // A policy without a boot section gets none.
  auto q = ParsePolicy("{}", "p.json", "p");
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->has_boot());
}

TEST(ValidateTest, KernelCmdlinesMustCompileAsRe2) {
  ExpectFieldError(
      R"({"boot": {"allowedKernelCmdlines": ["console=ttyS0", "root=(/dev/sda"]}})",
      "boot.allowedKernelCmdlines[1]", "RE2");
  // Backreferences are not RE2 (it runs in linear time).
  ExpectFieldError(R"({"boot": {"allowedKernelCmdlines": ["(a)\\1"]}})",
                   "boot.allowedKernelCmdlines[0]", "RE2");
  EXPECT_TRUE(
      ParsePolicy(
          R"({"boot": {"allowedKernelCmdlines": ["BOOT_IMAGE=\\S+ ro( quiet)?"]}})",
          "p.json", "p")
          .ok());
}

TEST(ValidateTest, MinimumFirmwareVersionMustParse) {
  ExpectFieldError(R"({"boot": {"minimumFirmwareVersion": "stable"}})",
                   "boot.minimumFirmwareVersion", "no number");
  ExpectFieldError(
      R"({"boot": {"minimumFirmwareVersion": "1.1234567890123456789"}})",
      "boot.minimumFirmwareVersion", "too long");
  EXPECT_TRUE(
      ParsePolicy(
          R"({"boot": {"minimumFirmwareVersion": "edk2-stable202211"}})",
          "p.json", "p")
          .ok());
}

TEST(ValidateTest, QuirksMustBeKnown) {
  ExpectFieldError(R"({"allowedQuirks": ["empty-log", "qemu-kernel"]})",
                   "allowedQuirks[1]", "unknown quirk 'qemu-kernel'");
  std::string all = R"({"allowedQuirks": [)";
  for (size_t i = 0; i < kKnownQuirks.size(); ++i) {
    absl::StrAppend(&all, i ? ", " : "", "\"", kKnownQuirks[i], "\"");
  }
  absl::StrAppend(&all, "]}");
  EXPECT_TRUE(ParsePolicy(all, "p.json", "p").ok()) << all;
}

TEST(ValidateTest, ExtraEventTypesMustBeEventTypeNames) {
  ExpectFieldError(
      R"({"boot": {"extraEventTypes": ["EV_EFI_ACTION", "EV_NOT_A_TYPE"]}})",
      "boot.extraEventTypes[1]", "EV_NOT_A_TYPE");
  ExpectFieldError(R"({"boot": {"extraEventTypes": ["0x00000013"]}})",
                   "boot.extraEventTypes[0]");
  EXPECT_TRUE(
      ParsePolicy(
          R"({"boot": {"extraEventTypes": ["EV_EFI_SPDM_FIRMWARE_BLOB", "EV_IPL"]}})",
          "p.json", "p")
          .ok());
  EXPECT_TRUE(IsKnownEventTypeName("EV_EFI_VARIABLE_AUTHORITY"));
  EXPECT_FALSE(IsKnownEventTypeName("ev_ipl"));
}

TEST(ValidateTest, AcceptedBanks) {
  ExpectFieldError(R"({"acceptedBanks": ["HASH_ALGORITHM_UNSPECIFIED"]})",
                   "acceptedBanks[0]", "unsupported bank");
  ExpectFieldError(
      R"({"acceptedBanks": ["HASH_ALGORITHM_SHA256", "HASH_ALGORITHM_SHA256"]})",
      "acceptedBanks[1]", "twice");
  // What the policy quotes must be in a bank it accepts.
  ExpectFieldError(
      R"({"quotePcrs": [{"hash": "HASH_ALGORITHM_SHA1", "pcrs": [0]}]})",
      "quotePcrs[0].hash", "sha1 is not accepted");
  ExpectFieldError(
      R"({"acceptedBanks": ["HASH_ALGORITHM_SHA384"],
          "quotePcrs": [{"hash": "HASH_ALGORITHM_SHA384", "pcrs": [0]}],
          "pcrValues": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": [{"index": 0,
            "values": [")" +
          FakeDigest(0) + R"("]}]}]})",
      "pcrValues[0].hash", "sha256 is not accepted");
  ExpectFieldError(R"({"acceptedBanks": ["HASH_ALGORITHM_SHA384"]})",
                   "quotePcrs", "sha256:0-7");
  EXPECT_TRUE(
      ParsePolicy(
          R"({"acceptedBanks": ["HASH_ALGORITHM_SHA1", "HASH_ALGORITHM_SHA256"],
          "quotePcrs": [{"hash": "HASH_ALGORITHM_SHA1", "pcrs": [0]}]})",
          "p.json", "p")
          .ok());
}

TEST(ValidateTest, TpmManufacturers) {
  ExpectFieldError(R"({"allowedTpmManufacturers": ["IBM", "TOOLONG"]})",
                   "allowedTpmManufacturers[1]", "TOOLONG");
  ExpectFieldError(R"({"allowedTpmManufacturers": [""]})",
                   "allowedTpmManufacturers[0]");
}

// Found by fuzz_policy (tests/fuzz/corpus/fuzz_policy/crash-04839cda...): a
// quotePcrs bank without PCRs quoted nothing of that bank.
TEST(ValidateTest, QuotePcrsBankNamesAPcr) {
  ExpectFieldError(
      R"({"quotePcrs": [{"hash": "HASH_ALGORITHM_SHA512"}]})",
      "quotePcrs[0].pcrs", "names no PCR");
  ExpectFieldError(R"({"quotePcrs": [{"hash": "HASH_ALGORITHM_SHA256",
      "pcrs": [0]}, {"hash": "HASH_ALGORITHM_SHA384"}]})",
                   "quotePcrs[1].pcrs");
}

TEST(ValidateTest, PinnedEks) {
  ExpectFieldError(
      absl::StrCat(R"({"pinnedEks": {"vm-1": ")", FakeDigest(1), R"("}})"),
      "pinnedEks[\"vm-1\"]", "UUID");
  ExpectFieldError(
      R"({"pinnedEks": {"0a1b2c3d-0000-4000-8000-00000000000a": "abcd"}})",
      "pinnedEks[\"0a1b2c3d-0000-4000-8000-00000000000a\"]", "64 hex");
  ExpectFieldError(
      absl::StrCat(
          R"({"pinnedEks": {"0a1b2c3d-0000-4000-8000-00000000000a": ")",
          FakeDigest(1), R"(", "0A1B2C3D-0000-4000-8000-00000000000A": ")",
          FakeDigest(2), R"("}})"),
      "pinnedEks[", "twice");
  auto p = ParsePolicy(
      absl::StrCat(
          R"({"pinnedEks": {"0A1B2C3D-0000-4000-8000-00000000000A": ")",
          std::string(64, 'F'), R"("}})"),
      "p.json", "p");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->pinned_eks().at("0a1b2c3d-0000-4000-8000-00000000000a"),
            std::string(64, 'f'));
}

TEST(ValidateTest, BootRulesNeedTheirPcrsQuoted) {
  const std::string d = FakeDigest(1);
  struct Case {
    std::string boot;
    std::string field;
    std::string pcr;
  } cases[] = {
      {R"("allowedBootApplications": [")" + d + R"("])",
       "boot.allowedBootApplications", "PCR 4"},
      {R"("allowedDrivers": [")" + d + R"("])", "boot.allowedDrivers", "PCR 2"},
      {R"("forbiddenDb": [")" + d + R"("])", "boot.forbiddenDb", "PCR 7"},
      {R"("requireSecureBoot": true)", "boot.requireSecureBoot", "PCR 7"},
      {R"("forbidWindowsDebugging": true)", "boot.forbidWindowsDebugging",
       "PCR 12"},
  };
  for (const Case& c : cases) {
    ExpectFieldError(
        absl::StrCat(R"({"quotePcrs": [{"hash": "HASH_ALGORITHM_SHA256",
            "pcrs": [0, 1]}], "boot": {)",
                     c.boot, "}}"),
        c.field, c.pcr + " in quotePcrs");
  }
  // The default selection (sha256:0-7) covers PCRs 2, 4 and 7.
  EXPECT_TRUE(ParsePolicy(absl::StrCat(R"({"boot": {"allowedDrivers": [")", d,
                                       R"("], "requireSecureBoot": true}})"),
                          "p.json", "p")
                  .ok());
}

TEST(ValidateTest, OsExtendedPcrs) {
  ExpectFieldError(R"({"boot": {"osExtendedPcrs": [12, 24]}})",
                   "boot.osExtendedPcrs[1]", "PCR 24 is not 0-23");
  ExpectFieldError(R"({"boot": {"osExtendedPcrs": [12, 13, 12]}})",
                   "boot.osExtendedPcrs[2]", "PCR 12 is listed twice");
  auto p = ParsePolicy(R"({"boot": {"osExtendedPcrs": [0, 12, 23]}})", "p.json",
                       "p");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->boot().os_extended_pcrs_size(), 3);
}

TEST(ValidateTest, AllowedBootFilesAreCanonicalized) {
  auto p = ParsePolicy(absl::StrCat(R"({"boot": {"allowedBootFiles": ["0x)",
                                    std::string(64, 'B'), R"("]}})"),
                       "p.json", "p");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->boot().allowed_boot_files(0), std::string(64, 'b'));
}

TEST(ValidateTest, LegacyEkRoots) {
  ExpectFieldError(R"({"legacyEkRoots": ["abcd"]})", "legacyEkRoots[0]",
                   "2 bytes");
  ExpectFieldError(absl::StrCat(R"({"legacyEkRoots": [")", FakeDigest(1),
                                R"(", "not hex"]})"),
                   "legacyEkRoots[1]");
  // A SHA-1 fingerprint is not a SHA-256 one.
  ExpectFieldError(
      absl::StrCat(R"({"legacyEkRoots": [")", std::string(40, 'a'), R"("]})"),
      "legacyEkRoots[0]", "20 bytes");
  auto p = ParsePolicy(
      absl::StrCat(R"({"legacyEkRoots": [")", std::string(64, 'E'), R"("]})"),
      "p.json", "p");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->legacy_ek_roots(0), std::string(64, 'e'));
}

TEST(ValidateTest, LoadPolicyFileNamesThePath) {
  testing::TempDir dir;
  std::string path = dir.Sub("bad-cmdline.json");
  ASSERT_TRUE(
      testing::WriteFile(path, R"({"boot": {"allowedKernelCmdlines": ["["]}})")
          .ok());
  auto p = LoadPolicyFile(path);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(
      p.status().message(),
      AllOf(HasSubstr(path), HasSubstr("field boot.allowedKernelCmdlines[0]")));
}

}  // namespace
}  // namespace vtpm::verifier
