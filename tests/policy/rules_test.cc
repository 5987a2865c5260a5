// Every rule of EvaluatePolicy: passes the good case, rejects the bad case
// with its reason code and a message naming the rule and what broke it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/hex.h"
#include "tests/policy/boot_state_data.h"
#include "verifier/policy/policy.h"
#include "verifier/policy/policy_rules.h"

namespace vtpm::verifier {
namespace {

namespace v1 = vtpm_attest::v1;
using ::testing::AllOf;
using testing::FakeDigest;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ShimSecureBootState;

using testing::Evaluate;
using testing::MustParse;

TEST(RulesTest, TpmManufacturer) {
  Policy p = MustParse(R"({"allowedTpmManufacturers": ["IBM", " MSFT "]})");
  EXPECT_EQ(p.allowed_tpm_manufacturers(1), "MSFT");
  PolicyInput in;
  in.tpm.certified = true;
  in.tpm.manufacturer = "IBM";
  EXPECT_TRUE(EvaluatePolicy(p, in).empty());
  in.tpm.manufacturer = "IFX";
  auto r = EvaluatePolicy(p, in);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_TPM_MANUFACTURER);
  EXPECT_THAT(r[0].message(),
              AllOf(HasSubstr("policy test: allowedTpmManufacturers"),
                    HasSubstr("'IFX'")));
  // Without a verified EK certificate the rule cannot hold, whatever the
  // guest reports.
  v1::TpmFacts claimed;
  claimed.set_manufacturer("IBM");
  PolicyInput uncertified;
  uncertified.reported.tpm = &claimed;
  r = EvaluatePolicy(p, uncertified);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_TPM_MANUFACTURER);
  EXPECT_THAT(r[0].message(), HasSubstr("not certified"));
}

TEST(RulesTest, TpmModelJudgesTheCertifiedModel) {
  Policy p = MustParse(R"({"allowedTpmModels": ["id:00001014:swtpm", "IFX"]})");
  PolicyInput in;
  in.tpm.certified = true;
  in.tpm.manufacturer = "id:00001014";
  in.tpm.model = "swtpm";
  EXPECT_TRUE(EvaluatePolicy(p, in).empty());
  in.tpm.manufacturer = "IFX";
  in.tpm.model = "SLB9670";
  EXPECT_TRUE(EvaluatePolicy(p, in).empty());
  in.tpm.manufacturer = "NTC";
  auto r = EvaluatePolicy(p, in);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_TPM_MODEL);
  EXPECT_THAT(r[0].message(), HasSubstr("'NTC:SLB9670'"));
  in.tpm = VerifiedTpm{};
  r = EvaluatePolicy(p, in);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_TPM_MODEL);
}

TEST(RulesTest, TpmFamilyComesFromTheVerifiedQuote) {
  Policy p = MustParse(R"({"tpmFamily": "2.0"})");
  PolicyInput in;
  in.tpm.family = "1.2";
  auto r = EvaluatePolicy(p, in);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_TPM_FAMILY);
  in.tpm.family = "2.0";
  EXPECT_TRUE(EvaluatePolicy(p, in).empty());
  // A family the guest reports is not judged: only the quote's.
  v1::TpmFacts claimed;
  claimed.set_family("1.2");
  in.reported.tpm = &claimed;
  EXPECT_TRUE(EvaluatePolicy(p, in).empty());
}

