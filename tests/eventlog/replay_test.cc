// Replay and MatchQuotedPcrs on LogBuilder logs (the builder computes the
// expected PCRs on its own; the swtpm tests in log_builder_test.cc check
// both against a real TPM).
#include "common/eventlog/replay.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/hex.h"
#include "common/reason.h"
#include "common/tpm_alg.h"
#include "tests/eventlog/log_builder.h"

namespace vtpm::eventlog {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using ::vtpm::testing::LogBuilder;
using ::vtpm::testing::MakeRealisticLog;
using Pairs = std::set<std::pair<TPMI_ALG_HASH, uint32_t>>;

ParsedLog MustParse(const std::string& bytes) {
  auto log = ParseEventLog(bytes);
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? *std::move(log) : ParsedLog{};
}

PcrValues MustReplay(const ParsedLog& log) {
  auto pcrs = Replay(log);
  EXPECT_TRUE(pcrs.ok()) << pcrs.status();
  return pcrs.ok() ? *std::move(pcrs) : PcrValues{};
}

std::string Zeros(TPMI_ALG_HASH alg) {
  return std::string(DigestSize(alg), '\0');
}

// Expects EVENTLOG_REPLAY_MISMATCH with every `parts` in the message.
void ExpectMismatch(const absl::StatusOr<ReplayMatch>& m,
                    const std::vector<std::string>& parts) {
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(ReasonOf(m.status()), vtpm_attest::v1::EVENTLOG_REPLAY_MISMATCH);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kFailedPrecondition);
  for (const std::string& p : parts) {
    EXPECT_THAT(std::string(m.status().message()), HasSubstr(p));
  }
}

TEST(ReplayTest, MatchesBuilderForEveryBankMixAndFormat) {
  std::vector<LogBuilder> logs = {
      MakeRealisticLog({TPM2_ALG_SHA256}, 100),
      MakeRealisticLog(
          {TPM2_ALG_SHA1, TPM2_ALG_SHA256, TPM2_ALG_SHA384, TPM2_ALG_SHA512},
          100),
      MakeRealisticLog({TPM2_ALG_SHA384}, 50),
  };
  LogBuilder legacy = LogBuilder::Sha1Legacy();
  legacy.AddEvent(0, EV_S_CRTM_VERSION, "v")
      .AddEvent(0, EV_POST_CODE, "p")
      .AddEvent(7, EV_SEPARATOR, std::string(4, '\0'));
  logs.push_back(legacy);
  for (const LogBuilder& b : logs) {
    PcrValues expected = b.ExpectedPcrs();
    EXPECT_EQ(MustReplay(MustParse(b.Build())), expected);
    EXPECT_FALSE(expected.begin()->second.empty());
  }
}

TEST(ReplayTest, ExtendIsHashOfOldValueAndDigest) {
  LogBuilder b({TPM2_ALG_SHA256});
  b.AddEvent(3, EV_POST_CODE, "one").AddEvent(3, EV_POST_CODE, "two");
  PcrValues pcrs = MustReplay(MustParse(b.Build()));
  std::string v = Zeros(TPM2_ALG_SHA256);
  v = *Hash(TPM2_ALG_SHA256, v + *Hash(TPM2_ALG_SHA256, "one"));
  v = *Hash(TPM2_ALG_SHA256, v + *Hash(TPM2_ALG_SHA256, "two"));
  ASSERT_EQ(pcrs[TPM2_ALG_SHA256].size(), 1u);
  EXPECT_EQ(HexEncode(pcrs[TPM2_ALG_SHA256][3]), HexEncode(v));
}

TEST(ReplayTest, NoActionEventsExtendNothing) {
  LogBuilder b({TPM2_ALG_SHA256, TPM2_ALG_SHA1});
  b.AddEvent(5, EV_NO_ACTION, "anything").AddEvent(2, EV_POST_CODE, "x");
  PcrValues pcrs = MustReplay(MustParse(b.Build()));
  for (TPMI_ALG_HASH bank : {TPM2_ALG_SHA256, TPM2_ALG_SHA1}) {
    ASSERT_EQ(pcrs[bank].size(), 1u);
    EXPECT_EQ(pcrs[bank].begin()->first, 2u);
  }
}

TEST(ReplayTest, HeaderOnlyLogReplaysToEmptyBanks) {
  PcrValues pcrs = MustReplay(MustParse(LogBuilder({TPM2_ALG_SHA256}).Build()));
  ASSERT_EQ(pcrs.size(), 1u);
  EXPECT_TRUE(pcrs[TPM2_ALG_SHA256].empty());
}

