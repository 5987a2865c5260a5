// The three real OVMF logs (tests/data/eventlogs): each replays exactly to
// the sha256 PCRs read in the guest, tpm2_eventlog reads the same events,
// and a flipped byte is caught.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/eventlog/event_log.h"
#include "common/eventlog/replay.h"
#include "common/hex.h"
#include "common/reason.h"
#include "common/tpm_alg.h"
#include "tests/eventlog/tpm2_eventlog.h"
#include "tests/harness/process.h"

namespace vtpm::eventlog {
namespace {

using ::testing::HasSubstr;
using ::vtpm::testing::ReadFile;
using ::vtpm::testing::SourceDir;

struct OvmfLog {
  std::string name;
  std::set<uint32_t> touched;  // from tests/data/eventlogs/README.md
};

const std::vector<OvmfLog>& Logs() {
  static const auto* logs = new std::vector<OvmfLog>{
      {"ovmf-direct-plain-crb", {0, 1, 2, 3, 4, 5, 6, 7, 9}},
      {"ovmf-uki-plain-crb", {0, 1, 2, 3, 4, 5, 6, 7, 9, 11}},
      {"ovmf-shim-secboot-crb", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14}},
  };
  return *logs;
}

std::string Dir(const OvmfLog& l) {
  return SourceDir() + "/tests/data/eventlogs/" + l.name;
}

// pcrs-sha256.txt: "INDEX HEX" per line.
PcrValues ReadGuestPcrs(const OvmfLog& l) {
  PcrValues out;
  auto text = ReadFile(Dir(l) + "/pcrs-sha256.txt");
  EXPECT_TRUE(text.ok()) << text.status();
  for (absl::string_view line :
       absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    uint32_t pcr;
    EXPECT_EQ(f.size(), 2u);
    EXPECT_TRUE(absl::SimpleAtoi(f[0], &pcr));
    auto value = HexDecode(f[1]);
    EXPECT_TRUE(value.ok());
    out[TPM2_ALG_SHA256][pcr] = *value;
  }
  EXPECT_EQ(out[TPM2_ALG_SHA256].size(), 24u);
  return out;
}

ParsedLog ParseFixture(const OvmfLog& l, std::string* bytes = nullptr) {
  auto data = ReadFile(Dir(l) + "/binary_bios_measurements");
  EXPECT_TRUE(data.ok()) << data.status();
  if (bytes) *bytes = *data;
  auto log = ParseEventLog(*data);
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? *std::move(log) : ParsedLog{};
}

TEST(OvmfLogsTest, ReplayEqualsGuestPcrs) {
  for (const OvmfLog& l : Logs()) {
    SCOPED_TRACE(l.name);
    ParsedLog log = ParseFixture(l);
    EXPECT_EQ(log.format, LogFormat::kCryptoAgile);
    EXPECT_EQ(log.banks, std::vector<TPMI_ALG_HASH>{TPM2_ALG_SHA256});
    EXPECT_FALSE(log.startup_locality.has_value());
    auto replayed = Replay(log);
    ASSERT_TRUE(replayed.ok()) << replayed.status();
    PcrValues guest = ReadGuestPcrs(l);
    std::set<uint32_t> touched;
    for (const auto& [pcr, value] : (*replayed)[TPM2_ALG_SHA256]) {
      touched.insert(pcr);
      EXPECT_EQ(HexEncode(value), HexEncode(guest[TPM2_ALG_SHA256][pcr]))
          << "PCR " << pcr;
    }
    EXPECT_EQ(touched, l.touched);
  }
}

TEST(OvmfLogsTest, MatchAgainstEveryGuestPcr) {
  for (const OvmfLog& l : Logs()) {
    SCOPED_TRACE(l.name);
    ParsedLog log = ParseFixture(l);
    // All 24 PCRs as a quote would carry them (PCR 10 holds IMA's
    // measurements, which this log does not cover).
    auto m = MatchQuotedPcrs(log, ReadGuestPcrs(l));
    ASSERT_TRUE(m.ok()) << m.status();
    std::set<std::pair<TPMI_ALG_HASH, uint32_t>> expected;
    for (uint32_t pcr : l.touched) expected.emplace(TPM2_ALG_SHA256, pcr);
    EXPECT_EQ(m->verified, expected);
    EXPECT_TRUE(m->unverified_pcrs.empty());
  }
}

TEST(OvmfLogsTest, Tpm2EventlogReadsTheSameEvents) {
  for (const OvmfLog& l : Logs()) {
    SCOPED_TRACE(l.name);
    ParsedLog log = ParseFixture(l);
    auto tool = testing::RunTpm2Eventlog(Dir(l) + "/binary_bios_measurements");
    ASSERT_TRUE(tool.ok()) << tool.status();
    // tpm2_eventlog lists the Spec ID header as event 0.
    ASSERT_EQ(tool->events.size(), log.events.size() + 1);
    EXPECT_EQ(tool->events[0].type, "EV_NO_ACTION");
    for (size_t i = 0; i < log.events.size(); ++i) {
      const Event& ev = log.events[i];
      const testing::ToolEvent& te = tool->events[i + 1];
      SCOPED_TRACE(i);
      EXPECT_EQ(ev.pcr, te.pcr);
      EXPECT_EQ(EventTypeName(ev.type), te.type);
      EXPECT_EQ(ev.data.size(), te.size);
      ASSERT_EQ(te.digests.size(), 1u);
      EXPECT_EQ(te.digests[0].first, "sha256");
      EXPECT_EQ(te.digests[0].second,
                HexEncode(*ev.DigestFor(TPM2_ALG_SHA256)));
    }
    // These logs have no StartupLocality, so tpm2-tools' PCR 0 is right
    // too (see NOTES.md for logs where it is not).
    auto replayed = Replay(log);
    ASSERT_TRUE(replayed.ok());
    std::map<uint32_t, std::string> ours;
    for (const auto& [pcr, v] : (*replayed)[TPM2_ALG_SHA256]) {
      ours[pcr] = HexEncode(v);
    }
    EXPECT_EQ(tool->pcrs["sha256"], ours);
  }
}

TEST(OvmfLogsTest, FlippedDigestByteInRealLog) {
  const OvmfLog& l = Logs()[2];  // shim + Secure Boot
  std::string bytes;
  ParsedLog good = ParseFixture(l, &bytes);
  // The last EV_EFI_VARIABLE_AUTHORITY event (PCR 7).
  const Event* target = nullptr;
  for (const Event& ev : good.events) {
    if (ev.type == EV_EFI_VARIABLE_AUTHORITY) target = &ev;
  }
  ASSERT_NE(target, nullptr);
  // pcr, type, count, alg: the sha256 digest starts 14 bytes in.
  bytes[target->offset + 14] ^= 0x40;
  auto bad = ParseEventLog(bytes);
  ASSERT_TRUE(bad.ok()) << bad.status();
  auto m = MatchQuotedPcrs(*bad, ReadGuestPcrs(l));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(ReasonOf(m.status()), vtpm_attest::v1::EVENTLOG_REPLAY_MISMATCH);
  std::string msg(m.status().message());
  EXPECT_THAT(msg, HasSubstr("PCR 7 (sha256)"));
  EXPECT_THAT(msg, HasSubstr("quoted 75677db6f14082d3bfec4d14bdd75c8d7261"));
  // Later events in PCR 7 (if any) would be named; check it is the last one.
  const Event* last7 = nullptr;
  for (const Event& ev : good.events) {
    if (ev.pcr == 7 && ev.type != EV_NO_ACTION) last7 = &ev;
  }
  EXPECT_THAT(msg, HasSubstr(absl::StrCat("last event extended into it: event ",
                                          last7->index, " ",
                                          EventTypeName(last7->type))));
  EXPECT_THAT(msg, ::testing::Not(HasSubstr("PCR 4 ")));
}

TEST(OvmfLogsTest, TruncatedRealLogIsAnErrorOrMismatch) {
  const OvmfLog& l = Logs()[1];
  std::string bytes;
  ParsedLog good = ParseFixture(l, &bytes);
  PcrValues guest = ReadGuestPcrs(l);
  // Cut inside the last event: malformed. Cut before it: a valid log that
  // no longer replays to the quoted PCRs.
  const Event& last = good.events.back();
  auto cut = ParseEventLog(bytes.substr(0, last.offset + 7));
  EXPECT_EQ(ReasonOf(cut.status()), vtpm_attest::v1::EVENTLOG_MALFORMED);
  auto shorter = ParseEventLog(bytes.substr(0, last.offset));
  ASSERT_TRUE(shorter.ok()) << shorter.status();
  auto m = MatchQuotedPcrs(*shorter, guest);
  EXPECT_EQ(ReasonOf(m.status()), vtpm_attest::v1::EVENTLOG_REPLAY_MISMATCH);
  EXPECT_THAT(std::string(m.status().message()),
              HasSubstr(absl::StrCat("PCR ", last.pcr, " (sha256)")));
}

}  // namespace
}  // namespace vtpm::eventlog