TEST(RulesTest, PinnedEk) {
  const std::string pinned = FakeDigest(0x11);
  Policy p = MustParse(absl::StrCat(
      R"({"pinnedEks": {"0A1B2C3D-0000-4000-8000-00000000000A": ")",
      absl::AsciiStrToUpper(pinned), R"("}})"));
  PolicyInput in;
  in.reported.vm_uuid = "0a1b2c3d-0000-4000-8000-00000000000a";
  in.ek_fingerprint = pinned;
  EXPECT_TRUE(EvaluatePolicy(p, in).empty());
  // case does not matter
  in.reported.vm_uuid = "0A1B2C3D-0000-4000-8000-00000000000A";
  EXPECT_TRUE(EvaluatePolicy(p, in).empty());
  in.ek_fingerprint = FakeDigest(0x12);
  auto r = EvaluatePolicy(p, in);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_EK_PINNED);
  EXPECT_THAT(r[0].message(),
              AllOf(HasSubstr("pinnedEks"), HasSubstr(FakeDigest(0x12)),
                    HasSubstr(pinned)));
  // Another VM is not pinned.
  in.reported.vm_uuid = "0a1b2c3d-0000-4000-8000-00000000000b";
  EXPECT_TRUE(EvaluatePolicy(p, in).empty());
  // The pinned EK claiming another (or no) VM UUID does not escape its pin.
  in.ek_fingerprint = pinned;
  r = EvaluatePolicy(p, in);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_EK_PINNED);
  EXPECT_THAT(r[0].message(), HasSubstr("is pinned to VM"));
  in.reported.vm_uuid.clear();
  EXPECT_EQ(EvaluatePolicy(p, in).size(), 1u);
}

TEST(RulesTest, Freshness) {
  Policy p = MustParse(R"({"freshness": {"maxEvidenceAgeSeconds": 60}})");
  PolicyInput in;
  in.evidence_age = absl::Seconds(59);
  EXPECT_TRUE(EvaluatePolicy(p, in).empty());
  in.evidence_age = absl::Seconds(61);
  auto r = EvaluatePolicy(p, in);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_EVIDENCE_AGE);
  EXPECT_THAT(r[0].message(),
              AllOf(HasSubstr("freshness.maxEvidenceAgeSeconds"),
                    HasSubstr("61.0 s old, limit 60 s")));
  // Unknown age fails closed.
  r = EvaluatePolicy(p, PolicyInput{});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_EVIDENCE_AGE);
  // No limit, no judgement.
  EXPECT_TRUE(EvaluatePolicy(MustParse("{}"), PolicyInput{}).empty());
}

TEST(RulesTest, AcceptedBanks) {
  Policy p = MustParse(R"({"acceptedBanks": ["HASH_ALGORITHM_SHA256"]})");
  PcrValues pcrs;
  pcrs[TPM2_ALG_SHA256][0] = std::string(32, '\0');
  PolicyInput with_pcrs;
  with_pcrs.pcrs = &pcrs;
  EXPECT_TRUE(EvaluatePolicy(p, with_pcrs).empty());
  pcrs[TPM2_ALG_SHA1][0] = std::string(20, '\0');
  auto r = EvaluatePolicy(p, with_pcrs);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_BANK);
  EXPECT_THAT(r[0].message(),
              AllOf(HasSubstr("acceptedBanks"), HasSubstr("sha1")));
  // The default excludes sha1 too; an explicit bank set wins over *pcrs.
  PolicyInput in;
  in.banks = {TPM2_ALG_SHA1};
  r = EvaluatePolicy(MustParse("{}"), in);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_BANK);
  in.banks = {TPM2_ALG_SHA384};
  EXPECT_TRUE(EvaluatePolicy(MustParse("{}"), in).empty());
}

