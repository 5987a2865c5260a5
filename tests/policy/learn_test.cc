// LearnPolicy: the learned policy loads, accepts the boot it was learned
// from, and rejects that boot with any one measured thing changed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "tests/policy/boot_state_data.h"
#include "verifier/policy/policy.h"
#include "verifier/policy/policy_learn.h"

namespace vtpm::verifier {
namespace {

namespace v1 = vtpm_attest::v1;
using ::testing::AllOf;
using ::testing::ElementsAre;
using testing::FakeDigest;
using ::testing::HasSubstr;
using testing::ShimSecureBootState;

// Learns from `state`, writes the policy file and loads it back, as an
// operator would.
Policy LearnAndReload(const v1::BootState& state, LearnOptions opts = {}) {
  auto learned = LearnPolicy(state, opts);
  EXPECT_TRUE(learned.ok()) << learned.status();
  if (!learned.ok()) return Policy();
  auto json = PolicyToJson(*learned);
  EXPECT_TRUE(json.ok()) << json.status();
  auto loaded = ParsePolicy(*json, "learned.json", "x");
  EXPECT_TRUE(loaded.ok()) << loaded.status() << "\n" << *json;
  return loaded.ok() ? *loaded : Policy();
}

std::vector<v1::ReasonCode> Codes(const Policy& p, const v1::BootState& s) {
  PolicyInput in;
  in.boot = &s;
  std::vector<v1::ReasonCode> out;
  for (const auto& r : EvaluatePolicy(p, in)) out.push_back(r.code());
  return out;
}

TEST(LearnTest, LearnsWhatTheBootMeasured) {
  Policy p = LearnAndReload(ShimSecureBootState(), {.name = "golden-shim"});
  EXPECT_EQ(p.name(), "golden-shim");
  EXPECT_EQ(p.match_labels().at("policy"), "golden-shim");
  const auto& b = p.boot();
  EXPECT_TRUE(b.require_event_log());
  EXPECT_TRUE(b.require_secure_boot());
  EXPECT_THAT(b.required_db(),
              ElementsAre(testing::kMsWindowsPca2011, testing::kMsUefiCa2011));
  EXPECT_THAT(b.required_dbx(), ElementsAre(testing::kOvmfDbxPlaceholder));
  EXPECT_THAT(
      b.allowed_boot_applications(),
      ElementsAre(FakeDigest(0xa1), FakeDigest(0xa2), FakeDigest(0xa3)));
  // No driver ran: the all-zero digest, which nothing matches.
  EXPECT_THAT(b.allowed_drivers(), ElementsAre(std::string(64, '0')));
  EXPECT_THAT(b.allowed_kernels(), ElementsAre(FakeDigest(0xb2)));
  EXPECT_THAT(b.allowed_initrds(), ElementsAre(FakeDigest(0xb3)));
  ASSERT_EQ(b.allowed_kernel_cmdlines_size(), 1);
  EXPECT_TRUE(RE2::FullMatch("/vmlinuz console=ttyS0 panic=-1",
                             b.allowed_kernel_cmdlines(0)));
  // OVMF's version string is empty: no minimum is learned.
  EXPECT_TRUE(b.minimum_firmware_version().empty());
  ASSERT_EQ(p.quote_pcrs_size(), 1);
  EXPECT_EQ(p.quote_pcrs(0).hash(), v1::HASH_ALGORITHM_SHA256);
  EXPECT_THAT(p.quote_pcrs(0).pcrs(),
              ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14));
  EXPECT_TRUE(p.pcr_values().empty());
  EXPECT_THAT(p.description(), HasSubstr("policy=golden-shim"));
}

TEST(LearnTest, LearnedPolicyAcceptsItsBoot) {
  v1::BootState s = ShimSecureBootState();
  EXPECT_TRUE(Codes(LearnAndReload(s), s).empty());
}

TEST(LearnTest, RejectsOneBootApplicationChanged) {
  v1::BootState s = ShimSecureBootState();
  Policy p = LearnAndReload(s);
  (*s.mutable_boot_applications(1)->mutable_digests())["sha256"] =
      FakeDigest(0x5a);
  PolicyInput in;
  in.boot = &s;
  auto r = EvaluatePolicy(p, in);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_BOOT_APPLICATION);
  EXPECT_THAT(r[0].message(),
              AllOf(HasSubstr("boot.allowedBootApplications"),
                    HasSubstr("event 28"), HasSubstr(FakeDigest(0x5a))));
}

