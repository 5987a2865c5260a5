// The allowlist rules account for every extend into the PCRs they judge
// (event types and data are not measured), and judge every instance of
// what they judge, never only the last: each path rejects with its exact
// reason code and names the event.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/hex.h"
#include "common/tpm_alg.h"
#include "tests/policy/boot_state_data.h"
#include "verifier/policy/policy.h"
#include "verifier/policy/policy_rules.h"

namespace vtpm::verifier {
namespace {

namespace v1 = vtpm_attest::v1;
using ::testing::AllOf;
using ::testing::ElementsAre;
using testing::FakeDigest;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::ShimSecureBootState;

using testing::Evaluate;
using testing::MustParse;

std::vector<v1::ReasonCode> Codes(const std::vector<v1::Reason>& r) {
  std::vector<v1::ReasonCode> out;
  for (const auto& x : r) out.push_back(x.code());
  return out;
}

v1::EventSummary* AddEvent(v1::BootState* s, uint32_t index, uint32_t pcr,
                           uint32_t type, const std::string& type_name,
                           unsigned char digest, v1::DigestBasis basis) {
  v1::EventSummary* e = s->add_events();
  e->set_index(index);
  e->set_pcr(pcr);
  e->set_type(type);
  e->set_type_name(type_name);
  e->set_description("attacker data");
  e->set_digest_basis(basis);
  (*e->mutable_digests())["sha256"] = FakeDigest(digest);
  return e;
}

std::string AppsPolicy() {
  return absl::StrCat(R"({"boot": {"allowedBootApplications": [")",
                      FakeDigest(0xa1), R"(", ")", FakeDigest(0xa2), R"(", ")",
                      FakeDigest(0xa3), R"("]}})");
}

// A boot application logged as EV_COMPACT_HASH is no boot application to
// the decoder, but its extend is still judged by its digest.
TEST(AccountingRulesTest, EveryPcr4ExtendIsAccountedFor) {
  Policy p = MustParse(AppsPolicy());
  v1::BootState s = ShimSecureBootState();
  ASSERT_THAT(Evaluate(p, s), IsEmpty());
  AddEvent(&s, 45, 4, 0xC, "EV_COMPACT_HASH", 0xee, v1::DIGEST_BASIS_OPAQUE);
  auto r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::EVENTLOG_UNCLASSIFIED_EVENT);
  EXPECT_THAT(r[0].message(),
              AllOf(HasSubstr("policy test: boot.allowedBootApplications: "),
                    HasSubstr(absl::StrCat("event 45 (PCR 4, EV_COMPACT_HASH, "
                                           "sha256 ",
                                           FakeDigest(0xee), ")")),
                    HasSubstr("not in boot.allowedBootApplications")));
  // Its digest allowed: accounted for, whatever its type says.
  (*s.mutable_events(s.events_size() - 1)->mutable_digests())["sha256"] =
      FakeDigest(0xa2);
  EXPECT_THAT(Evaluate(p, s), IsEmpty());
  // Recomputed from data the verifier understands: accounted for.
  (*s.mutable_events(s.events_size() - 1)->mutable_digests())["sha256"] =
      FakeDigest(0xee);
  s.mutable_events(s.events_size() - 1)
      ->set_digest_basis(v1::DIGEST_BASIS_RECOMPUTED);
  EXPECT_THAT(Evaluate(p, s), IsEmpty());
  // An unset basis counts as opaque.
  s.mutable_events(s.events_size() - 1)
      ->set_digest_basis(v1::DIGEST_BASIS_UNSPECIFIED);
  EXPECT_THAT(Codes(Evaluate(p, s)),
              ElementsAre(v1::EVENTLOG_UNCLASSIFIED_EVENT));
}

// A decoded application that is not allowed is POLICY_BOOT_APPLICATION,
// once (its event is not counted again as unclassified).
TEST(AccountingRulesTest, DecodedApplicationIsJudgedOnce) {
  Policy p = MustParse(AppsPolicy());
  v1::BootState s = ShimSecureBootState();
  (*s.mutable_boot_applications(1)->mutable_digests())["sha256"] =
      FakeDigest(0xee);
  for (auto& e : *s.mutable_events()) {
    if (e.index() == 28) (*e.mutable_digests())["sha256"] = FakeDigest(0xee);
  }
  EXPECT_THAT(Codes(Evaluate(p, s)), ElementsAre(v1::POLICY_BOOT_APPLICATION));
}

