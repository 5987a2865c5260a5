// LogBuilder / ExtendTpm / ExtendTpmWithLog against a real swtpm: the TPM's
// PCRs after extending equal the builder's expectation and the replay,
// including PCR 0 started at locality 3 and by an H-CRTM sequence, which
// checks Replay's start values against libtpms.
#include "tests/eventlog/log_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/eventlog/replay.h"
#include "common/hex.h"
#include "common/reason.h"
#include "tests/harness/swtpm.h"

namespace vtpm::testing {
namespace {

using eventlog::EV_POST_CODE;
using eventlog::EV_S_CRTM_VERSION;
using eventlog::EV_SEPARATOR;
using eventlog::MatchQuotedPcrs;
using eventlog::ParsedLog;
using eventlog::ParseEventLog;
using eventlog::Replay;
using ::testing::HasSubstr;

class LogBuilderTpmTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto ca = TestCa::Create(dir_->path());
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = ca->release();
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete dir_;
  }

  void SetUp() override {
    auto tpm = Swtpm::Start(tpm_dir_.Sub("tpm"), *ca_, {.ecc = false});
    ASSERT_TRUE(tpm.ok()) << tpm.status();
    tpm_ = std::move(*tpm);
  }

  // sha256 PCRs 0-23 as the TPM holds them (swtpm has only that bank).
  PcrValues ReadPcrs() {
    auto pcrs = ReadTpmPcrs(tpm_->tools_env(), "sha256:0-23");
    EXPECT_TRUE(pcrs.ok()) << pcrs.status();
    return pcrs.ok() ? *pcrs : PcrValues{};
  }

  // Every PCR in `expected`'s sha256 bank equals the TPM's, and the
  // others are at their TPM2_Startup values: zero, all ones for the DRTM
  // PCRs 17-22.
  void ExpectTpmHolds(const PcrValues& expected, const PcrValues& tpm,
                      const std::set<uint32_t>& ignore = {}) {
    const auto& want = expected.at(TPM2_ALG_SHA256);
    for (const auto& [pcr, value] : tpm.at(TPM2_ALG_SHA256)) {
      if (ignore.count(pcr)) continue;
      auto it = want.find(pcr);
      std::string reset(64, pcr >= 17 && pcr <= 22 ? 'f' : '0');
      EXPECT_EQ(HexEncode(value),
                it == want.end() ? reset : HexEncode(it->second))
          << "PCR " << pcr;
    }
  }

  static TempDir* dir_;
  static TestCa* ca_;
  TempDir tpm_dir_;
  std::unique_ptr<Swtpm> tpm_;
};

TempDir* LogBuilderTpmTest::dir_ = nullptr;
TestCa* LogBuilderTpmTest::ca_ = nullptr;

TEST_F(LogBuilderTpmTest, RealisticLogExtendedIntoSwtpmMatches) {
  LogBuilder b = MakeRealisticLog({TPM2_ALG_SHA256, TPM2_ALG_SHA1}, 300);
  std::string bytes = b.Build();
  ASSERT_TRUE(b.ExtendTpm(tpm_->tools_env()).ok());
  PcrValues tpm = ReadPcrs();
  ExpectTpmHolds(b.ExpectedPcrs(), tpm);
  auto log = ParseEventLog(bytes);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->events.size(), 300u);
  auto m = MatchQuotedPcrs(*log, tpm);
  ASSERT_TRUE(m.ok()) << m.status();
  std::set<std::pair<TPMI_ALG_HASH, uint32_t>> expected;
  PcrValues want = b.ExpectedPcrs();
  for (const auto& [pcr, v] : want[TPM2_ALG_SHA256]) {
    expected.emplace(TPM2_ALG_SHA256, pcr);
  }
  EXPECT_EQ(m->verified, expected);
  EXPECT_TRUE(m->unverified_pcrs.empty());
}

TEST_F(LogBuilderTpmTest, BareTctiStringWorksToo) {
  LogBuilder b({TPM2_ALG_SHA256});
  b.AddEvent(16, EV_POST_CODE, "debug pcr");
  ASSERT_TRUE(b.ExtendTpm(tpm_->tcti()).ok());
  ExpectTpmHolds(b.ExpectedPcrs(), ReadPcrs());
}

TEST_F(LogBuilderTpmTest, ExtraExtendIsCaughtByMatch) {
  LogBuilder b = MakeRealisticLog({TPM2_ALG_SHA256}, 60);
  ASSERT_TRUE(b.ExtendTpm(tpm_->tools_env()).ok());
  // Something the log does not record.
  ASSERT_TRUE(RunOrError({"tpm2_pcrextend", "4:sha256=" + std::string(64, 'a')},
                         {tpm_->tools_env()})
                  .ok());
  auto log = ParseEventLog(b.Build());
  ASSERT_TRUE(log.ok());
  auto m = MatchQuotedPcrs(*log, ReadPcrs());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(ReasonOf(m.status()), vtpm_attest::v1::EVENTLOG_REPLAY_MISMATCH);
  EXPECT_THAT(std::string(m.status().message()), HasSubstr("PCR 4 (sha256)"));
}