TEST(LearnTest, RejectsEachOtherChange) {
  const v1::BootState good = ShimSecureBootState();
  Policy p = LearnAndReload(good);
  struct Case {
    const char* name;
    void (*change)(v1::BootState*);
    v1::ReasonCode want;
  };
  const Case cases[] = {
      {"secure boot off", [](v1::BootState* s) { s->set_secure_boot(false); },
       v1::POLICY_SECURE_BOOT},
      {"db entry gone", [](v1::BootState* s) { s->mutable_db()->RemoveLast(); },
       v1::POLICY_SECURE_BOOT_DB},
      {"dbx emptied", [](v1::BootState* s) { s->clear_dbx(); },
       v1::POLICY_SECURE_BOOT_DBX},
      {"driver added",
       [](v1::BootState* s) {
         auto* d = s->add_drivers();
         d->set_pcr(2);
         (*d->mutable_digests())["sha256"] = FakeDigest(0x77);
       },
       v1::POLICY_BOOT_APPLICATION},
      {"cmdline changed",
       [](v1::BootState* s) {
         testing::SetCmdline(s, "/vmlinuz console=ttyS0 panic=-1 single");
       },
       v1::POLICY_KERNEL_CMDLINE},
      {"cmdline with a regex metacharacter where the original has '='",
       [](v1::BootState* s) {
         testing::SetCmdline(s, "/vmlinuz console.ttyS0 panic=-1");
       },
       v1::POLICY_KERNEL_CMDLINE},
      {"kernel changed",
       [](v1::BootState* s) {
         (*s->mutable_kernel_and_initrd(1)->mutable_digests())["sha256"] =
             FakeDigest(0x78);
       },
       v1::POLICY_INITRD},
      {"initrd changed",
       [](v1::BootState* s) {
         (*s->mutable_kernel_and_initrd(2)->mutable_digests())["sha256"] =
             FakeDigest(0x79);
       },
       v1::POLICY_INITRD},
      {"new quirk", [](v1::BootState* s) { s->add_quirks_used("empty-log"); },
       v1::POLICY_QUIRK},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::BootState s = good;
    c.change(&s);
    EXPECT_THAT(Codes(p, s), ElementsAre(c.want));
  }
}

TEST(LearnTest, GoldenPcrs) {
  v1::BootState s = ShimSecureBootState();
  Policy p = LearnAndReload(s, {.name = "g", .golden_pcrs = true});
  ASSERT_EQ(p.pcr_values_size(), 1);
  EXPECT_EQ(p.pcr_values(0).pcrs_size(), 11);
  PcrValues quoted;
  for (const auto& [index, hex] : s.pcrs().at("sha256").values()) {
    quoted[TPM2_ALG_SHA256][std::stoi(index)] =
        std::string(32, static_cast<char>(0xc0 + std::stoi(index)));
  }
  PolicyInput in;
  in.boot = &s;
  in.pcrs = &quoted;
  EXPECT_TRUE(EvaluatePolicy(p, in).empty());
  quoted[TPM2_ALG_SHA256][7] = std::string(32, '\0');
  auto r = EvaluatePolicy(p, in);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_PCR_MISMATCH);
  EXPECT_THAT(r[0].message(), HasSubstr("sha256:7"));
}