TEST(AccountingRulesTest, EveryPcr2ExtendIsAccountedFor) {
  Policy p = MustParse(absl::StrCat(R"({"boot": {"allowedDrivers": [")",
                                    std::string(64, '0'), R"("]}})"));
  v1::BootState s = ShimSecureBootState();
  ASSERT_THAT(Evaluate(p, s), IsEmpty());  // only the PCR 2 separator
  for (uint32_t type : {0xFu, 0x11u}) {    // EV_NONHOST_CODE, EV_NONHOST_INFO
    v1::BootState t = s;
    AddEvent(&t, 46, 2, type, "EV_NONHOST", 0xd1, v1::DIGEST_BASIS_OPAQUE);
    auto r = Evaluate(p, t);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].code(), v1::EVENTLOG_UNCLASSIFIED_EVENT);
    EXPECT_THAT(r[0].message(), AllOf(HasSubstr("boot.allowedDrivers"),
                                      HasSubstr("event 46 (PCR 2")));
  }
}

// With any Secure Boot rule, a PCR 7 event the verifier cannot read fails,
// once however many Secure Boot rules are set.
TEST(AccountingRulesTest, SecureBootRulesNeedEveryPcr7EventRecomputed) {
  v1::BootState s = ShimSecureBootState();
  AddEvent(&s, 47, 7, 0x80000007, "EV_EFI_ACTION", 0x77,
           v1::DIGEST_BASIS_OPAQUE);
  const std::string db = testing::kMsUefiCa2011;
  const std::string policies[] = {
      R"({"boot": {"requireSecureBoot": true}})",
      absl::StrCat(R"({"boot": {"requiredDb": [")", db, R"("]}})"),
      absl::StrCat(R"({"boot": {"forbiddenDb": [")", FakeDigest(1), R"("]}})"),
      absl::StrCat(R"({"boot": {"requiredDbx": [")",
                   testing::kOvmfDbxPlaceholder, R"("]}})"),
      absl::StrCat(R"({"boot": {"requireSecureBoot": true, "requiredDb": [")",
                   db, R"("], "requiredDbx": [")", testing::kOvmfDbxPlaceholder,
                   R"("]}})"),
  };
  for (const std::string& json : policies) {
    SCOPED_TRACE(json);
    Policy p = MustParse(json);
    EXPECT_THAT(Evaluate(p, ShimSecureBootState()), IsEmpty());
    auto r = Evaluate(p, s);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].code(), v1::EVENTLOG_UNCLASSIFIED_EVENT);
    EXPECT_THAT(r[0].message(), HasSubstr("event 47 (PCR 7, EV_EFI_ACTION"));
  }
}

// With a command-line rule, a PCR 8 event the verifier cannot read
// fails: it could be a command line under another type or prefix.
TEST(AccountingRulesTest, CommandLineRulesNeedEveryPcr8EventRecomputed) {
  v1::BootState s = ShimSecureBootState();
  AddEvent(&s, 48, 8, 0xD, "EV_IPL", 0x88, v1::DIGEST_BASIS_OPAQUE);
  const std::string sha =
      HexEncode(*Hash(TPM2_ALG_SHA256, "/vmlinuz console=ttyS0 panic=-1"));
  const std::string policies[] = {
      R"({"boot": {"allowedKernelCmdlines": [".*"]}})",
      absl::StrCat(R"({"boot": {"allowedKernelCmdlineSha256": [")", sha,
                   R"("]}})"),
      absl::StrCat(R"({"boot": {"allowedKernelCmdlines": [".*"],
                   "allowedKernelCmdlineSha256": [")",
                   sha, R"("]}})"),
  };
  for (const std::string& json : policies) {
    SCOPED_TRACE(json);
    Policy p = MustParse(json);
    EXPECT_THAT(Evaluate(p, ShimSecureBootState()), IsEmpty());
    auto r = Evaluate(p, s);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].code(), v1::EVENTLOG_UNCLASSIFIED_EVENT);
    EXPECT_THAT(r[0].message(), HasSubstr("event 48 (PCR 8, EV_IPL, sha256 "));
  }
}

v1::KernelCmdline* AddCmdline(v1::BootState* s, const std::string& text,
                              uint32_t index, const std::string& sha256 = "") {
  v1::KernelCmdline* c = s->add_kernel_cmdlines();
  c->set_text(text);
  c->set_sha256(sha256.empty() ? HexEncode(*Hash(TPM2_ALG_SHA256, text))
                               : sha256);
  c->set_pcr(8);
  c->set_event_index(index);
  c->set_source(text.empty() ? "uki-cmdline" : "grub");
  return c;
}