TEST_F(LogBuilderTpmTest, StartupLocality3IsReproducedOnTheTpm) {
  LogBuilder b({TPM2_ALG_SHA256, TPM2_ALG_SHA1});
  b.SetStartupLocality(3)
      .AddEvent(0, EV_S_CRTM_VERSION, std::string(2, '\0'))
      .AddEvent(0, EV_SEPARATOR, std::string(4, '\0'))
      .AddEvent(7, EV_SEPARATOR, std::string(4, '\0'));
  ASSERT_TRUE(b.ExtendTpm(tpm_->tools_env()).ok());
  PcrValues tpm = ReadPcrs();
  ExpectTpmHolds(b.ExpectedPcrs(), tpm);
  auto log = ParseEventLog(b.Build());
  ASSERT_TRUE(log.ok());
  auto replayed = Replay(*log);
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(HexEncode((*replayed)[TPM2_ALG_SHA256][0]),
            HexEncode(tpm[TPM2_ALG_SHA256][0]));
  EXPECT_TRUE(MatchQuotedPcrs(*log, tpm).ok());
  // Replaying from zero instead (ignoring the locality) would not match.
  ParsedLog no_locality = *log;
  no_locality.startup_locality.reset();
  EXPECT_FALSE(MatchQuotedPcrs(no_locality, tpm).ok());
}

TEST_F(LogBuilderTpmTest, HcrtmIsReproducedOnTheTpm) {
  LogBuilder b({TPM2_ALG_SHA256});
  b.SetHcrtm("vtpm-attest h-crtm test")
      .AddEvent(0, EV_S_CRTM_VERSION, std::string(2, '\0'))
      .AddEvent(1, EV_POST_CODE, "p");
  ASSERT_TRUE(b.ExtendTpm(tpm_->tools_env()).ok());
  PcrValues tpm = ReadPcrs();
  ExpectTpmHolds(b.ExpectedPcrs(), tpm);
  auto log = ParseEventLog(b.Build());
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->startup_locality, 4);
  EXPECT_TRUE(MatchQuotedPcrs(*log, tpm).ok())
      << MatchQuotedPcrs(*log, tpm).status();
}

TEST_F(LogBuilderTpmTest, Locality4WithoutHcrtmDataCannotBeReproduced) {
  LogBuilder b({TPM2_ALG_SHA256});
  b.SetStartupLocality(4).AddEvent(0, EV_S_CRTM_VERSION, "v");
  absl::Status s = b.ExtendTpm(tpm_->tools_env());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  // ExtendTpmWithLog skips PCR 0 instead and says so.
  auto log = ParseEventLog(b.AddEvent(2, EV_POST_CODE, "x").Build());
  ASSERT_TRUE(log.ok());
  auto skipped = ExtendTpmWithLog(*log, tpm_->tools_env());
  ASSERT_TRUE(skipped.ok()) << skipped.status();
  EXPECT_EQ(*skipped, std::set<uint32_t>{0});
  PcrValues tpm = ReadPcrs();
  ExpectTpmHolds(b.ExpectedPcrs(), tpm, {0});
  EXPECT_EQ(HexEncode(tpm[TPM2_ALG_SHA256][0]), std::string(64, '0'));
}

TEST_F(LogBuilderTpmTest, OvmfLogsExtendedIntoSwtpmEqualGuestPcrs) {
  for (const char* name : {"ovmf-direct-plain-crb", "ovmf-uki-plain-crb",
                           "ovmf-shim-secboot-crb"}) {
    SCOPED_TRACE(name);
    std::string dir = SourceDir() + "/tests/data/eventlogs/" + name;
    auto bytes = ReadFile(dir + "/binary_bios_measurements");
    ASSERT_TRUE(bytes.ok());
    auto log = ParseEventLog(*bytes);
    ASSERT_TRUE(log.ok()) << log.status();
    ASSERT_TRUE(tpm_->Restart().ok());  // fresh PCRs
    auto skipped = ExtendTpmWithLog(*log, tpm_->tools_env());
    ASSERT_TRUE(skipped.ok()) << skipped.status();
    // No StartupLocality in OVMF's logs: every PCR, 0 included, is
    // reproduced.
    EXPECT_TRUE(skipped->empty());
    PcrValues tpm = ReadPcrs();
    auto guest_text = ReadFile(dir + "/pcrs-sha256.txt");
    ASSERT_TRUE(guest_text.ok());
    auto replayed = Replay(*log);
    ASSERT_TRUE(replayed.ok());
    int compared = 0;
    for (absl::string_view line :
         absl::StrSplit(*guest_text, '\n', absl::SkipEmpty())) {
      std::vector<std::string> f = absl::StrSplit(line, ' ');
      uint32_t pcr;
      ASSERT_TRUE(absl::SimpleAtoi(f[0], &pcr));
      // Every other PCR, untouched ones (zero; all ones for the DRTM PCRs
      // 17-22) included.
      if (pcr == 10) continue;  // IMA, not in the firmware log

      EXPECT_EQ(HexEncode(tpm[TPM2_ALG_SHA256][pcr]), f[1]) << "PCR " << pcr;
      ++compared;
    }
    EXPECT_EQ(compared, 23);
    auto m = MatchQuotedPcrs(*log, tpm);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->verified.size(), (*replayed)[TPM2_ALG_SHA256].size());
  }
}

}  // namespace
}  // namespace vtpm::testing