// Every boot rule asks for the log it judges (a rule without a log would
// be skipped and pass every VM): each field of BootPolicy, set alone.
TEST(RulesTest, EveryBootRuleNeedsTheEventLog) {
  const std::string d = FakeDigest(0x42);
  const std::vector<std::string> rules = {
      R"("requireEventLog": true)",
      R"("requireSecureBoot": true)",
      absl::StrCat(R"("requiredDb": [")", d, R"("])"),
      absl::StrCat(R"("forbiddenDb": [")", d, R"("])"),
      absl::StrCat(R"("requiredDbx": [")", d, R"("])"),
      absl::StrCat(R"("allowedBootApplications": [")", d, R"("])"),
      absl::StrCat(R"("allowedDrivers": [")", d, R"("])"),
      R"("allowedKernelCmdlines": ["x"])",
      absl::StrCat(R"("allowedInitrds": [")", d, R"("])"),
      absl::StrCat(R"("allowedKernels": [")", d, R"("])"),
      R"("minimumFirmwareVersion": "1.0")",
      R"("forbidWindowsTestSigning": true)",
      R"("forbidWindowsDebugging": true)",
      absl::StrCat(R"("allowedKernelCmdlineSha256": [")", d, R"("])"),
      absl::StrCat(R"("allowedBootFiles": [")", d, R"("])"),
  };
  for (const std::string& rule : rules) {
    Policy p = MustParse(absl::StrCat(
        R"({"quotePcrs": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": )",
        R"([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14]}], "boot": {)", rule,
        "}}"));
    EXPECT_TRUE(PolicyNeedsEventLog(p)) << rule;
    auto r = EvaluatePolicy(p, PolicyInput{});
    ASSERT_FALSE(r.empty()) << rule;
    EXPECT_EQ(r[0].code(), v1::EVENTLOG_MISSING) << rule;
  }
  // Fields that only widen what a log may hold ask for nothing.
  EXPECT_FALSE(
      PolicyNeedsEventLog(MustParse(R"({"boot": {"extraEventTypes": ["EV_IPL"],
                             "osExtendedPcrs": [12]}})")));
  // Every BootPolicy field is in one list or the other.
  EXPECT_EQ(rules.size() + 2,
            static_cast<size_t>(v1::BootPolicy::descriptor()->field_count()));
}

TEST(RulesTest, EventLogRequired) {
  Policy p = MustParse(R"({"boot": {"requireEventLog": true}})");
  auto r = EvaluatePolicy(p, PolicyInput{});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::EVENTLOG_MISSING);
  EXPECT_THAT(r[0].message(), HasSubstr("boot.requireEventLog"));
  // A boot rule without requireEventLog needs the log just the same.
  p = MustParse(absl::StrCat(
      R"({"boot": {"requireSecureBoot": true, "allowedKernels": [")",
      FakeDigest(1), R"("]}})"));
  r = EvaluatePolicy(p, PolicyInput{});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::EVENTLOG_MISSING);
  EXPECT_THAT(r[0].message(),
              HasSubstr("boot.requireSecureBoot, boot.allowedKernels: needs "
                        "the event log"));
  // A policy without boot rules does not.
  EXPECT_TRUE(EvaluatePolicy(MustParse(R"({"boot": {"extraEventTypes":
      ["EV_EFI_ACTION"]}})"),
                             PolicyInput{})
                  .empty());
  v1::BootState s = ShimSecureBootState();
  EXPECT_TRUE(
      Evaluate(MustParse(R"({"boot": {"requireEventLog": true}})"), s).empty());
}

TEST(RulesTest, Quirks) {
  v1::BootState s = ShimSecureBootState();
  s.add_quirks_used("qemu-direct-kernel-boot");
  auto r = Evaluate(MustParse("{}"), s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_QUIRK);
  EXPECT_THAT(r[0].message(), AllOf(HasSubstr("allowedQuirks"),
                                    HasSubstr("qemu-direct-kernel-boot")));
  EXPECT_TRUE(
      Evaluate(MustParse(R"({"allowedQuirks": ["qemu-direct-kernel-boot"]})"),
               s)
          .empty());
}

TEST(RulesTest, SecureBoot) {
  Policy p = MustParse(R"({"boot": {"requireSecureBoot": true}})");
  v1::BootState s = ShimSecureBootState();
  EXPECT_TRUE(Evaluate(p, s).empty());
  s.set_secure_boot(false);
  auto r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_SECURE_BOOT);
  EXPECT_THAT(
      r[0].message(),
      AllOf(HasSubstr("boot.requireSecureBoot"), HasSubstr("off"),
            HasSubstr("event 3 (PCR 7, EV_EFI_VARIABLE_DRIVER_CONFIG)")));
  s.set_secure_boot_known(false);
  r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_SECURE_BOOT);
  EXPECT_THAT(r[0].message(), HasSubstr("not measured"));
}