TEST(ReplayTest, StartupLocalitySetsPcr0StartValue) {
  for (uint8_t locality : {0, 3, 4}) {
    LogBuilder b({TPM2_ALG_SHA256, TPM2_ALG_SHA1});
    b.SetStartupLocality(locality)
        .AddEvent(0, EV_S_CRTM_VERSION, "v")
        .AddEvent(1, EV_POST_CODE, "p");
    ParsedLog log = MustParse(b.Build());
    PcrValues pcrs = MustReplay(log);
    EXPECT_EQ(pcrs, b.ExpectedPcrs());
    for (TPMI_ALG_HASH bank : {TPM2_ALG_SHA256, TPM2_ALG_SHA1}) {
      std::string start = Zeros(bank);
      start.back() = static_cast<char>(locality);
      EXPECT_EQ(InitialPcrValue(log, bank, 0), start);
      EXPECT_EQ(InitialPcrValue(log, bank, 1), Zeros(bank));
      EXPECT_EQ(pcrs[bank][0],
                *Hash(bank, start + *Hash(bank, std::string("v"))));
      // Only PCR 0 depends on the locality.
      EXPECT_EQ(pcrs[bank][1],
                *Hash(bank, Zeros(bank) + *Hash(bank, std::string("p"))));
    }
  }
}

TEST(ReplayTest, HcrtmReplaysFromLocality4) {
  LogBuilder b({TPM2_ALG_SHA256});
  b.SetHcrtm("measured").AddEvent(0, EV_S_CRTM_VERSION, "v");
  PcrValues pcrs = MustReplay(MustParse(b.Build()));
  std::string v = Zeros(TPM2_ALG_SHA256);
  v.back() = 4;
  v = *Hash(TPM2_ALG_SHA256, v + *Hash(TPM2_ALG_SHA256, "measured"));
  v = *Hash(TPM2_ALG_SHA256, v + *Hash(TPM2_ALG_SHA256, "v"));
  EXPECT_EQ(HexEncode(pcrs[TPM2_ALG_SHA256][0]), HexEncode(v));
}

TEST(ReplayTest, UnknownBankIsSkipped) {
  LogBuilder b({TPM2_ALG_SHA256});
  b.AddUnknownBank(TPM2_ALG_SM3_256, 32).AddEvent(4, EV_POST_CODE, "x");
  ParsedLog log = MustParse(b.Build());
  PcrValues pcrs = MustReplay(log);
  EXPECT_EQ(pcrs.size(), 1u);
  EXPECT_EQ(pcrs.count(TPM2_ALG_SM3_256), 0u);
  EXPECT_EQ(pcrs, b.ExpectedPcrs());
  // A quote can't verify the unknown bank either.
  PcrValues quoted = pcrs;
  quoted[TPM2_ALG_SM3_256][4] = std::string(32, 'x');
  auto m = MatchQuotedPcrs(log, quoted);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->verified, (Pairs{{TPM2_ALG_SHA256, 4}}));
}

TEST(ReplayTest, RejectsHandMadeLogsWithMissingDigests) {
  ParsedLog log;
  log.format = LogFormat::kCryptoAgile;
  log.banks = {TPM2_ALG_SHA256};
  Event ev;
  ev.pcr = 1;
  ev.type = EV_POST_CODE;
  log.events.push_back(ev);
  auto pcrs = Replay(log);
  ASSERT_FALSE(pcrs.ok());
  EXPECT_EQ(ReasonOf(pcrs.status()), vtpm_attest::v1::EVENTLOG_MALFORMED);
  EXPECT_THAT(std::string(pcrs.status().message()),
              HasSubstr("no sha256 digest"));
  log.events[0].digests.push_back({TPM2_ALG_SHA256, std::string(32, 'a')});
  EXPECT_TRUE(Replay(log).ok());
  log.events[0].pcr = 24;
  EXPECT_FALSE(Replay(log).ok());
}

// The log every MatchQuotedPcrs test starts from: sha256 + sha1 banks,
// PCRs 0-5, 7, 8 and 14 touched (no PCR 6).
LogBuilder MatchLog() {
  LogBuilder b({TPM2_ALG_SHA256, TPM2_ALG_SHA1});
  b.AddEvent(0, EV_S_CRTM_VERSION, "v");
  for (uint32_t pcr : {0, 1, 2, 3, 4, 5, 7}) {
    b.AddEvent(pcr, EV_SEPARATOR, std::string(4, '\0'));
  }
  b.AddEvent(8, EV_IPL, "grub_cmd: linux /vmlinuz")
      .AddEvent(14, EV_IPL, "MokList")
      .AddEvent(7, EV_EFI_VARIABLE_AUTHORITY, "db cert");
  return b;
}

