// ParseEventLog on well-formed logs built with LogBuilder: both formats,
// every bank mix, EV_NO_ACTION events, StartupLocality, unknown algorithms,
// trailing fill and the limits; tpm2_eventlog reads the same logs as a
// second opinion.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/eventlog/event_log.h"
#include "common/hex.h"
#include "common/reason.h"
#include "common/tpm_alg.h"
#include "tests/eventlog/log_builder.h"
#include "tests/eventlog/tpm2_eventlog.h"
#include "tests/harness/process.h"

namespace vtpm::eventlog {
namespace {

using ::vtpm::testing::LogBuilder;
using ::vtpm::testing::MakeRealisticLog;
using ::vtpm::testing::TempDir;
using ::vtpm::testing::WriteFile;

// Parses `bytes` and expects success.
ParsedLog MustParse(const std::string& bytes, const ParseLimits& limits = {}) {
  auto log = ParseEventLog(bytes, limits);
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? *std::move(log) : ParsedLog{};
}

// Compares our parse of `bytes` with tpm2_eventlog's, event by event.
void ExpectSameAsTpm2Eventlog(const std::string& bytes) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Sub("log.bin"), bytes).ok());
  auto tool = testing::RunTpm2Eventlog(dir.Sub("log.bin"));
  ASSERT_TRUE(tool.ok()) << tool.status();
  ParsedLog log = MustParse(bytes);
  size_t skip = log.format == LogFormat::kCryptoAgile ? 1 : 0;  // header
  ASSERT_EQ(tool->events.size(), log.events.size() + skip);
  for (size_t i = 0; i < log.events.size(); ++i) {
    const Event& ev = log.events[i];
    const testing::ToolEvent& te = tool->events[i + skip];
    SCOPED_TRACE(absl::StrCat("event ", i));
    EXPECT_EQ(ev.pcr, te.pcr);
    // tpm2-tools 5.4 has no name for EV_EFI_HCRTM_EVENT.
    if (ev.type == EV_EFI_HCRTM_EVENT) {
      EXPECT_EQ(te.type, "Unknown event type");
    } else {
      EXPECT_EQ(EventTypeName(ev.type), te.type);
    }
    EXPECT_EQ(ev.data.size(), te.size);
    ASSERT_EQ(ev.digests.size(), te.digests.size());
    for (size_t d = 0; d < ev.digests.size(); ++d) {
      EXPECT_EQ(HashAlgName(ev.digests[d].alg), te.digests[d].first);
      EXPECT_EQ(HexEncode(ev.digests[d].digest), te.digests[d].second);
    }
  }
}

TEST(ParseEventLogTest, EmptyInputIsInvalidArgument) {
  auto log = ParseEventLog("");
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(log.status().message(), "empty event log");
  EXPECT_EQ(ReasonOf(log.status()), vtpm_attest::v1::EVENTLOG_MALFORMED);
}

TEST(ParseEventLogTest, HeaderOnlyLogHasNoEvents) {
  ParsedLog log = MustParse(LogBuilder({TPM2_ALG_SHA256}).Build());
  EXPECT_EQ(log.format, LogFormat::kCryptoAgile);
  EXPECT_EQ(log.banks, std::vector<TPMI_ALG_HASH>{TPM2_ALG_SHA256});
  EXPECT_TRUE(log.events.empty());
  EXPECT_FALSE(log.startup_locality.has_value());
}

TEST(ParseEventLogTest, EveryBankMixMatchesBuilderAndTpm2Eventlog) {
  const std::vector<std::vector<TPMI_ALG_HASH>> mixes = {
      {TPM2_ALG_SHA1},
      {TPM2_ALG_SHA256},
      {TPM2_ALG_SHA384},
      {TPM2_ALG_SHA512},
      {TPM2_ALG_SHA256, TPM2_ALG_SHA1},
      {TPM2_ALG_SHA1, TPM2_ALG_SHA256, TPM2_ALG_SHA384, TPM2_ALG_SHA512},
      {TPM2_ALG_SHA512, TPM2_ALG_SHA384},
  };
  for (const auto& banks : mixes) {
    LogBuilder b = MakeRealisticLog(banks, 60);
    SCOPED_TRACE(b.banks().size());
    std::string bytes = b.Build();
    ParsedLog log = MustParse(bytes);
    EXPECT_EQ(log.format, LogFormat::kCryptoAgile);
    EXPECT_EQ(log.banks, banks);
    ASSERT_EQ(log.events.size(), b.event_count());
    size_t offset = log.events[0].offset;
    for (size_t i = 0; i < log.events.size(); ++i) {
      const Event& ev = log.events[i];
      EXPECT_EQ(ev.index, i);
      EXPECT_EQ(ev.offset, offset);
      ASSERT_EQ(ev.digests.size(), banks.size());
      size_t size = 12 + ev.data.size() + 4;
      for (size_t d = 0; d < banks.size(); ++d) {
        EXPECT_EQ(ev.digests[d].alg, banks[d]);
        EXPECT_EQ(ev.digests[d].digest.size(), DigestSize(banks[d]));
        size += 2 + DigestSize(banks[d]);
      }
      offset += size;
    }
    EXPECT_EQ(offset, bytes.size());
    ExpectSameAsTpm2Eventlog(bytes);
  }
}