TEST(RulesTest, SecureBootDb) {
  Policy p = MustParse(absl::StrCat(R"({"boot": {"requiredDb": [")",
                                    testing::kMsUefiCa2011, R"(", ")",
                                    testing::kMsWindowsPca2011, R"("]}})"));
  v1::BootState s = ShimSecureBootState();
  EXPECT_TRUE(Evaluate(p, s).empty());
  s.mutable_db()->RemoveLast();  // the UEFI CA
  auto r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_SECURE_BOOT_DB);
  EXPECT_THAT(
      r[0].message(),
      AllOf(HasSubstr("boot.requiredDb"), HasSubstr(testing::kMsUefiCa2011),
            HasSubstr("event 6 (PCR 7, EV_EFI_VARIABLE_DRIVER_CONFIG)")));

  Policy forbid = MustParse(absl::StrCat(
      R"({"boot": {"forbiddenDb": [")", testing::kMsWindowsPca2011, R"("]}})"));
  r = Evaluate(forbid, ShimSecureBootState());
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_SECURE_BOOT_DB);
  EXPECT_THAT(r[0].message(),
              AllOf(HasSubstr("boot.forbiddenDb"),
                    HasSubstr("Microsoft Windows Production PCA 2011")));
  v1::BootState without_pca = ShimSecureBootState();
  without_pca.mutable_db()->DeleteSubrange(0, 1);
  EXPECT_TRUE(Evaluate(forbid, without_pca).empty());
}

TEST(RulesTest, SecureBootDbx) {
  Policy p = MustParse(absl::StrCat(R"({"boot": {"requiredDbx": [")",
                                    testing::kOvmfDbxPlaceholder, R"("]}})"));
  v1::BootState s = ShimSecureBootState();
  EXPECT_TRUE(Evaluate(p, s).empty());
  s.clear_dbx();
  auto r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_SECURE_BOOT_DBX);
  EXPECT_THAT(r[0].message(), AllOf(HasSubstr("boot.requiredDbx"),
                                    HasSubstr(testing::kOvmfDbxPlaceholder),
                                    HasSubstr("event 7 (PCR 7")));
}

TEST(RulesTest, BootApplications) {
  Policy p = MustParse(absl::StrCat(
      R"({"boot": {"allowedBootApplications": [")", FakeDigest(0xa1), R"(", ")",
      FakeDigest(0xa2), R"(", ")", FakeDigest(0xa3), R"("]}})"));
  v1::BootState s = ShimSecureBootState();
  EXPECT_TRUE(Evaluate(p, s).empty());
  (*s.mutable_boot_applications(1)->mutable_digests())["sha256"] =
      FakeDigest(0xee);
  auto r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_BOOT_APPLICATION);
  EXPECT_THAT(r[0].message(),
              AllOf(HasSubstr("boot.allowedBootApplications"),
                    HasSubstr("event 28 (PCR 4, "
                              "EV_EFI_BOOT_SERVICES_APPLICATION)"),
                    HasSubstr("grubx64.efi"), HasSubstr(FakeDigest(0xee))));
  // An application the log gives no sha256 digest for cannot be judged.
  s.mutable_boot_applications(1)->mutable_digests()->clear();
  r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_THAT(r[0].message(), HasSubstr("no sha256"));
}

TEST(RulesTest, Drivers) {
  Policy p = MustParse(absl::StrCat(R"({"boot": {"allowedDrivers": [")",
                                    FakeDigest(0xd1), R"("]}})"));
  v1::BootState s = ShimSecureBootState();
  EXPECT_TRUE(Evaluate(p, s).empty());  // no driver ran
  v1::BootApplication* d = s.add_drivers();
  d->set_pcr(2);
  d->set_event_type(0x80000004);
  d->set_event_index(12);
  d->set_device_path("PciRoot(0x0)/Pci(0x3,0x0)");
  (*d->mutable_digests())["sha256"] = FakeDigest(0xd1);
  EXPECT_TRUE(Evaluate(p, s).empty());
  (*d->mutable_digests())["sha256"] = FakeDigest(0xd2);
  auto r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_BOOT_APPLICATION);
  EXPECT_THAT(r[0].message(),
              AllOf(HasSubstr("boot.allowedDrivers"),
                    HasSubstr("event 12 (PCR 2, EV_EFI_BOOT_SERVICES_DRIVER)"),
                    HasSubstr("Pci(0x3,0x0)"), HasSubstr(FakeDigest(0xd2))));
}