// A second command line (appended by root after boot) is judged too: the
// last one does not win, nor the first.
TEST(AccountingRulesTest, EveryCommandLineIsJudged) {
  Policy p = MustParse(
      R"({"boot": {"allowedKernelCmdlines": ["/vmlinuz console=ttyS0 panic=-1"]}})");
  v1::BootState good_then_bad = ShimSecureBootState();
  AddCmdline(&good_then_bad, "/vmlinuz init=/bin/sh", 45);
  auto r = Evaluate(p, good_then_bad);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_KERNEL_CMDLINE);
  EXPECT_THAT(r[0].message(), AllOf(HasSubstr("'/vmlinuz init=/bin/sh'"),
                                    HasSubstr("(event 45 (PCR 8), grub)")));
  v1::BootState bad_then_good = ShimSecureBootState();
  testing::SetCmdline(&bad_then_good, "/vmlinuz init=/bin/sh");
  AddCmdline(&bad_then_good, "/vmlinuz console=ttyS0 panic=-1", 45);
  r = Evaluate(p, bad_then_good);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_KERNEL_CMDLINE);
  EXPECT_THAT(r[0].message(), HasSubstr("event 39 (PCR 8, EV_IPL)"));
}

TEST(AccountingRulesTest, Sha256RuleJudgesEveryCommandLine) {
  const std::string good =
      HexEncode(*Hash(TPM2_ALG_SHA256, "/vmlinuz console=ttyS0 panic=-1"));
  Policy p = MustParse(absl::StrCat(
      R"({"boot": {"allowedKernelCmdlineSha256": [")", good, R"("]}})"));
  v1::BootState s = ShimSecureBootState();
  EXPECT_THAT(Evaluate(p, s), IsEmpty());
  AddCmdline(&s, "", 46, FakeDigest(0xc1));  // a UKI .cmdline digest
  auto r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_KERNEL_CMDLINE);
  EXPECT_THAT(
      r[0].message(),
      AllOf(HasSubstr(absl::StrCat("measured as sha256 ", FakeDigest(0xc1))),
            HasSubstr("event 46 (PCR 8), uki-cmdline")));
}

// A command line measured only as a digest cannot be judged by a pattern.
TEST(AccountingRulesTest, DigestOnlyCommandLineNeedsTheSha256Rule) {
  v1::BootState s;
  s.add_banks(v1::HASH_ALGORITHM_SHA256);
  AddCmdline(&s, "", 27, FakeDigest(0xc2));
  s.set_kernel_cmdline_sha256(FakeDigest(0xc2));
  Policy patterns = MustParse(R"({"boot": {"allowedKernelCmdlines": [".*"]}})");
  auto r = Evaluate(patterns, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::POLICY_KERNEL_CMDLINE);
  EXPECT_THAT(r[0].message(),
              AllOf(HasSubstr("measured only as a digest"),
                    HasSubstr("boot.allowedKernelCmdlineSha256")));
  Policy both = MustParse(absl::StrCat(
      R"({"boot": {"allowedKernelCmdlines": [".*"], "allowedKernelCmdlineSha256": [")",
      FakeDigest(0xc2), R"("]}})"));
  EXPECT_THAT(Evaluate(both, s), IsEmpty());
}

// A state whose events were dropped cannot be accounted for: the rule
// fails rather than judge only the decoded objects.
TEST(AccountingRulesTest, MissingEventsFailClosed) {
  Policy p = MustParse(AppsPolicy());
  v1::BootState s = ShimSecureBootState();
  s.clear_events();
  auto r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::EVENTLOG_UNCLASSIFIED_EVENT);
  EXPECT_THAT(r[0].message(),
              HasSubstr("PCR 4 is verified but the boot state carries none of "
                        "its events"));
}

// boot.allowedKernelCmdlineSha256 alone still needs a verified log.
TEST(AccountingRulesTest, Sha256RuleWithoutALogFails) {
  Policy p =
      MustParse(absl::StrCat(R"({"boot": {"allowedKernelCmdlineSha256": [")",
                             FakeDigest(1), R"("]}})"));
  auto r = EvaluatePolicy(p, PolicyInput{});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::EVENTLOG_MISSING);
  EXPECT_THAT(r[0].message(), HasSubstr("boot.allowedKernelCmdlineSha256"));
}

