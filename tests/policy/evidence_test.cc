// The event-log path the verifier and `policy check` share, on the real
// OVMF logs: VerifyEventLog, learn -> check round trips, shipped policies.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/bootstate/quirks.h"
#include "common/hex.h"
#include "common/reason.h"
#include "common/tpm_alg.h"
#include "tests/harness/process.h"
#include "tests/policy/boot_state_data.h"
#include "tests/policy/real_logs.h"
#include "verifier/policy/boot_evidence.h"
#include "verifier/policy/pcr_text.h"
#include "verifier/policy/policy.h"
#include "verifier/policy/policy_learn.h"
#include "verifier/policy/policy_names.h"

namespace vtpm::verifier {
namespace {

namespace v1 = vtpm_attest::v1;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct Fixture {
  std::string log;
  PcrValues pcrs;
};

Fixture Load(const std::string& name) {
  Fixture f;
  auto log =
      testing::ReadFile(testing::RealLogPath(testing::SourceDir(), name));
  EXPECT_TRUE(log.ok()) << log.status();
  auto text =
      testing::ReadFile(testing::RealPcrsPath(testing::SourceDir(), name));
  EXPECT_TRUE(text.ok()) << text.status();
  if (!log.ok() || !text.ok()) return f;
  f.log = *log;
  auto pcrs = ParsePcrText(*text);
  EXPECT_TRUE(pcrs.ok()) << pcrs.status();
  if (pcrs.ok()) f.pcrs = *pcrs;
  return f;
}

// What the verifier decides for `policy` on a fixture: findings, then the
// policy's rules, or the one reason VerifyEventLog failed with.
std::vector<v1::Reason> Judge(const Policy& policy, const Fixture& f) {
  auto vb = VerifyEventLog(f.log, f.pcrs, ExtractOptionsForPolicy(policy));
  if (!vb.ok()) return {ToReason(vb.status())};
  std::vector<v1::Reason> out = FindingsToReasons(vb->findings);
  PolicyInput in;
  in.pcrs = &f.pcrs;
  in.boot = &vb->state;
  for (auto& r : EvaluatePolicy(policy, in)) out.push_back(std::move(r));
  return out;
}

std::vector<v1::ReasonCode> Codes(const std::vector<v1::Reason>& reasons) {
  std::vector<v1::ReasonCode> out;
  for (const auto& r : reasons) out.push_back(r.code());
  return out;
}

// Learns as `vtpm-attest policy learn` does (every quirk tolerated) and
// reloads the written policy.
Policy Learn(const Fixture& f, const std::string& name, bool golden) {
  bootstate::ExtractOptions opts;
  for (auto q : kKnownQuirks) opts.allowed_quirks.emplace(q);
  auto vb = VerifyEventLog(f.log, f.pcrs, opts);
  EXPECT_TRUE(vb.ok()) << vb.status();
  if (!vb.ok()) return Policy();
  EXPECT_THAT(vb->findings, IsEmpty());
  auto p = LearnPolicy(vb->state, {.name = name, .golden_pcrs = golden});
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return Policy();
  auto json = PolicyToJson(*p);
  EXPECT_TRUE(json.ok());
  auto reloaded = ParsePolicy(*json, name + ".json", name);
  EXPECT_TRUE(reloaded.ok()) << reloaded.status();
  return reloaded.ok() ? *reloaded : Policy();
}

std::string Str(const std::vector<v1::Reason>& reasons) {
  std::string out;
  for (const auto& r : reasons) out += r.message() + "\n";
  return out;
}

TEST(EvidenceTest, LearnThenCheckRoundTripsOnEveryRealLog) {
  for (const char* name : testing::kRealLogs) {
    SCOPED_TRACE(name);
    Fixture f = Load(name);
    for (bool golden : {false, true}) {
      Policy p = Learn(f, name, golden);
      auto reasons = Judge(p, f);
      EXPECT_THAT(reasons, IsEmpty()) << Str(reasons);
    }
  }
}

TEST(EvidenceTest, LearnedPolicyRejectsTheOtherBoots) {
  Fixture uki = Load("ovmf-uki-plain-crb");
  Fixture shim = Load("ovmf-shim-secboot-crb");
  Fixture direct = Load("ovmf-direct-plain-crb");
  Policy uki_policy = Learn(uki, "uki", false);

  auto r = Judge(uki_policy, shim);
  EXPECT_THAT(Codes(r), Contains(v1::POLICY_BOOT_APPLICATION)) << Str(r);
  EXPECT_THAT(Str(r), AllOf(HasSubstr("boot.allowedBootApplications"),
                            HasSubstr("event 22 (PCR 4, "
                                      "EV_EFI_BOOT_SERVICES_APPLICATION)"),
                            HasSubstr("BOOTX64.EFI")));

  r = Judge(uki_policy, direct);
  // QEMU's -kernel boot needs a quirk the UKI boot did not.
  EXPECT_THAT(Codes(r), Contains(v1::POLICY_QUIRK)) << Str(r);
  EXPECT_THAT(Codes(r), Contains(v1::POLICY_BOOT_APPLICATION)) << Str(r);
  EXPECT_THAT(Str(r), HasSubstr("boot.allowedKernels: no kernel"));

  Policy shim_policy = Learn(shim, "shim", false);
  r = Judge(shim_policy, uki);
  EXPECT_THAT(Codes(r), Contains(v1::POLICY_SECURE_BOOT)) << Str(r);
  EXPECT_THAT(Codes(r), Contains(v1::POLICY_SECURE_BOOT_DB)) << Str(r);
  EXPECT_THAT(Codes(r), Contains(v1::POLICY_SECURE_BOOT_DBX)) << Str(r);
}

TEST(EvidenceTest, LearnedPolicyRejectsTheRealBootWithOneAppChanged) {
  Fixture shim = Load("ovmf-shim-secboot-crb");
  Policy p = Learn(shim, "shim", false);
  auto vb = VerifyEventLog(shim.log, shim.pcrs, ExtractOptionsForPolicy(p));
  ASSERT_TRUE(vb.ok()) << vb.status();
  ASSERT_GE(vb->state.boot_applications_size(), 2);
  v1::BootApplication* grub = vb->state.mutable_boot_applications(1);
  (*grub->mutable_digests())["sha256"] = testing::FakeDigest(0x42);
  PolicyInput in;
  in.boot = &vb->state;
  auto r = EvaluatePolicy(p, in);
  ASSERT_EQ(r.size(), 1u) << Str(r);
  EXPECT_EQ(r[0].code(), v1::POLICY_BOOT_APPLICATION);
  EXPECT_THAT(r[0].message(),
              AllOf(HasSubstr(absl::StrCat("event ", grub->event_index())),
                    HasSubstr(testing::FakeDigest(0x42))));
}

TEST(EvidenceTest, ShimLogHasTheMicrosoftCertificatesInDb) {
  Policy p = Learn(Load("ovmf-shim-secboot-crb"), "shim", false);
  EXPECT_THAT(p.boot().required_db(), Contains(testing::kMsUefiCa2011));
  EXPECT_THAT(p.boot().required_db(), Contains(testing::kMsWindowsPca2011));
  EXPECT_TRUE(p.boot().require_secure_boot());
}

TEST(EvidenceTest, ShippedBootPoliciesJudgeTheRealLogs) {
  auto set = PolicySet::LoadDirectory(testing::SourceDir() + "/policies");
  ASSERT_TRUE(set.ok()) << set.status();
  const Policy* sb = set->Find("ovmf-secureboot");
  const Policy* plain = set->Find("ovmf-plain");
  const Policy* golden = set->Find("ovmf-uki-golden");
  ASSERT_NE(sb, nullptr);
  ASSERT_NE(plain, nullptr);
  ASSERT_NE(golden, nullptr);
  Fixture uki = Load("ovmf-uki-plain-crb");
  Fixture shim = Load("ovmf-shim-secboot-crb");
  Fixture direct = Load("ovmf-direct-plain-crb");

  EXPECT_THAT(Judge(*sb, shim), IsEmpty()) << Str(Judge(*sb, shim));
  auto r = Judge(*sb, uki);
  EXPECT_THAT(Codes(r), ::testing::ElementsAre(v1::POLICY_SECURE_BOOT,
                                               v1::POLICY_SECURE_BOOT_DB,
                                               v1::POLICY_SECURE_BOOT_DB))
      << Str(r);

  for (const Fixture* f : {&uki, &shim, &direct}) {
    EXPECT_THAT(Judge(*plain, *f), IsEmpty()) << Str(Judge(*plain, *f));
  }
  EXPECT_THAT(Judge(*golden, uki), IsEmpty()) << Str(Judge(*golden, uki));
  EXPECT_THAT(Codes(Judge(*golden, shim)),
              Contains(v1::POLICY_BOOT_APPLICATION));
}

TEST(EvidenceTest, VerifyEventLogErrorsCarryReasonCodes) {
  Fixture uki = Load("ovmf-uki-plain-crb");
  auto opts = ExtractOptionsForPolicy(Policy());
  auto r = VerifyEventLog("", uki.pcrs, opts);
  EXPECT_EQ(ReasonOf(r.status()), v1::EVENTLOG_MISSING);
  r = VerifyEventLog(uki.log.substr(0, uki.log.size() - 7), uki.pcrs, opts);
  EXPECT_EQ(ReasonOf(r.status()), v1::EVENTLOG_MALFORMED) << r.status();
  PcrValues tampered = uki.pcrs;
  tampered[TPM2_ALG_SHA256][4][0] ^= 1;
  r = VerifyEventLog(uki.log, tampered, opts);
  EXPECT_EQ(ReasonOf(r.status()), v1::EVENTLOG_REPLAY_MISMATCH) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("PCR 4 (sha256)"));
}

TEST(EvidenceTest, FindingsBecomeReasonsUnchanged) {
  std::vector<bootstate::Finding> findings = {
      {v1::EVENTLOG_DIGEST_MISMATCH, "event 5 (PCR 7): digest", 5},
      {v1::POLICY_QUIRK, "event 9 needs quirk", 9}};
  auto r = FindingsToReasons(findings);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].code(), v1::EVENTLOG_DIGEST_MISMATCH);
  EXPECT_EQ(r[0].message(), "event 5 (PCR 7): digest");
  EXPECT_EQ(r[1].code(), v1::POLICY_QUIRK);
}

