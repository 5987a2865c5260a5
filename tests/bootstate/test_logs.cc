#include "tests/bootstate/test_logs.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/hex.h"
#include "common/tpm_alg.h"
#include "tests/harness/process.h"

namespace vtpm::bootstate::testing {

namespace ev = ::vtpm::eventlog;

std::string FixtureDir(const std::string& name) {
  return vtpm::testing::SourceDir() + "/tests/data/eventlogs/" + name;
}

ev::ParsedLog LoadLog(const std::string& name) {
  auto bytes =
      vtpm::testing::ReadFile(FixtureDir(name) + "/binary_bios_measurements");
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  auto log = ev::ParseEventLog(bytes.value_or(""));
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? *std::move(log) : ev::ParsedLog();
}

PcrValues FixturePcrs(const std::string& name, const std::set<uint32_t>& pcrs) {
  auto text = vtpm::testing::ReadFile(FixtureDir(name) + "/pcrs-sha256.txt");
  EXPECT_TRUE(text.ok()) << text.status();
  PcrValues out;
  for (absl::string_view line : absl::StrSplit(text.value_or(""), '\n')) {
    std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    uint32_t index = 0;
    if (f.size() != 2 || !absl::SimpleAtoi(f[0], &index)) continue;
    if (!pcrs.empty() && pcrs.count(index) == 0) continue;
    out[TPM2_ALG_SHA256][index] = HexDecode(f[1]).value_or("");
  }
  return out;
}

ev::ReplayMatch Match(const ev::ParsedLog& log, const PcrValues& quoted) {
  auto m = ev::MatchQuotedPcrs(log, quoted);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *std::move(m) : ev::ReplayMatch();
}

ev::ReplayMatch MatchOwnReplay(const ev::ParsedLog& log) {
  auto replayed = ev::Replay(log);
  EXPECT_TRUE(replayed.ok()) << replayed.status();
  return Match(log, replayed.value_or(PcrValues()));
}

Extraction Extract(const ev::ParsedLog& log, const ev::ReplayMatch& match,
                   const ExtractOptions& options) {
  auto x = ExtractBootState(log, match, options);
  EXPECT_TRUE(x.ok()) << x.status();
  return x.ok() ? *std::move(x) : Extraction();
}

Extraction ExtractFixture(const std::string& name,
                          const ExtractOptions& options) {
  ev::ParsedLog log = LoadLog(name);
  return Extract(log, Match(log, FixturePcrs(name)), options);
}

Extraction ExtractBytes(const std::string& bytes,
                        const ExtractOptions& options) {
  auto log = ev::ParseEventLog(bytes);
  EXPECT_TRUE(log.ok()) << log.status();
  if (!log.ok()) return Extraction();
  return Extract(*log, MatchOwnReplay(*log), options);
}

int CountFindings(const Extraction& x, vtpm_attest::v1::ReasonCode code,
                  const std::string& text) {
  return static_cast<int>(std::count_if(
      x.findings.begin(), x.findings.end(), [&](const Finding& f) {
        return f.code == code && absl::StrContains(f.message, text);
      }));
}

std::string FindingsText(const Extraction& x) {
  std::string out;
  for (const Finding& f : x.findings) {
    absl::StrAppend(&out, vtpm_attest::v1::ReasonCode_Name(f.code), ": ",
                    f.message, "\n");
  }
  return out;
}

bool HasNote(const vtpm_attest::v1::BootState& st, const std::string& text) {
  return std::any_of(
      st.notes().begin(), st.notes().end(),
      [&](const std::string& n) { return absl::StrContains(n, text); });
}

std::string Sha256Hex(const std::string& data) {
  return HexEncode(*Hash(TPM2_ALG_SHA256, data));
}

}  // namespace vtpm::bootstate::testing