TEST(ParseEventLogTest, EventFieldsRoundTrip) {
  std::string digest(32, '\x5a');
  LogBuilder b({TPM2_ALG_SHA256});
  b.AddEvent(4, EV_EFI_ACTION, "Calling EFI Application from Boot Option")
      .AddEventWithDigests(4, EV_EFI_BOOT_SERVICES_APPLICATION, "image",
                           {{TPM2_ALG_SHA256, digest}})
      .AddEvent(23, EV_IPL, "");
  ParsedLog log = MustParse(b.Build());
  ASSERT_EQ(log.events.size(), 3u);
  EXPECT_EQ(log.events[0].pcr, 4u);
  EXPECT_EQ(log.events[0].type, EV_EFI_ACTION);
  EXPECT_EQ(log.events[0].data, "Calling EFI Application from Boot Option");
  EXPECT_EQ(*log.events[0].DigestFor(TPM2_ALG_SHA256),
            *Hash(TPM2_ALG_SHA256, log.events[0].data));
  EXPECT_EQ(log.events[0].DigestFor(TPM2_ALG_SHA1), nullptr);
  EXPECT_EQ(*log.events[1].DigestFor(TPM2_ALG_SHA256), digest);
  EXPECT_EQ(log.events[2].pcr, 23u);
  EXPECT_EQ(log.events[2].data, "");
  // The header record is 32 + 33 bytes for one bank without vendor info.
  EXPECT_EQ(log.events[0].offset, 65u);
}

TEST(ParseEventLogTest, VendorInfoIsSkipped) {
  LogBuilder b({TPM2_ALG_SHA256});
  b.SetVendorInfo(std::string(255, 'v')).AddEvent(0, EV_POST_CODE, "x");
  ParsedLog log = MustParse(b.Build());
  ASSERT_EQ(log.events.size(), 1u);
  EXPECT_EQ(log.events[0].data, "x");
}

TEST(ParseEventLogTest, LegacySha1Log) {
  LogBuilder b = LogBuilder::Sha1Legacy();
  b.AddEvent(0, EV_S_CRTM_VERSION, std::string(2, '\0'))
      .AddEvent(4, EV_EFI_ACTION, "hello")
      .AddEvent(7, EV_SEPARATOR, std::string(4, '\0'));
  std::string bytes = b.Build();
  ParsedLog log = MustParse(bytes);
  EXPECT_EQ(log.format, LogFormat::kSha1Legacy);
  EXPECT_EQ(log.banks, std::vector<TPMI_ALG_HASH>{TPM2_ALG_SHA1});
  ASSERT_EQ(log.events.size(), 3u);
  EXPECT_EQ(log.events[0].offset, 0u);
  EXPECT_EQ(log.events[1].offset, 34u);
  EXPECT_EQ(log.events[2].pcr, 7u);
  EXPECT_EQ(log.events[2].type, EV_SEPARATOR);
  ExpectSameAsTpm2Eventlog(bytes);
}

TEST(ParseEventLogTest, LegacyLogStartingWithOtherNoActionEvent) {
  // A TPM 1.2 style "Spec ID Event02" header is an ordinary EV_NO_ACTION
  // event of a legacy log.
  LogBuilder b = LogBuilder::Sha1Legacy();
  b.AddEvent(0, EV_NO_ACTION, std::string("Spec ID Event02\0\0\0\0\0", 20))
      .AddEvent(0, EV_POST_CODE, "post");
  ParsedLog log = MustParse(b.Build());
  EXPECT_EQ(log.format, LogFormat::kSha1Legacy);
  ASSERT_EQ(log.events.size(), 2u);
  EXPECT_EQ(log.events[0].type, EV_NO_ACTION);
}

TEST(ParseEventLogTest, StartupLocality) {
  for (uint8_t locality : {0, 3, 4}) {
    LogBuilder b({TPM2_ALG_SHA256});
    b.SetStartupLocality(locality).AddEvent(0, EV_S_CRTM_VERSION, "v");
    ParsedLog log = MustParse(b.Build());
    ASSERT_TRUE(log.startup_locality.has_value());
    EXPECT_EQ(*log.startup_locality, locality);
    ASSERT_EQ(log.events.size(), 2u);
    EXPECT_EQ(log.events[0].type, EV_NO_ACTION);
  }
  // Also in a legacy log.
  LogBuilder legacy = LogBuilder::Sha1Legacy();
  legacy.SetStartupLocality(3).AddEvent(0, EV_S_CRTM_VERSION, "v");
  EXPECT_EQ(MustParse(legacy.Build()).startup_locality, 3);
}