// What a TPM would quote after this boot: every sha256 PCR 0-23, with
// PCR 10 extended by IMA (not in the firmware log).
PcrValues QuoteAll(const LogBuilder& b) {
  PcrValues expected = b.ExpectedPcrs();
  PcrValues quoted;
  for (uint32_t pcr = 0; pcr < 24; ++pcr) {
    auto it = expected[TPM2_ALG_SHA256].find(pcr);
    quoted[TPM2_ALG_SHA256][pcr] = it != expected[TPM2_ALG_SHA256].end()
                                       ? it->second
                                       : Zeros(TPM2_ALG_SHA256);
  }
  quoted[TPM2_ALG_SHA256][10] = std::string(32, '\x10');
  return quoted;
}

TEST(MatchQuotedPcrsTest, AllPcrsQuotedVerifiesEveryTouchedPcr) {
  LogBuilder b = MatchLog();
  auto m = MatchQuotedPcrs(MustParse(b.Build()), QuoteAll(b));
  ASSERT_TRUE(m.ok()) << m.status();
  Pairs expected;
  for (uint32_t pcr : {0, 1, 2, 3, 4, 5, 7, 8, 14}) {
    expected.emplace(TPM2_ALG_SHA256, pcr);
  }
  EXPECT_EQ(m->verified, expected);
  EXPECT_TRUE(m->unverified_pcrs.empty());
}

TEST(MatchQuotedPcrsTest, PartialQuoteLeavesOtherPcrsUnverified) {
  LogBuilder b = MatchLog();
  PcrValues expected = b.ExpectedPcrs();
  PcrValues quoted;
  quoted[TPM2_ALG_SHA256][0] = expected[TPM2_ALG_SHA256][0];
  quoted[TPM2_ALG_SHA256][7] = expected[TPM2_ALG_SHA256][7];
  quoted[TPM2_ALG_SHA256][6] = Zeros(TPM2_ALG_SHA256);  // untouched, zero
  quoted[TPM2_ALG_SHA1][4] = expected[TPM2_ALG_SHA1][4];
  auto m = MatchQuotedPcrs(MustParse(b.Build()), quoted);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(
      m->verified,
      (Pairs{{TPM2_ALG_SHA256, 0}, {TPM2_ALG_SHA256, 7}, {TPM2_ALG_SHA1, 4}}));
  EXPECT_THAT(m->unverified_pcrs, UnorderedElementsAre(1, 2, 3, 5, 8, 14));
}

TEST(MatchQuotedPcrsTest, FlippedDigestByteIsAMismatchNamingPcrAndBank) {
  LogBuilder b = MatchLog();
  std::string bytes = b.Build();
  ParsedLog good = MustParse(bytes);
  // Flip one byte of the sha256 digest of the last PCR 7 event (index 10).
  const Event& ev = good.events[10];
  ASSERT_EQ(ev.pcr, 7u);
  size_t sha256_at = ev.offset + 12 + 2;
  bytes[sha256_at + 5] ^= 0x01;
  ParsedLog bad = MustParse(bytes);
  PcrValues replayed = MustReplay(bad);
  auto m = MatchQuotedPcrs(bad, QuoteAll(b));
  ExpectMismatch(m,
                 {"PCR 7 (sha256)",
                  "quoted " + HexEncode(b.ExpectedPcrs()[TPM2_ALG_SHA256][7]),
                  "log replays to " + HexEncode(replayed[TPM2_ALG_SHA256][7]),
                  "last event extended into it: event 10 "
                  "EV_EFI_VARIABLE_AUTHORITY at offset " +
                      std::to_string(ev.offset)});
  // Only PCR 7 is named.
  EXPECT_THAT(std::string(m.status().message()),
              ::testing::Not(HasSubstr("PCR 0 ")));
  // The sha1 bank of the same event is intact: quoting sha1 only passes.
  PcrValues sha1_only;
  sha1_only[TPM2_ALG_SHA1] = b.ExpectedPcrs()[TPM2_ALG_SHA1];
  auto sha1 = MatchQuotedPcrs(bad, sha1_only);
  ASSERT_TRUE(sha1.ok()) << sha1.status();
  EXPECT_TRUE(sha1->verified.count({TPM2_ALG_SHA1, 7}));
}