// PCR 11: a section's data event is accounted for by the recomputed name
// event before it; an extend outside that structure is not.
TEST(AccountingRulesTest, UkiStructureIsAccountedFor) {
  Policy p = MustParse(absl::StrCat(R"({"boot": {"allowedKernels": [")",
                                    FakeDigest(0x51), R"("]}})"));
  v1::BootState s;
  s.add_banks(v1::HASH_ALGORITHM_SHA256);
  (*(*s.mutable_pcrs())["sha256"].mutable_values())["11"] = FakeDigest(0x11);
  AddEvent(&s, 22, 11, 0xD, "EV_IPL", 0x50, v1::DIGEST_BASIS_RECOMPUTED);
  AddEvent(&s, 23, 11, 0xD, "EV_IPL", 0x51, v1::DIGEST_BASIS_OPAQUE);
  AddEvent(&s, 24, 11, 0xD, "EV_IPL", 0x52, v1::DIGEST_BASIS_RECOMPUTED);
  AddEvent(&s, 25, 11, 0xD, "EV_IPL", 0x53, v1::DIGEST_BASIS_OPAQUE);
  for (auto [name, index, digest] :
       {std::tuple<const char*, uint32_t, unsigned char>{".linux", 23, 0x51},
        {".osrel", 25, 0x53}}) {
    v1::UkiSection* sec = s.add_uki_sections();
    sec->set_name(name);
    sec->set_event_index(index);
    (*sec->mutable_digests())["sha256"] = FakeDigest(digest);
  }
  EXPECT_THAT(Evaluate(p, s), IsEmpty());
  AddEvent(&s, 26, 11, 0x6, "EV_EVENT_TAG", 0x54, v1::DIGEST_BASIS_OPAQUE);
  auto r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::EVENTLOG_UNCLASSIFIED_EVENT);
  EXPECT_THAT(r[0].message(), HasSubstr("event 26 (PCR 11, EV_EVENT_TAG"));
  // A file measurement in PCR 8, 12 or 13 is judged like one in PCR 9.
  for (uint32_t pcr : {8u, 12u, 13u}) {
    v1::BootState t = s;
    t.mutable_events()->RemoveLast();
    AddEvent(&t, 27, pcr, 0xD, "EV_IPL", 0x55, v1::DIGEST_BASIS_OPAQUE);
    EXPECT_THAT(Codes(Evaluate(p, t)),
                ElementsAre(v1::EVENTLOG_UNCLASSIFIED_EVENT))
        << "PCR " << pcr;
  }
}

// The Windows rules: a SIPA container retyped (its flags would drop out,
// and with them the whole Windows boot) is unaccounted for.
TEST(AccountingRulesTest, WindowsRulesNeedEveryPcr12To14EventRecomputed) {
  Policy p = MustParse(
      R"({"quotePcrs": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": [0, 7, 12, 13, 14]}],
          "boot": {"forbidWindowsTestSigning": true}})");
  v1::BootState s;
  s.add_banks(v1::HASH_ALGORITHM_SHA256);
  AddEvent(&s, 1, 12, 0x6, "EV_EVENT_TAG", 0x71, v1::DIGEST_BASIS_RECOMPUTED);
  AddEvent(&s, 2, 12, 0x4, "EV_SEPARATOR", 0x72, v1::DIGEST_BASIS_RECOMPUTED);
  EXPECT_THAT(Evaluate(p, s), IsEmpty());
  AddEvent(&s, 3, 13, 0xD, "EV_IPL", 0x73, v1::DIGEST_BASIS_OPAQUE);
  auto r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::EVENTLOG_UNCLASSIFIED_EVENT);
  EXPECT_THAT(r[0].message(), AllOf(HasSubstr("boot.forbidWindowsTestSigning"),
                                    HasSubstr("event 3 (PCR 13, EV_IPL")));
}

// The command-line rules account for PCR 11 too: a UKI's .cmdline pair
// retyped away would otherwise let an appended pair stand alone.
TEST(AccountingRulesTest, CommandLineRulesAccountForUkiSections) {
  Policy p =
      MustParse(absl::StrCat(R"({"boot": {"allowedKernelCmdlineSha256": [")",
                             FakeDigest(0x61), R"("]}})"));
  v1::BootState s;
  s.add_banks(v1::HASH_ALGORITHM_SHA256);
  AddEvent(&s, 26, 11, 0xD, "EV_IPL", 0x60, v1::DIGEST_BASIS_RECOMPUTED);
  AddEvent(&s, 27, 11, 0xD, "EV_IPL", 0x61, v1::DIGEST_BASIS_OPAQUE);
  v1::UkiSection* sec = s.add_uki_sections();
  sec->set_name(".cmdline");
  sec->set_event_index(27);
  (*sec->mutable_digests())["sha256"] = FakeDigest(0x61);
  AddCmdline(&s, "", 27, FakeDigest(0x61));
  EXPECT_THAT(Evaluate(p, s), IsEmpty());
  // The real pair (another command line) retyped: not a section any more.
  AddEvent(&s, 20, 11, 0x6, "EV_EVENT_TAG", 0x62, v1::DIGEST_BASIS_OPAQUE);
  auto r = Evaluate(p, s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].code(), v1::EVENTLOG_UNCLASSIFIED_EVENT);
  EXPECT_THAT(r[0].message(),
              AllOf(HasSubstr("boot.allowedKernelCmdlineSha256"),
                    HasSubstr("event 20 (PCR 11, EV_EVENT_TAG")));
}

}  // namespace
}  // namespace vtpm::verifier
