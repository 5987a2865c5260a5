// EventSummary.digest_basis: which verified events ExtractBootState
// recomputed from data it understands (RECOMPUTED) and which only an
// allowlist can account for (OPAQUE), on the real OVMF logs and on logs
// whose unmeasured event types, labels and names were changed.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "common/bootstate/boot_state.h"
#include "common/bootstate/guid.h"
#include "common/tpm_alg.h"
#include "tests/bootstate/efi_builders.h"
#include "tests/bootstate/test_logs.h"
#include "tests/eventlog/log_builder.h"
#include "tests/eventlog/log_edit.h"

namespace vtpm::bootstate {
namespace {

namespace ev = ::vtpm::eventlog;
namespace v1 = ::vtpm_attest::v1;
using testing::CountFindings;
using testing::FindingsText;
using testing::FixturePcrs;
using testing::HasNote;
using testing::kDirect;
using testing::kShim;
using testing::kUki;
using testing::LoadLog;
using testing::Match;
using ::vtpm::testing::EditedLog;
using ::vtpm::testing::EditLog;
using ::vtpm::testing::GrubEvent;
using ::vtpm::testing::LogBuilder;
using ::vtpm::testing::NewEvent;
using ::vtpm::testing::NewEventHashing;
using ::vtpm::testing::PositionOf;

std::map<uint32_t, v1::DigestBasis> Bases(const v1::BootState& st) {
  std::map<uint32_t, v1::DigestBasis> out;
  for (const auto& e : st.events()) out[e.index()] = e.digest_basis();
  return out;
}

const v1::EventSummary* EventAt(const v1::BootState& st, uint32_t index) {
  for (const auto& e : st.events()) {
    if (e.index() == index) return &e;
  }
  return nullptr;
}

// True when every PCR `edited` replays to has the value the guest read.
bool ReplaysToFixture(const EditedLog& edited, const std::string& name) {
  PcrValues want = FixturePcrs(name);
  for (const auto& [bank, values] : edited.pcrs) {
    for (const auto& [pcr, value] : values) {
      if (want[bank][pcr] != value) return false;
    }
  }
  return !edited.pcrs.empty();
}

// Extracts an edited log with every PCR it touches verified (its replay
// stands in for the quote, as the attacker's TPM would hold it).
Extraction ExtractEdited(const EditedLog& edited,
                         const ExtractOptions& options = {}) {
  return testing::Extract(edited.parsed, Match(edited.parsed, edited.pcrs),
                          options);
}

// The real logs: exactly the events whose digest covers code or data
// that is not in the log are opaque.
TEST(DigestBasisTest, RealLogsOpaqueEventsAreExactlyTheUnreadableOnes) {
  struct Case {
    const char* fixture;
    std::set<uint32_t> opaque;
  };
  const Case cases[] = {
      // firmware blobs 1-2, the kernel (PCR 4), PCR 9 load options and
      // initrd tags.
      {kDirect, {1, 2, 9, 20, 21}},
      // + the UKI's PCR 11 section data events and systemd-stub's kernel.
      {kUki, {1, 2, 21, 23, 25, 27, 29, 30, 31, 32}},
      // + shim, grub, the kernel twice (PCR 4), MOK lists (PCR 14), GRUB's
      // files (PCR 9).
      {kShim, {1, 2, 22, 23, 24, 26, 28, 33, 36, 37, 38, 41}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.fixture);
    ExtractOptions allow;
    allow.allowed_quirks = {"qemu-direct-kernel-boot"};
    Extraction x = testing::ExtractFixture(c.fixture, allow);
    EXPECT_TRUE(x.findings.empty()) << FindingsText(x);
    ASSERT_FALSE(x.state.events().empty());
    for (const auto& [index, basis] : Bases(x.state)) {
      EXPECT_EQ(basis, c.opaque.count(index) ? v1::DIGEST_BASIS_OPAQUE
                                             : v1::DIGEST_BASIS_RECOMPUTED)
          << "event " << index << ": "
          << EventAt(x.state, index)->description();
    }
  }
}

// A boot application retyped to another type PCR 4 allows: its digest is
// not recomputed, so it is opaque and no longer a boot application.
TEST(DigestBasisTest, RetypedBootApplicationIsOpaque) {
  ev::ParsedLog log = LoadLog(kShim);
  for (uint32_t type :
       {ev::EV_COMPACT_HASH, ev::EV_IPL, ev::EV_OMIT_BOOT_DEVICE_EVENTS}) {
    SCOPED_TRACE(ev::EventTypeName(type));
    EditedLog edited = EditLog(log, [&](std::vector<ev::Event>& events) {
      events[PositionOf(events, 28)].type = type;  // grub
    });
    ASSERT_TRUE(ReplaysToFixture(edited, kShim));  // replay unchanged
    Extraction x = ExtractEdited(edited);
    EXPECT_TRUE(x.findings.empty()) << FindingsText(x);
    EXPECT_EQ(x.state.boot_applications_size(), 3);
    EXPECT_EQ(EventAt(x.state, 28)->digest_basis(), v1::DIGEST_BASIS_OPAQUE);
  }
}

// EFI actions are understood only when they are the spec's fixed
// strings for their PCR; any other text that hashes to its digest is of
// unknown meaning.
TEST(DigestBasisTest, OnlyKnownActionStringsAreRecomputed) {
  LogBuilder b;
  b.AddEvent(4, ev::EV_EFI_ACTION, "Calling EFI Application from Boot Option");
  b.AddEvent(4, ev::EV_EFI_ACTION, "Something else");
  b.AddEvent(4, ev::EV_ACTION, "Calling INT 19h");
  // A PCR 5 string in PCR 4.
  b.AddEvent(4, ev::EV_EFI_ACTION, "Exit Boot Services Invocation");
  b.AddEvent(7, ev::EV_EFI_ACTION, "UEFI Debug Mode");
  b.AddEvent(5, ev::EV_EFI_ACTION, "Exit Boot Services Invocation");
  Extraction x = testing::ExtractBytes(b.Build());
  EXPECT_TRUE(x.findings.empty()) << FindingsText(x);
  auto bases = Bases(x.state);
  EXPECT_EQ(bases[0], v1::DIGEST_BASIS_RECOMPUTED);
  EXPECT_EQ(bases[1], v1::DIGEST_BASIS_OPAQUE);
  EXPECT_EQ(bases[2], v1::DIGEST_BASIS_RECOMPUTED);
  EXPECT_EQ(bases[3], v1::DIGEST_BASIS_OPAQUE);
  EXPECT_EQ(bases[4], v1::DIGEST_BASIS_RECOMPUTED);
  EXPECT_EQ(bases[5], v1::DIGEST_BASIS_RECOMPUTED);
}

// Separators are understood only with a valid value; a variable only
// when it parses; an authority only when its signature decodes.
TEST(DigestBasisTest, StructuresMustDecodeToBeRecomputed) {
  LogBuilder b;
  b.AddEvent(0, ev::EV_SEPARATOR, std::string(4, '\0'));
  b.AddEvent(1, ev::EV_SEPARATOR, std::string("\x02\0\0\0", 4));
  b.AddEvent(7, ev::EV_EFI_VARIABLE_DRIVER_CONFIG, "not a variable");
  // A db signature list logged as an authority: it is a variable, but its
  // data is no EFI_SIGNATURE_DATA.
  std::string db_as_authority = testing::Guid(kImageSecurityDatabaseGuid) +
                                testing::U64(2) + testing::U64(20) +
                                testing::Utf16("db") + std::string(20, 'x');
  b.AddEvent(7, ev::EV_EFI_VARIABLE_AUTHORITY, db_as_authority);
  b.AddEvent(5, ev::EV_EFI_ACTION, "Exit Boot Services Invocation");
  Extraction x = testing::ExtractBytes(b.Build());
  auto bases = Bases(x.state);
  EXPECT_EQ(bases[0], v1::DIGEST_BASIS_RECOMPUTED);
  EXPECT_EQ(bases[1], v1::DIGEST_BASIS_OPAQUE);
  EXPECT_EQ(bases[2], v1::DIGEST_BASIS_OPAQUE);
  EXPECT_EQ(bases[3], v1::DIGEST_BASIS_OPAQUE);
}

// A vacuous digest match (no bank whose hash is supported) recomputes
// nothing.
TEST(DigestBasisTest, NoSupportedBankIsOpaque) {
  LogBuilder b(std::vector<TPMI_ALG_HASH>{});
  b.AddUnknownBank(0x0012, 32);  // TPM2_ALG_SM3_256, not supported here
  b.AddEvent(5, ev::EV_EFI_ACTION, "Exit Boot Services Invocation");
  auto log = ev::ParseEventLog(b.Build());
  ASSERT_TRUE(log.ok()) << log.status();
  ev::ReplayMatch match;  // only the unknown bank "verified"
  match.verified.insert({0x0012, 5});
  Extraction x = testing::Extract(*log, match);
  ASSERT_EQ(x.state.events_size(), 1);
  EXPECT_EQ(x.state.events(0).digest_basis(), v1::DIGEST_BASIS_OPAQUE);
}

// --- PCR 8: classified by the text the digest covers -----------------------

// GRUB's kernel_cmdline retyped to EV_ACTION with data = the text after
// the prefix (so H(data) still matches), or relabelled with another GRUB
// prefix: still the kernel command line, judged as one.
TEST(DigestBasisTest, KernelCmdlineIsFoundByContentWhateverItsLabel) {
  ev::ParsedLog log = LoadLog(kShim);
  const std::string cmdline = "/vmlinuz console=ttyS0 panic=-1";
  struct Case {
    const char* name;
    uint32_t type;
    std::string data;
  };
  const Case cases[] = {
      {"EV_ACTION without prefix", ev::EV_ACTION, cmdline},
      {"EV_COMPACT_HASH with NUL", ev::EV_COMPACT_HASH,
       cmdline + std::string(1, '\0')},
      {"grub_cmd prefix", ev::EV_IPL, "grub_cmd: " + cmdline + '\0'},
      {"module_cmdline prefix", ev::EV_IPL,
       "module_cmdline: " + cmdline + '\0'},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EditedLog edited = EditLog(log, [&](std::vector<ev::Event>& events) {
      ev::Event& e = events[PositionOf(events, 39)];
      e.type = c.type;
      e.data = c.data;
    });
    ASSERT_TRUE(ReplaysToFixture(edited, kShim));  // replay unchanged
    Extraction x = ExtractEdited(edited);
    EXPECT_EQ(CountFindings(x, v1::EVENTLOG_DIGEST_MISMATCH), 0)
        << FindingsText(x);
    ASSERT_EQ(x.state.kernel_cmdlines_size(), 1);
    EXPECT_EQ(x.state.kernel_cmdlines(0).text(), cmdline);
    EXPECT_EQ(x.state.kernel_cmdlines(0).event_index(), 39u);
    EXPECT_EQ(x.state.kernel_cmdlines(0).source(), "grub");
    EXPECT_EQ(x.state.kernel_cmdline(), cmdline);
    EXPECT_EQ(EventAt(x.state, 39)->digest_basis(),
              v1::DIGEST_BASIS_RECOMPUTED);
    EXPECT_TRUE(HasNote(x.state, "is judged as a command line"));
  }
}

// "BOOT_IMAGE=" makes a text a kernel command line whatever else it is.
TEST(DigestBasisTest, BootImageTextIsACommandLine) {
  LogBuilder b;
  b.AddEvent(8, ev::EV_ACTION, "BOOT_IMAGE=/vmlinuz-6.1 root=/dev/vda1 ro");
  b.AddEvent(5, ev::EV_EFI_ACTION, "Exit Boot Services Invocation");
  Extraction x = testing::ExtractBytes(b.Build());
  ASSERT_EQ(x.state.kernel_cmdlines_size(), 1) << FindingsText(x);
  EXPECT_EQ(x.state.kernel_cmdlines(0).text(),
            "BOOT_IMAGE=/vmlinuz-6.1 root=/dev/vda1 ro");
  EXPECT_EQ(x.state.events(0).digest_basis(), v1::DIGEST_BASIS_RECOMPUTED);
}

// A PCR 8 event whose digest is not a hash of its data is a file
// measurement, opaque, for the kernel and file rules to account for; a
// PCR 8 text without a GRUB prefix that is no command line is opaque.
TEST(DigestBasisTest, UnreadablePcr8EventsAreOpaqueFiles) {
  ev::ParsedLog log = LoadLog(kShim);
  EditedLog edited = EditLog(log, [&](std::vector<ev::Event>& events) {
    // The kernel command line renamed so that nothing hashes to it.
    events[PositionOf(events, 39)].data = "xx: something";
    // "grub_cmd: set timeout=0" retyped and stripped of its prefix.
    ev::Event& e = events[PositionOf(events, 34)];
    e.type = ev::EV_ACTION;
    e.data = "set timeout=0";
  });
  ASSERT_TRUE(ReplaysToFixture(edited, kShim));  // replay unchanged
  Extraction x = ExtractEdited(edited);
  EXPECT_TRUE(x.findings.empty()) << FindingsText(x);
  EXPECT_EQ(x.state.kernel_cmdlines_size(), 0);
  EXPECT_EQ(EventAt(x.state, 39)->digest_basis(), v1::DIGEST_BASIS_OPAQUE);
  EXPECT_EQ(EventAt(x.state, 34)->digest_basis(), v1::DIGEST_BASIS_OPAQUE);
  bool listed = false;
  for (const auto& f : x.state.kernel_and_initrd()) {
    if (f.event_index() == 39 && f.pcr() == 8) listed = true;
  }
  EXPECT_TRUE(listed);
}

// --- PCR 11: a UKI section's data is the event after its name event --------

TEST(DigestBasisTest, RetypedUkiDataEventIsStillItsSection) {
  ev::ParsedLog log = LoadLog(kUki);
  EditedLog edited = EditLog(log, [&](std::vector<ev::Event>& events) {
    ev::Event& e = events[PositionOf(events, 23)];  // the .linux data event
    e.type = ev::EV_EVENT_TAG;
  });
  ASSERT_TRUE(ReplaysToFixture(edited, kUki));  // replay unchanged
  Extraction x = ExtractEdited(edited);
  EXPECT_EQ(CountFindings(x, v1::EVENTLOG_DIGEST_MISMATCH,
                          "event 23 (PCR 11, EV_EVENT_TAG): UKI section data "
                          "event \"\" (EV_EVENT_TAG) follows the name event "
                          "of section \".linux\""),
            1)
      << FindingsText(x);
  ASSERT_GE(x.state.uki_sections_size(), 1);
  EXPECT_EQ(x.state.uki_sections(0).name(), ".linux");
  EXPECT_EQ(x.state.uki_sections(0).event_index(), 23u);
  EXPECT_EQ(x.state.uki_sections(0).digests().at("sha256"),
            "26f2e57c99338feaf71c46fa4babdc7e1a6c115943002d109fdb746667104f5f");
}

// The last section's data retyped away and an allowed pair appended: the
// retyped event is still the section's data, and the appended name event
// arrives where a data event is due.
TEST(DigestBasisTest, HiddenUkiSectionFollowedByAnAppendedPair) {
  ev::ParsedLog log = LoadLog(kUki);
  EditedLog edited = EditLog(log, [&](std::vector<ev::Event>& events) {
    events[PositionOf(events, 29)].type = ev::EV_EVENT_TAG;  // .initrd data
    auto pair = ::vtpm::testing::UkiSectionEvents(log, ".initrd", "good");
    size_t at = PositionOf(events, 30);
    events.insert(events.begin() + at, pair.begin(), pair.end());
  });
  Extraction x = ExtractEdited(edited);
  EXPECT_EQ(CountFindings(x, v1::EVENTLOG_DIGEST_MISMATCH,
                          "follows the name event of section \".initrd\""),
            1)
      << FindingsText(x);
  // The real .initrd is the section; the appended pair measures .initrd
  // a second time.
  EXPECT_EQ(CountFindings(x, v1::EVENTLOG_REPEATED_MEASUREMENT,
                          "the UKI section .initrd is measured again (first "
                          "by event 29 (PCR 11, EV_EVENT_TAG))"),
            1)
      << FindingsText(x);
  ASSERT_EQ(x.state.uki_sections_size(), 5);
  EXPECT_EQ(x.state.uki_sections(3).event_index(), 29u);
  EXPECT_EQ(x.state.uki_sections(3).digests().at("sha256"),
            "c2bcd12cf4fe20f15474b4e79b8feeb184149db71a2653ebf46918f8ccacd7b8");
}

}  // namespace
}  // namespace vtpm::bootstate