TEST(LearnTest, LearnsQuirksFirmwareAndWindows) {
  v1::BootState s = ShimSecureBootState();
  s.add_quirks_used("shim-secureboot-off-by-one");
  s.set_firmware_version("2.7");
  s.mutable_windows()->set_code_integrity_enabled(true);
  // Without PCRs 12-14 in the log, the Windows rules cannot be learned.
  EXPECT_FALSE(LearnAndReload(s).boot().forbid_windows_test_signing());
  auto& pcrs = *(*s.mutable_pcrs())["sha256"].mutable_values();
  pcrs["12"] = FakeDigest(0xcc);
  pcrs["13"] = FakeDigest(0xcd);
  // Windows Boot Manager's SIPA containers, recomputed from their data.
  auto add_sipa = [&](uint32_t pcr) {
    v1::EventSummary* e = s.add_events();
    e->set_index(50 + pcr);
    e->set_pcr(pcr);
    e->set_type(0x6);
    e->set_type_name("EV_EVENT_TAG");
    e->set_digest_basis(v1::DIGEST_BASIS_RECOMPUTED);
    (*e->mutable_digests())["sha256"] = FakeDigest(0x40 + pcr);
  };
  add_sipa(12);
  add_sipa(13);
  // shim's opaque MOK lists in PCR 14: no Windows rule could account for
  // them, so none is learned.
  EXPECT_FALSE(LearnAndReload(s).boot().forbid_windows_test_signing());
  // A Windows boot: SIPA containers in PCR 14 too.
  s.mutable_events()->erase(
      std::remove_if(s.mutable_events()->begin(), s.mutable_events()->end(),
                     [](const auto& e) { return e.pcr() == 14; }),
      s.mutable_events()->end());
  add_sipa(14);
  Policy p = LearnAndReload(s);
  EXPECT_THAT(p.allowed_quirks(), ElementsAre("shim-secureboot-off-by-one"));
  EXPECT_EQ(p.boot().minimum_firmware_version(), "2.7");
  EXPECT_TRUE(p.boot().forbid_windows_test_signing());
  EXPECT_TRUE(p.boot().forbid_windows_debugging());
  EXPECT_TRUE(Codes(p, s).empty());
  s.set_firmware_version("2.6");
  EXPECT_THAT(Codes(p, s), ElementsAre(v1::POLICY_FIRMWARE_VERSION));
}

TEST(LearnTest, SecureBootOffIsNotRequired) {
  v1::BootState s = ShimSecureBootState();
  s.set_secure_boot(false);
  Policy p = LearnAndReload(s);
  EXPECT_FALSE(p.boot().require_secure_boot());
  EXPECT_TRUE(Codes(p, s).empty());
}

TEST(LearnTest, RulesOverUncoveredPcrsAreNotLearned) {
  v1::BootState s = ShimSecureBootState();
  auto& pcrs = *(*s.mutable_pcrs())["sha256"].mutable_values();
  pcrs.erase("4");
  pcrs.erase("2");
  pcrs.erase("7");
  Policy p = LearnAndReload(s);
  EXPECT_TRUE(p.boot().allowed_boot_applications().empty());
  EXPECT_TRUE(p.boot().allowed_drivers().empty());
  EXPECT_FALSE(p.boot().require_secure_boot());
}

