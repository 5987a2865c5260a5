// ParseEventLog on hand-made malformed logs: every truncation of a small
// valid log, broken headers, broken records and exceeded limits. Each must
// fail with InvalidArgument + EVENTLOG_MALFORMED, naming where.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "common/eventlog/event_log.h"
#include "common/reason.h"
#include "tests/eventlog/log_builder.h"

namespace vtpm::eventlog {
namespace {

using ::testing::HasSubstr;
using ::vtpm::testing::LogBuilder;

// Offsets in a crypto-agile log with banks {sha256, sha1} and no vendor
// info: the header record is 32 + 37 bytes; in each event, the digest
// count is at +8, the first digest's algorithm at +12, the second's at +46
// and the event size at +68.
constexpr size_t kHeaderEnd = 69;
constexpr size_t kNumAlgsAt = 32 + 24;  // in the header
constexpr size_t kFirstAlgSizeAt = kNumAlgsAt + 6;
constexpr size_t kVendorSizeAt = kNumAlgsAt + 4 + 8;
constexpr size_t kCountAt = 8, kAlg1At = 12, kAlg2At = 46, kSizeAt = 68;

void PutU32At(std::string* s, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*s)[off + i] = static_cast<char>(v >> (8 * i));
}
void PutU16At(std::string* s, size_t off, uint16_t v) {
  (*s)[off] = static_cast<char>(v & 0xff);
  (*s)[off + 1] = static_cast<char>(v >> 8);
}

LogBuilder SmallAgile() {
  LogBuilder b({TPM2_ALG_SHA256, TPM2_ALG_SHA1});
  b.SetStartupLocality(3)
      .AddEvent(0, EV_S_CRTM_VERSION, std::string(2, '\0'))
      .AddEvent(4, EV_EFI_ACTION, "Calling EFI Application from Boot Option")
      .AddEvent(7, EV_SEPARATOR, std::string(4, '\0'));
  return b;
}

LogBuilder SmallLegacy() {
  LogBuilder b = LogBuilder::Sha1Legacy();
  b.AddEvent(0, EV_S_CRTM_VERSION, std::string(2, '\0'))
      .AddEvent(4, EV_EFI_ACTION, "Calling EFI Application from Boot Option")
      .AddEvent(7, EV_SEPARATOR, std::string(4, '\0'));
  return b;
}

// Expects a malformed-log error whose message contains every `parts`.
void ExpectMalformed(const std::string& bytes,
                     const std::vector<std::string>& parts,
                     const ParseLimits& limits = {}) {
  auto log = ParseEventLog(bytes, limits);
  ASSERT_FALSE(log.ok()) << "parsed " << log->events.size() << " events";
  EXPECT_EQ(log.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(log.status()), vtpm_attest::v1::EVENTLOG_MALFORMED);
  for (const std::string& p : parts) {
    EXPECT_THAT(std::string(log.status().message()), HasSubstr(p));
  }
}

// Offset of event `i` of a valid log.
size_t EventOffset(const std::string& bytes, size_t i) {
  auto log = ParseEventLog(bytes);
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() && i < log->events.size() ? log->events[i].offset : 0;
}

TEST(MalformedLogTest, EveryTruncationFailsOrIsAShorterLog) {
  for (bool legacy : {false, true}) {
    std::string bytes = legacy ? SmallLegacy().Build() : SmallAgile().Build();
    auto full = ParseEventLog(bytes);
    ASSERT_TRUE(full.ok()) << full.status();
    // A cut exactly between two events leaves a valid shorter log (the
    // format has no event count); every other cut is an error.
    std::set<size_t> boundaries;
    if (!legacy) boundaries.insert(kHeaderEnd);
    for (const Event& ev : full->events) boundaries.insert(ev.offset);
    boundaries.erase(0);
    for (size_t len = 0; len < bytes.size(); ++len) {
      SCOPED_TRACE(absl::StrCat("legacy=", legacy, " len=", len));
      auto log = ParseEventLog(bytes.substr(0, len));
      if (boundaries.count(len)) {
        ASSERT_TRUE(log.ok()) << log.status();
        size_t expected = 0;
        for (const Event& ev : full->events) expected += ev.offset < len;
        EXPECT_EQ(log->events.size(), expected);
        continue;
      }
      ASSERT_FALSE(log.ok());
      EXPECT_EQ(log.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(ReasonOf(log.status()), vtpm_attest::v1::EVENTLOG_MALFORMED);
      if (len > 0) {
        EXPECT_THAT(std::string(log.status().message()), HasSubstr("offset"));
      }
    }
  }
}

TEST(MalformedLogTest, TruncationErrorNamesEventAndOffset) {
  std::string bytes = SmallAgile().Build();
  size_t off = EventOffset(bytes, 2);
  ExpectMalformed(
      bytes.substr(0, off + 20),
      {absl::StrCat("event 2 at offset ", off), "truncated", "sha256 digest"});
  ExpectMalformed(bytes.substr(0, 10), {"first record at offset 0"});
}

TEST(MalformedLogTest, OversizedEventSize) {
  std::string bytes = SmallAgile().Build();
  size_t off = EventOffset(bytes, 1);
  std::string huge = bytes;
  PutU32At(&huge, off + kSizeAt, 0xffffffff);
  ExpectMalformed(huge, {absl::StrCat("event 1 at offset ", off),
                         "event size 4294967295 exceeds the limit"});
  // Under the limit but past the end of the log.
  std::string past = bytes;
  PutU32At(&past, off + kSizeAt, 1000);
  ExpectMalformed(past, {absl::StrCat("event 1 at offset ", off),
                         "truncated in the event data"});
  // Legacy format.
  std::string legacy = SmallLegacy().Build();
  PutU32At(&legacy, 28, 0x7fffffff);
  ExpectMalformed(legacy, {"at offset 0", "exceeds the limit"});
}

TEST(MalformedLogTest, DigestCountMismatch) {
  std::string bytes = SmallAgile().Build();
  size_t off = EventOffset(bytes, 2);
  for (uint32_t count : {0u, 1u, 3u, 0xffffffffu}) {
    std::string bad = bytes;
    PutU32At(&bad, off + kCountAt, count);
    ExpectMalformed(bad, {absl::StrCat("event 2 at offset ", off),
                          absl::StrCat("digest count ", count),
                          "the 2 algorithm(s) of the Spec ID header"});
  }
}

TEST(MalformedLogTest, AlgorithmNotInHeader) {
  std::string bytes = SmallAgile().Build();
  size_t off = EventOffset(bytes, 1);
  std::string bad = bytes;
  PutU16At(&bad, off + kAlg2At, TPM2_ALG_SHA384);
  ExpectMalformed(
      bad, {"event 1", "algorithm sha384", "Spec ID header does not list"});
  PutU16At(&bad, off + kAlg2At, 0x1234);
  ExpectMalformed(bad, {"event 1", "algorithm 0x1234"});
}

TEST(MalformedLogTest, RepeatedDigestAlgorithm) {
  // Two 32-byte banks so that the repeat is the only problem.
  LogBuilder b({TPM2_ALG_SHA256});
  b.AddUnknownBank(TPM2_ALG_SM3_256, 32).AddEvent(1, EV_POST_CODE, "x");
  std::string bytes = b.Build();
  size_t off = EventOffset(bytes, 0);
  PutU16At(&bytes, off + kAlg1At + 34, TPM2_ALG_SHA256);
  ExpectMalformed(bytes, {"event 0", "repeats algorithm sha256"});
}

TEST(MalformedLogTest, UnknownAlgorithmWithoutSizeInHeader) {
  for (uint16_t size : {0, 65, 0xffff}) {
    LogBuilder b({TPM2_ALG_SHA256});
    b.AddUnknownBank(TPM2_ALG_SM3_256, 32);
    std::string bytes = b.Build();
    PutU16At(&bytes, kFirstAlgSizeAt + 4, size);
    ExpectMalformed(bytes,
                    {"Spec ID header at offset 0", "unknown algorithm 0x0012",
                     absl::StrCat("digest size of ", size)});
  }
}

TEST(MalformedLogTest, KnownAlgorithmWithWrongSize) {
  std::string bytes = SmallAgile().Build();
  PutU16At(&bytes, kFirstAlgSizeAt, 20);
  ExpectMalformed(
      bytes, {"Spec ID header", "sha256 a digest size of 20", "must be 32"});
}

TEST(MalformedLogTest, SpecIdWithZeroAlgorithms) {
  ExpectMalformed(LogBuilder(std::vector<TPMI_ALG_HASH>{}).Build(),
                  {"Spec ID header at offset 0", "no algorithms"});
}

TEST(MalformedLogTest, SpecIdAlgorithmCountPastItsData) {
  std::string bytes = SmallAgile().Build();
  PutU32At(&bytes, kNumAlgsAt, 3);
  ExpectMalformed(bytes, {"Spec ID header", "truncated"});
  PutU32At(&bytes, kNumAlgsAt, 0xffffffff);
  ExpectMalformed(bytes, {"Spec ID header", "more than the limit of 8"});
}

TEST(MalformedLogTest, SpecIdRepeatsAnAlgorithm) {
  ExpectMalformed(LogBuilder({TPM2_ALG_SHA256, TPM2_ALG_SHA256}).Build(),
                  {"Spec ID header", "lists sha256 twice"});
}

TEST(MalformedLogTest, SpecIdVendorInfoMismatch) {
  LogBuilder b({TPM2_ALG_SHA256});
  b.SetVendorInfo("abcd");
  std::string bytes = b.Build();
  constexpr size_t kVendorSize1 = 32 + 24 + 4 + 4;
  std::string shorter = bytes;
  shorter[kVendorSize1] = 2;
  ExpectMalformed(shorter, {"Spec ID header", "2 bytes after"});
  std::string longer = bytes;
  longer[kVendorSize1] = 5;
  ExpectMalformed(longer, {"Spec ID header", "vendorInfo"});
  static_assert(kVendorSizeAt == kVendorSize1 + 4);
}

TEST(MalformedLogTest, HeaderRecordFields) {
  std::string bytes = SmallAgile().Build();
  std::string pcr = bytes;
  PutU32At(&pcr, 0, 1);
  ExpectMalformed(pcr, {"Spec ID header", "PCR index 1"});
  std::string digest = bytes;
  digest[8 + 19] = 1;
  ExpectMalformed(digest, {"Spec ID header", "digest is not all zero"});
}

TEST(MalformedLogTest, PcrIndexOutOfRange) {
  for (bool legacy : {false, true}) {
    std::string bytes = legacy ? SmallLegacy().Build() : SmallAgile().Build();
    size_t off = EventOffset(bytes, 2);
    for (uint32_t pcr : {24u, 0xfffffffeu}) {
      std::string bad = bytes;
      PutU32At(&bad, off, pcr);
      ExpectMalformed(bad, {absl::StrCat("event 2 at offset ", off),
                            absl::StrCat("PCR index ", pcr)});
    }
  }
}

TEST(MalformedLogTest, TooManyEvents) {
  ParseLimits limits;
  limits.max_events = 3;
  ExpectMalformed(SmallAgile().Build(), {"event 3", "more than 3 events"},
                  limits);
  ExpectMalformed(SmallLegacy().Build(), {"event 2", "more than 2 events"},
                  ParseLimits{.max_events = 2});
  ExpectMalformed(SmallLegacy().Build(), {"event 0", "more than 0 events"},
                  ParseLimits{.max_events = 0});
}

TEST(MalformedLogTest, OtherLimits) {
  std::string bytes = SmallAgile().Build();
  ExpectMalformed(bytes, {"more than the limit of 100"},
                  ParseLimits{.max_log_bytes = 100});
  ExpectMalformed(bytes, {"event 2", "exceeds the limit of 39 bytes"},
                  ParseLimits{.max_event_data_bytes = 39});
  // The header's own data counts too.
  ExpectMalformed(bytes, {"first record", "exceeds the limit of 36 bytes"},
                  ParseLimits{.max_event_data_bytes = 36});
  ExpectMalformed(bytes,
                  {"Spec ID header",
                   "2 algorithms, more than the "
                   "limit of 1"},
                  ParseLimits{.max_banks = 1});
}

TEST(MalformedLogTest, GarbageAfterTheLastEvent) {
  std::string bytes = SmallAgile().Build();
  size_t end = bytes.size();
  ExpectMalformed(bytes + "\x01\x02",
                  {absl::StrCat("event 4 at offset ", end)});
  ExpectMalformed(bytes + std::string(40, '\0') + "\x01", {"event 4"});
  ExpectMalformed(bytes + std::string(40, '\xff') + std::string(1, '\0'),
                  {"event 4"});
  ExpectMalformed(bytes + std::string(5, '\0'), {"event 4", "truncated"});
}

TEST(MalformedLogTest, BadStartupLocality) {
  const std::string sig(kStartupLocalitySignature);
  {
    LogBuilder b({TPM2_ALG_SHA256});
    b.AddEvent(0, EV_NO_ACTION, sig + std::string("\x03\x00", 2));
    ExpectMalformed(b.Build(), {"event 0", "18 bytes of data"});
  }
  {
    LogBuilder b({TPM2_ALG_SHA256});
    b.AddEvent(1, EV_NO_ACTION, sig + "\x03");
    ExpectMalformed(b.Build(), {"event 0", "StartupLocality event in PCR 1"});
  }
  {
    LogBuilder b({TPM2_ALG_SHA256});
    b.SetStartupLocality(3).SetStartupLocality(3);
    ExpectMalformed(b.Build(), {"event 1", "second StartupLocality"});
  }
  {
    LogBuilder b({TPM2_ALG_SHA256});
    b.AddEvent(0, EV_S_CRTM_VERSION, "v").SetStartupLocality(3);
    ExpectMalformed(b.Build(),
                    {"event 1", "after an event that extends PCR 0"});
  }
  for (uint8_t locality : {1, 2, 5, 255}) {
    LogBuilder b({TPM2_ALG_SHA256});
    b.SetStartupLocality(locality);
    ExpectMalformed(b.Build(),
                    {"event 0", absl::StrCat("StartupLocality ", locality)});
  }
}

}  // namespace
}  // namespace vtpm::eventlog