TEST(RulesTest, KernelCmdlineIsAFullMatch) {
  Policy p = MustParse(
      R"({"boot": {"allowedKernelCmdlines": ["/vmlinuz console=ttyS0 panic=-?[0-9]+",
      "console=ttyS0"]}})");
  v1::BootState s = ShimSecureBootState();
  EXPECT_TRUE(Evaluate(p, s).empty());
  testing::SetCmdline(&s, "/vmlinuz console=ttyS0 panic=-1 init=/bin/sh");
  auto r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_KERNEL_CMDLINE);
  // The message names the command line's own event (39, GRUB's
  // kernel_cmdline), not the "linux" command (35) that also contains it.
  EXPECT_THAT(
      r[0].message(),
      AllOf(HasSubstr("boot.allowedKernelCmdlines"), HasSubstr("init=/bin/sh"),
            HasSubstr("event 39 (PCR 8, EV_IPL)"), HasSubstr("grub"),
            Not(HasSubstr("event 35"))));
  // A pattern matching a part of the line is not enough.
  testing::SetCmdline(&s, "quiet console=ttyS0");
  EXPECT_EQ(Evaluate(p, s).size(), 1u);
  // No command line at all is judged as the empty string.
  s.clear_kernel_cmdline();
  s.clear_kernel_cmdlines();
  r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_THAT(r[0].message(), HasSubstr("no kernel command line"));
}

TEST(RulesTest, Kernels) {
  Policy p = MustParse(
      absl::StrCat(R"({"boot": {"allowedKernels": [")", FakeDigest(0xb2),
                   R"("], "allowedBootFiles": [")", FakeDigest(0xb1), R"(", ")",
                   FakeDigest(0xb3), R"("]}})"));
  v1::BootState s = ShimSecureBootState();
  EXPECT_TRUE(Evaluate(p, s).empty());
  (*s.mutable_kernel_and_initrd(1)->mutable_digests())["sha256"] =
      FakeDigest(0xef);
  auto r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_INITRD);
  EXPECT_THAT(r[0].message(),
              AllOf(HasSubstr("boot.allowedKernels"), HasSubstr("kernel"),
                    HasSubstr("event 36 (PCR 9, /vmlinuz)"),
                    HasSubstr(FakeDigest(0xef))));
  // A boot that measured no kernel cannot satisfy a kernel allowlist.
  s.mutable_kernel_and_initrd()->DeleteSubrange(1, 1);
  r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_INITRD);
  EXPECT_THAT(r[0].message(), HasSubstr("no kernel was measured"));
}

// File names are not measured: with a kernel or initrd allowlist every
// PCR 9 digest must be in allowedKernels, allowedInitrds or
// allowedBootFiles, whatever the file is called.
TEST(RulesTest, EveryFileDigestIsAccountedFor) {
  Policy p = MustParse(absl::StrCat(R"({"boot": {"allowedKernels": [")",
                                    FakeDigest(0xb2), R"("]}})"));
  v1::BootState s = ShimSecureBootState();
  auto r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].code(), v1::EVENTLOG_UNCLASSIFIED_EVENT);
  EXPECT_THAT(r[0].message(),
              AllOf(HasSubstr("boot.allowedBootFiles"),
                    HasSubstr("event 33 (PCR 9, EV_IPL, sha256 " +
                              FakeDigest(0xb1) + ")"),
                    HasSubstr("grub.cfg")));
  EXPECT_EQ(r[1].code(), v1::EVENTLOG_UNCLASSIFIED_EVENT);
  EXPECT_THAT(r[1].message(), HasSubstr("event 41 (PCR 9"));
  // The kernel renamed to something that is not a kernel (its name is
  // not measured) no longer counts as a kernel, and is still judged.
  s.mutable_kernel_and_initrd(1)->set_name("/boot/grub/fonts/unicode.pf2");
  (*s.mutable_kernel_and_initrd(1)->mutable_digests())["sha256"] =
      FakeDigest(0xef);
  for (auto& e : *s.mutable_events()) {
    if (e.index() == 36) (*e.mutable_digests())["sha256"] = FakeDigest(0xef);
  }
  Policy with_files = MustParse(
      absl::StrCat(R"({"boot": {"allowedKernels": [")", FakeDigest(0xb2),
                   R"("], "allowedBootFiles": [")", FakeDigest(0xb1), R"(", ")",
                   FakeDigest(0xb3), R"("]}})"));
  r = Evaluate(with_files, s);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].code(), v1::POLICY_INITRD);
  EXPECT_THAT(r[0].message(), HasSubstr("no kernel was measured"));
  EXPECT_EQ(r[1].code(), v1::EVENTLOG_UNCLASSIFIED_EVENT);
  EXPECT_THAT(
      r[1].message(),
      AllOf(HasSubstr("event 36 (PCR 9, EV_IPL, sha256 " + FakeDigest(0xef)),
            HasSubstr("allowedBootFiles")));
}

