// The quirks table and each quirk's detection: POLICY_QUIRK when the
// policy does not allow it, quirks_used when it does.
#include "common/bootstate/quirks.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/match.h"
#include "common/bootstate/guid.h"
#include "common/tpm_alg.h"
#include "tests/bootstate/efi_builders.h"
#include "tests/bootstate/test_logs.h"
#include "tests/eventlog/log_builder.h"

namespace vtpm::bootstate {
namespace {

namespace ev = ::vtpm::eventlog;
using testing::CountFindings;
using testing::Extract;
using testing::ExtractBytes;
using testing::FindingsText;
using testing::FixturePcrs;
using testing::kShim;
using testing::kUki;
using testing::LoadLog;
using testing::Match;
using testing::MatchOwnReplay;
using ::vtpm::testing::LogBuilder;
using ::vtpm_attest::v1::EVENTLOG_DIGEST_MISMATCH;
using ::vtpm_attest::v1::POLICY_QUIRK;

ExtractOptions Allow(const std::string& quirk) {
  ExtractOptions o;
  o.allowed_quirks = {quirk};
  return o;
}

TEST(QuirksTest, TableIsDocumented) {
  ASSERT_GE(AllQuirks().size(), 4u);
  for (const Quirk& q : AllQuirks()) {
    EXPECT_GT(std::string(q.description).size(), 40u) << q.name;
    EXPECT_GT(std::string(q.detection).size(), 20u) << q.name;
    EXPECT_GT(std::string(q.effect).size(), 20u) << q.name;
    EXPECT_EQ(FindQuirk(q.name), &q);
  }
  EXPECT_NE(FindQuirk("qemu-direct-kernel-boot"), nullptr);
  EXPECT_NE(FindQuirk("shim-secureboot-off-by-one"), nullptr);
  EXPECT_NE(FindQuirk("log-before-exit-boot-services"), nullptr);
  EXPECT_NE(FindQuirk("empty-log"), nullptr);
  EXPECT_EQ(FindQuirk("no-such-quirk"), nullptr);
}

// shim 15's EV_EFI_VARIABLE_AUTHORITY: one more byte logged than
// measured. Built from the real MokListRT authority event of the shim log
// (event 27): the same digests, one byte appended to the data.
TEST(QuirksTest, ShimOffByOneAuthority) {
  ev::ParsedLog log = LoadLog(kShim);
  const ev::Event& real = log.events[27];
  ASSERT_EQ(real.type, ev::EV_EFI_VARIABLE_AUTHORITY);
  LogBuilder b(log.banks);
  b.AddEventWithDigests(7, ev::EV_EFI_VARIABLE_AUTHORITY, real.data + '\0',
                        {{TPM2_ALG_SHA256, *real.DigestFor(TPM2_ALG_SHA256)}});
  b.AddEvent(5, ev::EV_EFI_ACTION, "Exit Boot Services Invocation");
  const std::string bytes = b.Build();

  Extraction strict = ExtractBytes(bytes);
  ASSERT_EQ(strict.findings.size(), 1u) << FindingsText(strict);
  EXPECT_EQ(strict.findings[0].code, POLICY_QUIRK);
  EXPECT_TRUE(absl::StrContains(strict.findings[0].message,
                                "event 0 (PCR 7, EV_EFI_VARIABLE_AUTHORITY) "
                                "needs quirk \"shim-secureboot-off-by-one\""));

  Extraction allowed = ExtractBytes(bytes, Allow(kQuirkShimOffByOne));
  EXPECT_TRUE(allowed.findings.empty()) << FindingsText(allowed);
  ASSERT_EQ(allowed.state.quirks_used_size(), 1);
  EXPECT_EQ(allowed.state.quirks_used(0), kQuirkShimOffByOne);
  ASSERT_EQ(allowed.state.authorities_size(), 1);
  EXPECT_EQ(allowed.state.authorities(0).subject(), "CN=Debian Secure Boot CA");

  // Any other change to an authority is a digest mismatch, quirk or not.
  LogBuilder c(log.banks);
  std::string changed = real.data;
  changed[100] ^= 1;
  c.AddEventWithDigests(7, ev::EV_EFI_VARIABLE_AUTHORITY, changed + '\0',
                        {{TPM2_ALG_SHA256, *real.DigestFor(TPM2_ALG_SHA256)}});
  Extraction forged = ExtractBytes(c.Build(), Allow(kQuirkShimOffByOne));
  EXPECT_EQ(CountFindings(forged, EVENTLOG_DIGEST_MISMATCH), 1)
      << FindingsText(forged);
  EXPECT_EQ(forged.state.authorities_size(), 0);
  EXPECT_TRUE(forged.state.quirks_used().empty());
}

TEST(QuirksTest, LogReadBeforeExitBootServices) {
  ev::ParsedLog log = LoadLog(kUki);
  // Without the two PCR 5 ExitBootServices actions (so matched against its
  // own replay, not the guest's PCR 5).
  LogBuilder b(log.banks);
  for (const ev::Event& e : log.events) {
    if (e.pcr == 5 && e.type == ev::EV_EFI_ACTION) continue;
    std::map<TPMI_ALG_HASH, std::string> d;
    for (const auto& x : e.digests) d[x.alg] = x.digest;
    b.AddEventWithDigests(e.pcr, e.type, e.data, d);
  }
  const std::string bytes = b.Build();
  Extraction strict = ExtractBytes(bytes);
  ASSERT_EQ(strict.findings.size(), 1u) << FindingsText(strict);
  EXPECT_EQ(strict.findings[0].code, POLICY_QUIRK);
  EXPECT_TRUE(absl::StrContains(strict.findings[0].message,
                                "log-before-exit-boot-services"));
  Extraction allowed =
      ExtractBytes(bytes, Allow(kQuirkLogBeforeExitBootServices));
  EXPECT_TRUE(allowed.findings.empty()) << FindingsText(allowed);
  EXPECT_EQ(allowed.state.quirks_used(0), kQuirkLogBeforeExitBootServices);
  EXPECT_EQ(allowed.state.uki_sections_size(), 4);

  // The real log reached ExitBootServices; PCR 5 unverified: not judged.
  EXPECT_TRUE(testing::ExtractFixture(kUki).findings.empty());
  Extraction unverified5 =
      Extract(LoadLog(kUki), Match(LoadLog(kUki), FixturePcrs(kUki, {0, 7})));
  EXPECT_TRUE(unverified5.findings.empty()) << FindingsText(unverified5);
}

TEST(QuirksTest, EmptyLog) {
  LogBuilder header_only;
  const std::string bytes = header_only.Build();
  Extraction strict = ExtractBytes(bytes);
  ASSERT_EQ(strict.findings.size(), 1u) << FindingsText(strict);
  EXPECT_EQ(strict.findings[0].code, POLICY_QUIRK);
  EXPECT_TRUE(absl::StrContains(strict.findings[0].message, "\"empty-log\""));
  EXPECT_FALSE(absl::StrContains(strict.findings[0].message,
                                 "log-before-exit-boot-services"));
  Extraction allowed = ExtractBytes(bytes, Allow(kQuirkEmptyLog));
  EXPECT_TRUE(allowed.findings.empty()) << FindingsText(allowed);
  EXPECT_EQ(allowed.state.quirks_used(0), kQuirkEmptyLog);
  EXPECT_FALSE(allowed.state.secure_boot_known());

  // Only EV_NO_ACTION events (a StartupLocality) is still empty.
  LogBuilder locality_only;
  locality_only.SetStartupLocality(3);
  EXPECT_EQ(CountFindings(ExtractBytes(locality_only.Build()), POLICY_QUIRK,
                          "empty-log"),
            1);
}

TEST(QuirksTest, QemuKernelLoaderPathOnlyInPcr4) {
  std::string qemu_path =
      testing::Node(4, 3, testing::Guid(kQemuKernelLoaderFsMediaGuid)) +
      testing::FilePath("kernel");
  LogBuilder b;
  // The same device path on a PCR 2 driver is not the quirk.
  b.AddEventWithDigests(2, ev::EV_EFI_BOOT_SERVICES_DRIVER,
                        testing::ImageLoad(1, 2, qemu_path),
                        {{TPM2_ALG_SHA256, std::string(32, 'd')}});
  b.AddEvent(5, ev::EV_EFI_ACTION, "Exit Boot Services Invocation");
  Extraction x = ExtractBytes(b.Build());
  EXPECT_TRUE(x.findings.empty()) << FindingsText(x);
  ASSERT_EQ(x.state.drivers_size(), 1);
  EXPECT_EQ(x.state.drivers(0).device_path(),
            "VenMedia(1428f772-b64a-441e-b8c3-9ebdd7f893c7)/kernel");
}

}  // namespace
}  // namespace vtpm::bootstate