TEST(ParseEventLogTest, StartupLocalityAfterEventsInOtherPcrs) {
  LogBuilder b({TPM2_ALG_SHA256});
  b.AddEvent(1, EV_POST_CODE, "a")
      .SetStartupLocality(3)
      .AddEvent(0, EV_POST_CODE, "b");
  EXPECT_EQ(MustParse(b.Build()).startup_locality, 3);
}

TEST(ParseEventLogTest, HcrtmLog) {
  LogBuilder b({TPM2_ALG_SHA256, TPM2_ALG_SHA1});
  b.SetHcrtm("h-crtm measured code").AddEvent(0, EV_S_CRTM_VERSION, "v");
  std::string bytes = b.Build();
  ParsedLog log = MustParse(bytes);
  EXPECT_EQ(log.startup_locality, 4);
  ASSERT_EQ(log.events.size(), 3u);
  EXPECT_EQ(log.events[1].type, EV_EFI_HCRTM_EVENT);
  EXPECT_EQ(log.events[1].data, "HCRTM");
  ExpectSameAsTpm2Eventlog(bytes);
}

TEST(ParseEventLogTest, OtherNoActionEventsAreCarried) {
  LogBuilder b({TPM2_ALG_SHA256});
  b.AddEvent(0, EV_NO_ACTION, std::string("SP800-155 Event\0rest", 20))
      .AddEvent(0, EV_NO_ACTION, std::string("NvIndexInstance\0", 16));
  ParsedLog log = MustParse(b.Build());
  ASSERT_EQ(log.events.size(), 2u);
  EXPECT_FALSE(log.startup_locality.has_value());
}

TEST(ParseEventLogTest, UnknownAlgorithmWithSizeIsCarried) {
  LogBuilder b({TPM2_ALG_SHA256});
  b.AddUnknownBank(TPM2_ALG_SM3_256, 32).AddEvent(3, EV_POST_CODE, "x");
  ParsedLog log = MustParse(b.Build());
  EXPECT_EQ(log.banks,
            (std::vector<TPMI_ALG_HASH>{TPM2_ALG_SHA256, TPM2_ALG_SM3_256}));
  ASSERT_EQ(log.events.size(), 1u);
  ASSERT_NE(log.events[0].DigestFor(TPM2_ALG_SM3_256), nullptr);
  EXPECT_EQ(log.events[0].DigestFor(TPM2_ALG_SM3_256)->size(), 32u);
}

TEST(ParseEventLogTest, TrailingFillEndsTheLog) {
  for (bool legacy : {false, true}) {
    LogBuilder b = legacy ? LogBuilder::Sha1Legacy()
                          : LogBuilder({TPM2_ALG_SHA256, TPM2_ALG_SHA1});
    b.AddEvent(0, EV_S_CRTM_VERSION, "v").AddEvent(7, EV_SEPARATOR, "sep");
    std::string bytes = b.Build();
    size_t min_zero = legacy ? 32 : 12;
    for (size_t n :
         {size_t{1}, size_t{11}, size_t{12}, size_t{32}, size_t{4096}}) {
      SCOPED_TRACE(absl::StrCat("legacy=", legacy, " fill=", n));
      ParsedLog ff = MustParse(bytes + std::string(n, '\xff'));
      EXPECT_EQ(ff.events.size(), 2u);
      auto zeros = ParseEventLog(bytes + std::string(n, '\0'));
      if (n >= min_zero) {
        ASSERT_TRUE(zeros.ok()) << zeros.status();
        EXPECT_EQ(zeros->events.size(), 2u);
      } else {
        // Too short to be told from a truncated PCR 0 event.
        EXPECT_EQ(ReasonOf(zeros.status()),
                  vtpm_attest::v1::EVENTLOG_MALFORMED);
      }
    }
  }
}

TEST(ParseEventLogTest, LimitsAreInclusive) {
  LogBuilder b({TPM2_ALG_SHA256, TPM2_ALG_SHA1});
  for (int i = 0; i < 10; ++i) b.AddEvent(8, EV_IPL, std::string(100, 'a'));
  std::string bytes = b.Build();
  ParseLimits limits;
  limits.max_log_bytes = bytes.size();
  limits.max_events = 10;
  limits.max_event_data_bytes = 100;
  limits.max_banks = 2;
  EXPECT_EQ(MustParse(bytes, limits).events.size(), 10u);
}

}  // namespace
}  // namespace vtpm::eventlog