TEST(RulesTest, Initrds) {
  Policy p = MustParse(
      absl::StrCat(R"({"boot": {"allowedInitrds": [")", FakeDigest(0xb3),
                   R"("], "allowedBootFiles": [")", FakeDigest(0xb1), R"(", ")",
                   FakeDigest(0xb2), R"("]}})"));
  v1::BootState s = ShimSecureBootState();
  EXPECT_TRUE(Evaluate(p, s).empty());
  (*s.mutable_kernel_and_initrd(2)->mutable_digests())["sha256"] =
      FakeDigest(0xf0);
  auto r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_INITRD);
  EXPECT_THAT(r[0].message(),
              AllOf(HasSubstr("boot.allowedInitrds"), HasSubstr("initrd"),
                    HasSubstr("event 41 (PCR 9, /initrd.img)")));
  // UKI sections count: a .initrd section with another digest fails.
  v1::UkiSection* sec = s.add_uki_sections();
  sec->set_name(".initrd");
  sec->set_event_index(60);
  (*sec->mutable_digests())["sha256"] = FakeDigest(0xb3);
  (*s.mutable_kernel_and_initrd(2)->mutable_digests())["sha256"] =
      FakeDigest(0xb3);
  EXPECT_TRUE(Evaluate(p, s).empty());
  (*sec->mutable_digests())["sha256"] = FakeDigest(0xf1);
  r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_THAT(r[0].message(), HasSubstr("UKI section .initrd (event 60)"));
}

TEST(RulesTest, ClassifiesMeasuredFiles) {
  auto kind = [](const std::string& name) {
    v1::MeasuredFile f;
    f.set_name(name);
    return ClassifyMeasuredFile(f);
  };
  EXPECT_EQ(kind("/vmlinuz"), MeasuredKind::kKernel);
  EXPECT_EQ(kind("(hd0,gpt2)/boot/vmlinuz-6.1.0-27-amd64"),
            MeasuredKind::kKernel);
  EXPECT_EQ(kind("/boot/initrd.img-6.1.0-27-amd64"), MeasuredKind::kInitrd);
  EXPECT_EQ(kind("Linux initrd"), MeasuredKind::kInitrd);
  EXPECT_EQ(kind("/initramfs-linux.img"), MeasuredKind::kInitrd);
  EXPECT_EQ(kind("(hd0)/EFI/debian/grub.cfg"), MeasuredKind::kOther);
  EXPECT_EQ(kind("LOADED_IMAGE::LoadOptions"), MeasuredKind::kOther);
  // A directory named like a kernel does not make a file a kernel.
  EXPECT_EQ(kind("/vmlinuz.d/grub.cfg"), MeasuredKind::kOther);
}

TEST(RulesTest, FirmwareVersion) {
  Policy p = MustParse(R"({"boot": {"minimumFirmwareVersion": "2.10"}})");
  v1::BootState s = ShimSecureBootState();
  s.set_firmware_version("2.10.1");
  EXPECT_TRUE(Evaluate(p, s).empty());
  s.set_firmware_version("2.9");
  auto r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_FIRMWARE_VERSION);
  EXPECT_THAT(r[0].message(),
              AllOf(HasSubstr("boot.minimumFirmwareVersion"),
                    HasSubstr("'2.9'"), HasSubstr("older than 2.10"),
                    HasSubstr("event 0 (PCR 0, EV_S_CRTM_VERSION)")));
  // OVMF measures an empty version string: nothing to compare, fails.
  s.set_firmware_version("");
  r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_FIRMWARE_VERSION);
}