TEST(LearnTest, Errors) {
  v1::BootState s = ShimSecureBootState();
  EXPECT_FALSE(LearnPolicy(s, {.name = ""}).ok());
  v1::BootState no_sha256 = s;
  no_sha256.mutable_boot_applications(0)->mutable_digests()->clear();
  auto r = LearnPolicy(no_sha256, {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("event 22"));
  v1::BootState sha1_only = s;
  sha1_only.clear_pcrs();
  (*(*sha1_only.mutable_pcrs())["sha1"].mutable_values())["0"] =
      std::string(40, '0');
  EXPECT_FALSE(LearnPolicy(sha1_only, {}).ok());
}

// Every opaque extend of the golden boot is learned, so the learned rules
// account for all of them: grub.cfg as a boot file, an opaque PCR 4 event
// that is no decoded application by its digest.
TEST(LearnTest, LearnsEveryOpaqueExtend) {
  v1::BootState s = ShimSecureBootState();
  v1::EventSummary* e = s.add_events();
  e->set_index(44);
  e->set_pcr(4);
  e->set_type(0xC);
  e->set_type_name("EV_COMPACT_HASH");
  e->set_digest_basis(v1::DIGEST_BASIS_OPAQUE);
  (*e->mutable_digests())["sha256"] = FakeDigest(0x99);
  Policy p = LearnAndReload(s);
  EXPECT_THAT(p.boot().allowed_boot_files(), ElementsAre(FakeDigest(0xb1)));
  EXPECT_THAT(p.boot().allowed_boot_applications(),
              ElementsAre(FakeDigest(0xa1), FakeDigest(0xa2), FakeDigest(0xa3),
                          FakeDigest(0x99)));
  EXPECT_THAT(p.description(), HasSubstr("1 other boot file digest(s)"));
  EXPECT_TRUE(Codes(p, s).empty());
  // Without the extra event's digest the policy rejects that boot.
  p.mutable_boot()->mutable_allowed_boot_applications()->RemoveLast();
  EXPECT_THAT(Codes(p, s), ElementsAre(v1::EVENTLOG_UNCLASSIFIED_EVENT));
}

// An opaque PCR 7 event: no allowlist can account for it under the
// Secure Boot rules, so learning refuses rather than write a policy that
// rejects its own golden boot.
TEST(LearnTest, RefusesABootItsRulesWouldReject) {
  v1::BootState s = ShimSecureBootState();
  v1::EventSummary* e = s.add_events();
  e->set_index(44);
  e->set_pcr(7);
  e->set_type(0x80000007);
  e->set_type_name("EV_EFI_ACTION");
  e->set_digest_basis(v1::DIGEST_BASIS_OPAQUE);
  (*e->mutable_digests())["sha256"] = FakeDigest(0x98);
  auto r = LearnPolicy(s, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(),
              AllOf(HasSubstr("would reject the boot it was learned from"),
                    HasSubstr("EVENTLOG_UNCLASSIFIED_EVENT"),
                    HasSubstr("event 44 (PCR 7")));
  // A stored verdict's state (no events) is learned from its decoded
  // objects alone.
  s.clear_events();
  EXPECT_TRUE(LearnPolicy(s, {}).ok());
}

// Every command line is learned; with one measured only as a digest, the
// sha256 rule lists every command line's digest.
TEST(LearnTest, LearnsEveryCommandLine) {
  v1::BootState s = ShimSecureBootState();
  v1::KernelCmdline* uki = s.add_kernel_cmdlines();
  uki->set_sha256(FakeDigest(0xc5));
  uki->set_pcr(11);
  uki->set_event_index(44);
  uki->set_source("uki-cmdline");
  Policy p = LearnAndReload(s);
  ASSERT_EQ(p.boot().allowed_kernel_cmdlines_size(), 1);
  EXPECT_THAT(p.boot().allowed_kernel_cmdline_sha256(),
              ElementsAre(s.kernel_cmdlines(0).sha256(), FakeDigest(0xc5)));
  EXPECT_TRUE(Codes(p, s).empty());
  uki->set_sha256(FakeDigest(0xc6));
  EXPECT_THAT(Codes(p, s), ElementsAre(v1::POLICY_KERNEL_CMDLINE));
}

TEST(LearnTest, MatchLabelsOption) {
  Policy p =
      LearnAndReload(ShimSecureBootState(),
                     {.name = "n", .match_labels = {{"image", "debian-12"}}});
  EXPECT_EQ(p.match_labels_size(), 1);
  EXPECT_EQ(p.match_labels().at("image"), "debian-12");
}

}  // namespace
}  // namespace vtpm::verifier