TEST(EvidenceTest, PolicyQuirkNamesAreTheQuirksTable) {
  std::vector<std::string> table;
  for (const auto& q : bootstate::AllQuirks()) table.push_back(q.name);
  std::vector<std::string> ours(kKnownQuirks.begin(), kKnownQuirks.end());
  std::sort(table.begin(), table.end());
  std::sort(ours.begin(), ours.end());
  EXPECT_EQ(ours, table);
}

TEST(EvidenceTest, ExtractOptionsFollowThePolicy) {
  auto p = ParsePolicy(
      R"({"allowedQuirks": ["empty-log"], "boot": {"extraEventTypes": ["EV_IPL"],
          "osExtendedPcrs": [12, 13]}})",
      "p.json", "p");
  ASSERT_TRUE(p.ok());
  auto o = ExtractOptionsForPolicy(*p);
  EXPECT_EQ(o.allowed_quirks, std::set<std::string>{"empty-log"});
  EXPECT_EQ(o.extra_event_types, std::set<std::string>{"EV_IPL"});
  EXPECT_EQ(o.os_extended_pcrs, (std::set<uint32_t>{12, 13}));
  EXPECT_TRUE(o.include_events);
}

}  // namespace
}  // namespace vtpm::verifier

namespace vtpm::verifier {
namespace {

// A UKI logs its command line only as a digest; the sha256 rule judges it.
TEST(EvidenceTest, UkiCommandLineIsJudgedByItsDigest) {
  Fixture uki = Load("ovmf-uki-plain-crb");
  // printf %s "console=ttyS0 panic=-1" | sha256sum
  const std::string cmdline_sha256 =
      "3ea0407a8cdc71d6162918df7accac1babc7f2a9914eabf1b6583cf14eacb314";
  auto vb = VerifyEventLog(uki.log, uki.pcrs, {});
  ASSERT_TRUE(vb.ok()) << vb.status();
  EXPECT_EQ(vb->state.kernel_cmdline(), "");
  EXPECT_EQ(vb->state.kernel_cmdline_sha256(), cmdline_sha256);

  Policy learned = Learn(uki, "uki", /*golden=*/false);
  ASSERT_EQ(learned.boot().allowed_kernel_cmdline_sha256_size(), 1);
  EXPECT_EQ(learned.boot().allowed_kernel_cmdline_sha256(0), cmdline_sha256);
  EXPECT_THAT(Judge(learned, uki), IsEmpty());

  Policy other = learned;
  other.mutable_boot()->set_allowed_kernel_cmdline_sha256(0,
                                                          std::string(64, 'a'));
  auto reasons = Judge(other, uki);
  ASSERT_EQ(Codes(reasons),
            std::vector<v1::ReasonCode>{v1::POLICY_KERNEL_CMDLINE})
      << Str(reasons);
  EXPECT_NE(reasons[0].message().find("boot.allowedKernelCmdlineSha256"),
            std::string::npos);
  EXPECT_NE(reasons[0].message().find(cmdline_sha256), std::string::npos);
}

// With a text command line (GRUB), the rule hashes the measured text.
TEST(EvidenceTest, TextCommandLineIsJudgedByTheHashOfItsText) {
  Fixture shim = Load("ovmf-shim-secboot-crb");
  Policy p = Learn(shim, "shim", /*golden=*/false);
  auto vb = VerifyEventLog(shim.log, shim.pcrs, ExtractOptionsForPolicy(p));
  ASSERT_TRUE(vb.ok());
  ASSERT_FALSE(vb->state.kernel_cmdline().empty());
  std::string text_sha256 =
      HexEncode(*vtpm::Hash(TPM2_ALG_SHA256, vb->state.kernel_cmdline()));
  p.mutable_boot()->add_allowed_kernel_cmdline_sha256(text_sha256);
  EXPECT_THAT(Judge(p, shim), IsEmpty());
  p.mutable_boot()->set_allowed_kernel_cmdline_sha256(0, std::string(64, '0'));
  EXPECT_EQ(Codes(Judge(p, shim)),
            std::vector<v1::ReasonCode>{v1::POLICY_KERNEL_CMDLINE});
}

TEST(EvidenceTest, CommandLineDigestsAreValidatedOnLoad) {
  auto bad = ParsePolicy(
      R"({"name": "x", "boot": {"allowedKernelCmdlineSha256": ["abc"]}})",
      "x.json", "x");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("boot.allowedKernelCmdlineSha256"),
            std::string::npos);
}

}  // namespace
}  // namespace vtpm::verifier