TEST(RulesTest, Windows) {
  Policy p = MustParse(
      R"({"quotePcrs": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": [0, 7, 12, 13, 14]}],
          "boot": {"forbidWindowsTestSigning": true, "forbidWindowsDebugging": true}})");
  v1::BootState s = ShimSecureBootState();
  // shim's MOK lists (PCR 14) are opaque: no Windows rule can account for
  // them.
  auto r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].code(), v1::EVENTLOG_UNCLASSIFIED_EVENT);
  EXPECT_THAT(r[0].message(), AllOf(HasSubstr("boot.forbidWindowsTestSigning"),
                                    HasSubstr("event 23 (PCR 14")));
  // Without them: not a Windows boot, passes.
  s.mutable_events()->erase(
      std::remove_if(s.mutable_events()->begin(), s.mutable_events()->end(),
                     [](const auto& e) { return e.pcr() == 14; }),
      s.mutable_events()->end());
  s.mutable_pcrs()->at("sha256").mutable_values()->erase("14");
  EXPECT_TRUE(Evaluate(p, s).empty());
  s.mutable_windows()->set_code_integrity_enabled(true);
  EXPECT_TRUE(Evaluate(p, s).empty());
  s.mutable_windows()->set_test_signing(true);
  s.mutable_windows()->set_kernel_debugging(true);
  r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].code(), v1::POLICY_WINDOWS);
  EXPECT_THAT(r[0].message(), AllOf(HasSubstr("boot.forbidWindowsTestSigning"),
                                    HasSubstr("test signing")));
  EXPECT_EQ(r[1].code(), v1::POLICY_WINDOWS);
  EXPECT_THAT(r[1].message(), AllOf(HasSubstr("boot.forbidWindowsDebugging"),
                                    HasSubstr("kernel debugging")));
}

TEST(RulesTest, EveryFailedRuleIsReportedInTableOrder) {
  Policy p = MustParse(absl::StrCat(
      R"({"name": "all", "allowedTpmManufacturers": ["MSFT"],
          "freshness": {"maxEvidenceAgeSeconds": 10},
          "boot": {"requireSecureBoot": true, "requiredDbx": [")",
      FakeDigest(0x01), R"("], "allowedBootApplications": [")",
      FakeDigest(0x02), R"("], "minimumFirmwareVersion": "1"}})"));
  v1::BootState s = ShimSecureBootState();
  s.set_secure_boot(false);
  PolicyInput in;
  in.tpm.certified = true;
  in.tpm.manufacturer = "IBM";
  in.boot = &s;
  in.evidence_age = absl::Seconds(11);
  auto r = EvaluatePolicy(p, in);
  std::vector<v1::ReasonCode> codes;
  for (const auto& x : r) codes.push_back(x.code());
  EXPECT_THAT(codes,
              ::testing::ElementsAre(
                  v1::POLICY_TPM_MANUFACTURER, v1::POLICY_EVIDENCE_AGE,
                  v1::POLICY_SECURE_BOOT, v1::POLICY_SECURE_BOOT_DBX,
                  v1::POLICY_BOOT_APPLICATION, v1::POLICY_BOOT_APPLICATION,
                  v1::POLICY_BOOT_APPLICATION, v1::POLICY_FIRMWARE_VERSION));
  for (const auto& x : r) EXPECT_THAT(x.message(), HasSubstr("policy all: "));
}

TEST(RulesTest, RuleTableNamesEveryRuleOnce) {
  std::set<std::string> fields;
  std::set<RuleFn> fns;
  for (const PolicyRule& rule : PolicyRules()) {
    EXPECT_TRUE(fields.insert(rule.field).second) << rule.field;
    EXPECT_TRUE(fns.insert(rule.check).second) << rule.field;
  }
  EXPECT_EQ(PolicyRules().size(), 20u);
}

}  // namespace
}  // namespace vtpm::verifier