TEST(MatchQuotedPcrsTest, QuotedPcrThatDiffers) {
  LogBuilder b = MatchLog();
  PcrValues quoted = QuoteAll(b);
  quoted[TPM2_ALG_SHA256][14][31] ^= 0x80;
  quoted[TPM2_ALG_SHA256][1][0] ^= 0x80;
  auto m = MatchQuotedPcrs(MustParse(b.Build()), quoted);
  ExpectMismatch(m, {"PCR 1 (sha256)", "PCR 14 (sha256)", "event 9 EV_IPL",
                     HexEncode(quoted[TPM2_ALG_SHA256][14])});
  // PCRs in ascending order: PCR 1 is named first.
  std::string msg(m.status().message());
  EXPECT_LT(msg.find("PCR 1 "), msg.find("PCR 14 "));
}

TEST(MatchQuotedPcrsTest, UntouchedFirmwarePcrMustBeZero) {
  LogBuilder b = MatchLog();
  PcrValues quoted = QuoteAll(b);
  quoted[TPM2_ALG_SHA256][6] = std::string(32, '\x66');
  ExpectMismatch(
      MatchQuotedPcrs(MustParse(b.Build()), quoted),
      {"PCR 6 (sha256)", "quoted " + std::string(64, '6'),
       "the log has no event for it", "initial value " + std::string(64, '0')});
  // PCRs above 7 that the log does not touch are the OS's business.
  quoted = QuoteAll(b);
  quoted[TPM2_ALG_SHA256][9] = std::string(32, '\x99');
  quoted[TPM2_ALG_SHA256][23] = std::string(32, '\x23');
  EXPECT_TRUE(MatchQuotedPcrs(MustParse(b.Build()), quoted).ok());
}

TEST(MatchQuotedPcrsTest, UntouchedPcr0WithStartupLocality) {
  LogBuilder b({TPM2_ALG_SHA256});
  b.SetStartupLocality(3).AddEvent(1, EV_POST_CODE, "p");
  ParsedLog log = MustParse(b.Build());
  PcrValues quoted = b.ExpectedPcrs();
  quoted[TPM2_ALG_SHA256][0] = Zeros(TPM2_ALG_SHA256);
  ExpectMismatch(
      MatchQuotedPcrs(log, quoted),
      {"PCR 0 (sha256)", "initial value " + std::string(63, '0') + "3"});
  quoted[TPM2_ALG_SHA256][0].back() = 3;
  EXPECT_TRUE(MatchQuotedPcrs(log, quoted).ok());
}

TEST(MatchQuotedPcrsTest, QuotedBanksTheLogDoesNotCarryAreIgnored) {
  LogBuilder b({TPM2_ALG_SHA256});
  b.AddEvent(0, EV_S_CRTM_VERSION, "v");
  PcrValues quoted = b.ExpectedPcrs();
  quoted[TPM2_ALG_SHA384][0] = std::string(48, 'x');
  quoted[TPM2_ALG_SHA384][3] = std::string(48, 'x');
  auto m = MatchQuotedPcrs(MustParse(b.Build()), quoted);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->verified, (Pairs{{TPM2_ALG_SHA256, 0}}));
}

TEST(MatchQuotedPcrsTest, NoSharedBankVerifiesNothing) {
  LogBuilder b = LogBuilder::Sha1Legacy();
  b.AddEvent(0, EV_S_CRTM_VERSION, "v").AddEvent(4, EV_POST_CODE, "x");
  PcrValues quoted;
  quoted[TPM2_ALG_SHA256][0] = std::string(32, 'x');
  auto m = MatchQuotedPcrs(MustParse(b.Build()), quoted);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->verified.empty());
  EXPECT_THAT(m->unverified_pcrs, UnorderedElementsAre(0, 4));
}

TEST(MatchQuotedPcrsTest, LegacyLogAgainstSha1Quote) {
  LogBuilder b = LogBuilder::Sha1Legacy();
  b.AddEvent(0, EV_S_CRTM_VERSION, "v").AddEvent(4, EV_POST_CODE, "x");
  ParsedLog log = MustParse(b.Build());
  PcrValues quoted = b.ExpectedPcrs();
  auto m = MatchQuotedPcrs(log, quoted);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->verified, (Pairs{{TPM2_ALG_SHA1, 0}, {TPM2_ALG_SHA1, 4}}));
  quoted[TPM2_ALG_SHA1][4][0] ^= 1;
  ExpectMismatch(MatchQuotedPcrs(log, quoted),
                 {"PCR 4 (sha1)", "event 1 EV_POST_CODE at offset 33"});
}

}  // namespace
}  // namespace vtpm::eventlog
