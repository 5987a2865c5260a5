// Values a boot measures once, measured again (EVENTLOG_REPEATED_MEASUREMENT),
// every kernel command line kept (BootState.kernel_cmdlines), and events
// after ExitBootServices (EVENTLOG_AFTER_EXIT_BOOT_SERVICES): the real OVMF
// logs have none of them; the same logs with events appended the way root
// in the guest can (extend a PCR after boot and add its event) do.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/match.h"
#include "common/bootstate/boot_state.h"
#include "common/bootstate/guid.h"
#include "common/bootstate/tagged_event.h"
#include "common/bootstate/wbcl.h"
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
using testing::HasNote;
using testing::kDirect;
using testing::kShim;
using testing::kUki;
using testing::LoadLog;
using testing::Match;
using v1::EVENTLOG_AFTER_EXIT_BOOT_SERVICES;
using v1::EVENTLOG_REPEATED_MEASUREMENT;
using ::vtpm::testing::EditedLog;
using ::vtpm::testing::EditLog;
using ::vtpm::testing::EfiGlobalVariableEvent;
using ::vtpm::testing::GrubEvent;
using ::vtpm::testing::LogBuilder;
using ::vtpm::testing::NewEvent;
using ::vtpm::testing::NewEventHashing;
using ::vtpm::testing::PositionOf;
using ::vtpm::testing::UkiSectionEvents;

constexpr char kExitBootServices[] = "Exit Boot Services Invocation";

Extraction ExtractEdited(const EditedLog& edited,
                         const ExtractOptions& options = {}) {
  return testing::Extract(edited.parsed, Match(edited.parsed, edited.pcrs),
                          options);
}

// Appends `added` at the end of `log` (after ExitBootServices, as root
// extending PCRs after boot would), or, with `before_ebs`, just before the
// "Exit Boot Services Invocation" event (a reordered log: position across
// PCRs is not measured).
EditedLog Append(const ev::ParsedLog& log, std::vector<ev::Event> added,
                 bool before_ebs = false) {
  return EditLog(log, [&](std::vector<ev::Event>& events) {
    size_t at = events.size();
    if (before_ebs) {
      at = ::vtpm::testing::FindEvent(events, 5, ev::EV_EFI_ACTION,
                                      kExitBootServices);
    }
    events.insert(events.begin() + at, added.begin(), added.end());
  });
}

// --- The real logs -----------------------------------------------------------

TEST(RepeatedTest, RealLogsMeasureEachValueOnceAndNothingAfterEbs) {
  for (const char* name : {kDirect, kUki, kShim}) {
    SCOPED_TRACE(name);
    ExtractOptions allow;
    allow.allowed_quirks = {"qemu-direct-kernel-boot"};
    Extraction x = testing::ExtractFixture(name, allow);
    EXPECT_TRUE(x.findings.empty()) << FindingsText(x);
    ev::ParsedLog log = LoadLog(name);
    // The "Invocation" is the second-to-last event, "Returned with
    // Success" the last.
    EXPECT_EQ(x.state.exit_boot_services_index(),
              static_cast<int32_t>(log.events.size() - 2));
  }
  // One command line per source: GRUB's text in the shim boot; the UKI's
  // .cmdline digest (the EFI stub's load options, measured only as a
  // digest, are a PCR 9 file measurement of another source).
  Extraction shim = testing::ExtractFixture(kShim);
  ASSERT_EQ(shim.state.kernel_cmdlines_size(), 1);
  EXPECT_EQ(shim.state.kernel_cmdlines(0).source(), "grub");
  Extraction uki = testing::ExtractFixture(kUki);
  ASSERT_EQ(uki.state.kernel_cmdlines_size(), 1);
  EXPECT_EQ(uki.state.kernel_cmdlines(0).source(), "uki-cmdline");
  EXPECT_EQ(uki.state.kernel_cmdlines(0).text(), "");
  EXPECT_EQ(uki.state.kernel_cmdline_sha256(),
            uki.state.kernel_cmdlines(0).sha256());
}

TEST(RepeatedTest, LogWithoutExitBootServicesHasNoIndex) {
  LogBuilder b;
  b.AddEvent(4, ev::EV_EFI_ACTION, "Calling EFI Application from Boot Option");
  ExtractOptions allow;
  allow.allowed_quirks = {"log-before-exit-boot-services"};
  Extraction x = testing::ExtractBytes(b.Build(), allow);
  EXPECT_TRUE(x.findings.empty()) << FindingsText(x);
  EXPECT_EQ(x.state.exit_boot_services_index(), -1);
}

// --- The GRUB kernel command line -------------------------------------------

TEST(RepeatedTest, AppendedGrubCommandLineIsRepeatedAndAfterEbs) {
  ev::ParsedLog log = LoadLog(kShim);
  const std::string allowed = "/vmlinuz console=ttyS0 panic=-1 quiet";
  Extraction x =
      ExtractEdited(Append(log, {GrubEvent(log, "kernel_cmdline: ", allowed)}));
  ASSERT_EQ(x.findings.size(), 2u) << FindingsText(x);
  EXPECT_EQ(x.findings[0].code, EVENTLOG_REPEATED_MEASUREMENT);
  EXPECT_EQ(x.findings[0].event_index, 45u);
  // Both events are named.
  EXPECT_TRUE(absl::StrContains(
      x.findings[0].message,
      "event 45 (PCR 8, EV_IPL): the GRUB kernel command line is measured "
      "again (first by event 39 (PCR 8, EV_IPL))"))
      << x.findings[0].message;
  EXPECT_EQ(x.findings[1].code, EVENTLOG_AFTER_EXIT_BOOT_SERVICES);
  EXPECT_TRUE(absl::StrContains(x.findings[1].message,
                                "event 45 (PCR 8, EV_IPL): logged after "
                                "ExitBootServices (event 43 (PCR 5"))
      << x.findings[1].message;
  // Every instance is kept; the singular field is the first.
  ASSERT_EQ(x.state.kernel_cmdlines_size(), 2);
  EXPECT_EQ(x.state.kernel_cmdlines(1).text(), allowed);
  EXPECT_EQ(x.state.kernel_cmdline(), "/vmlinuz console=ttyS0 panic=-1");
  EXPECT_TRUE(HasNote(x.state, "every one is judged"));

  // The same event moved before ExitBootServices: only the repeat.
  Extraction moved = ExtractEdited(Append(
      log, {GrubEvent(log, "kernel_cmdline: ", allowed)}, /*before_ebs=*/true));
  ASSERT_EQ(moved.findings.size(), 1u) << FindingsText(moved);
  EXPECT_EQ(moved.findings[0].code, EVENTLOG_REPEATED_MEASUREMENT);

  // PCR 8 allowed for the OS: only the repeat.
  ExtractOptions os8;
  os8.os_extended_pcrs = {8};
  Extraction allowed_pcr = ExtractEdited(
      Append(log, {GrubEvent(log, "kernel_cmdline: ", allowed)}), os8);
  ASSERT_EQ(allowed_pcr.findings.size(), 1u) << FindingsText(allowed_pcr);
  EXPECT_EQ(allowed_pcr.findings[0].code, EVENTLOG_REPEATED_MEASUREMENT);
}

// GRUB in PCR 8 and the Linux EFI stub's load options in PCR 9 measure the
// same command line: two sources, no repeat.
TEST(RepeatedTest, GrubAndEfiStubAreTwoSources) {
  const std::string cmdline = "/vmlinuz console=ttyS0";
  std::string utf16 = testing::Utf16(cmdline) + std::string(2, '\0');
  LogBuilder b;
  b.AddEventWithDigests(
      8, ev::EV_IPL, "grub_cmd: linux " + cmdline + '\0',
      {{TPM2_ALG_SHA256, *Hash(TPM2_ALG_SHA256, "linux " + cmdline)}});
  b.AddEventWithDigests(8, ev::EV_IPL, "kernel_cmdline: " + cmdline + '\0',
                        {{TPM2_ALG_SHA256, *Hash(TPM2_ALG_SHA256, cmdline)}});
  b.AddEventWithDigests(9, ev::EV_EVENT_TAG,
                        testing::TaggedEvent(kLinuxLoadOptionsTag, utf16),
                        {{TPM2_ALG_SHA256, *Hash(TPM2_ALG_SHA256, utf16)}});
  b.AddEvent(5, ev::EV_EFI_ACTION, kExitBootServices);
  Extraction x = testing::ExtractBytes(b.Build());
  EXPECT_TRUE(x.findings.empty()) << FindingsText(x);
  ASSERT_EQ(x.state.kernel_cmdlines_size(), 2);
  EXPECT_EQ(x.state.kernel_cmdlines(0).source(), "grub");
  EXPECT_EQ(x.state.kernel_cmdlines(1).source(), "efi-load-options");
  EXPECT_EQ(x.state.kernel_cmdlines(1).text(), "/vmlinuz console=ttyS0");
  EXPECT_EQ(x.state.kernel_cmdlines(1).pcr(), 9u);

  // The EFI stub's load options measured twice are a repeat (here the
  // second only as a digest).
  LogBuilder twice;
  twice.AddEventWithDigests(9, ev::EV_EVENT_TAG,
                            testing::TaggedEvent(kLinuxLoadOptionsTag, utf16),
                            {{TPM2_ALG_SHA256, *Hash(TPM2_ALG_SHA256, utf16)}});
  twice.AddEventWithDigests(
      9, ev::EV_EVENT_TAG,
      testing::TaggedEvent(kLinuxLoadOptionsTag,
                           testing::Utf16("LOADED_IMAGE::LoadOptions")),
      {{TPM2_ALG_SHA256, std::string(32, 'o')}});
  twice.AddEvent(5, ev::EV_EFI_ACTION, kExitBootServices);
  Extraction y = testing::ExtractBytes(twice.Build());
  ASSERT_EQ(y.findings.size(), 1u) << FindingsText(y);
  EXPECT_EQ(y.findings[0].code, EVENTLOG_REPEATED_MEASUREMENT);
  EXPECT_EQ(y.findings[0].event_index, 1u);
}

// The command lines of PCRs 9 and 12 are found by what their digests
// cover: the EFI stub's load-options tag retyped to EV_IPL, systemd-stub's
// EV_IPL retyped to EV_COMPACT_HASH, are still command lines, judged and
// counted.
TEST(RepeatedTest, RetypedPcr9And12CommandLinesAreStillCommandLines) {
  std::string options = testing::Utf16("console=ttyS0") + std::string(2, '\0');
  std::string stub = testing::Utf16("root=/dev/vda2") + std::string(2, '\0');
  LogBuilder b;
  b.AddEvent(9, ev::EV_IPL, options);         // was the load-options tag
  b.AddEvent(12, ev::EV_COMPACT_HASH, stub);  // was systemd-stub's EV_IPL
  b.AddEventWithDigests(9, ev::EV_EVENT_TAG,
                        testing::TaggedEvent(kLinuxLoadOptionsTag, options),
                        {{TPM2_ALG_SHA256, *Hash(TPM2_ALG_SHA256, options)}});
  b.AddEvent(5, ev::EV_EFI_ACTION, kExitBootServices);
  Extraction x = testing::ExtractBytes(b.Build());
  ASSERT_EQ(x.state.kernel_cmdlines_size(), 3) << FindingsText(x);
  EXPECT_EQ(x.state.kernel_cmdlines(0).source(), "efi-load-options");
  EXPECT_EQ(x.state.kernel_cmdlines(0).text(), "console=ttyS0");
  EXPECT_EQ(x.state.kernel_cmdlines(1).source(), "systemd-stub");
  EXPECT_EQ(x.state.kernel_cmdlines(1).text(), "root=/dev/vda2");
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(x.state.events(i).digest_basis(), v1::DIGEST_BASIS_RECOMPUTED);
  }
  // The tag after the retyped one is the EFI stub measuring again.
  ASSERT_EQ(x.findings.size(), 1u) << FindingsText(x);
  EXPECT_EQ(x.findings[0].code, EVENTLOG_REPEATED_MEASUREMENT);
  EXPECT_EQ(x.findings[0].event_index, 2u);
}

// systemd-stub's UTF-16 command line (PCR 12) twice.
TEST(RepeatedTest, SystemdStubCommandLineTwice) {
  LogBuilder b;
  for (const char* cmdline : {"root=/dev/vda2", "root=/dev/vda2 quiet"}) {
    std::string utf16 = testing::Utf16(cmdline) + std::string(2, '\0');
    b.AddEvent(12, ev::EV_IPL, utf16);
  }
  b.AddEvent(5, ev::EV_EFI_ACTION, kExitBootServices);
  Extraction x = testing::ExtractBytes(b.Build());
  ASSERT_EQ(x.findings.size(), 1u) << FindingsText(x);
  EXPECT_EQ(x.findings[0].code, EVENTLOG_REPEATED_MEASUREMENT);
  EXPECT_TRUE(absl::StrContains(x.findings[0].message,
                                "systemd-stub's kernel command line"));
  ASSERT_EQ(x.state.kernel_cmdlines_size(), 2);
  EXPECT_EQ(x.state.kernel_cmdlines(1).source(), "systemd-stub");
}

// --- UKI sections
// -------------------------------------------------------------

TEST(RepeatedTest, AppendedUkiCommandLineIsRepeated) {
  ev::ParsedLog log = LoadLog(kUki);
  const std::string allowed = "console=ttyS0 panic=-1 quiet";
  Extraction x =
      ExtractEdited(Append(log, UkiSectionEvents(log, ".cmdline", allowed)));
  EXPECT_EQ(CountFindings(x, EVENTLOG_REPEATED_MEASUREMENT,
                          "event 36 (PCR 11, EV_IPL): the UKI section .cmdline "
                          "is measured again (first by event 27 (PCR 11"),
            1)
      << FindingsText(x);
  EXPECT_EQ(CountFindings(x, EVENTLOG_AFTER_EXIT_BOOT_SERVICES), 2)
      << FindingsText(x);
  ASSERT_EQ(x.state.kernel_cmdlines_size(), 2);
  EXPECT_EQ(x.state.kernel_cmdlines(1).sha256(), testing::Sha256Hex(allowed));
  // The first stays the singular field.
  EXPECT_EQ(x.state.kernel_cmdline_sha256(),
            "3ea0407a8cdc71d6162918df7accac1babc7f2a9914eabf1b6583cf14eacb314");
}

TEST(RepeatedTest, AppendedUkiKernelIsRepeated) {
  ev::ParsedLog log = LoadLog(kUki);
  Extraction x = ExtractEdited(
      Append(log, UkiSectionEvents(log, ".linux", "another kernel"), true));
  ASSERT_EQ(x.findings.size(), 1u) << FindingsText(x);
  EXPECT_EQ(x.findings[0].code, EVENTLOG_REPEATED_MEASUREMENT);
  EXPECT_TRUE(absl::StrContains(x.findings[0].message, "UKI section .linux"));
}

// --- Files
// --------------------------------------------------------------------

TEST(RepeatedTest, SecondKernelFileIsRepeated) {
  ev::ParsedLog log = LoadLog(kShim);
  Extraction x = ExtractEdited(Append(
      log, {NewEventHashing(log, 9, ev::EV_IPL, "/vmlinuz", "k2")}, true));
  ASSERT_EQ(x.findings.size(), 1u) << FindingsText(x);
  EXPECT_EQ(x.findings[0].code, EVENTLOG_REPEATED_MEASUREMENT);
  EXPECT_TRUE(absl::StrContains(x.findings[0].message,
                                "a kernel file in PCR 9 is measured again "
                                "(first by event 36 (PCR 9, EV_IPL))"))
      << x.findings[0].message;
}

// --- Secure Boot variables -------------------------------------------------

TEST(RepeatedTest, AppendedSecureBootOnAfterARealOff) {
  ev::ParsedLog log = LoadLog(kUki);  // SecureBoot = 00
  Extraction x = ExtractEdited(Append(
      log, {EfiGlobalVariableEvent(log, ev::EV_EFI_VARIABLE_DRIVER_CONFIG,
                                   "SecureBoot", "\1")}));
  ASSERT_EQ(x.findings.size(), 2u) << FindingsText(x);
  EXPECT_EQ(x.findings[0].code, EVENTLOG_REPEATED_MEASUREMENT);
  EXPECT_TRUE(
      absl::StrContains(x.findings[0].message, "first by event 3 (PCR 7"));
  EXPECT_EQ(x.findings[1].code, EVENTLOG_AFTER_EXIT_BOOT_SERVICES);
  EXPECT_FALSE(x.state.secure_boot());
  // Either order: on only if every instance says so.
  ev::ParsedLog shim = LoadLog(kShim);  // SecureBoot = 01
  Extraction y = ExtractEdited(
      Append(shim,
             {EfiGlobalVariableEvent(shim, ev::EV_EFI_VARIABLE_DRIVER_CONFIG,
                                     "SecureBoot", std::string(1, '\0'))},
             true));
  EXPECT_EQ(CountFindings(y, EVENTLOG_REPEATED_MEASUREMENT), 1)
      << FindingsText(y);
  EXPECT_FALSE(y.state.secure_boot());
}

// shim's authority (db: the Microsoft UEFI CA) retyped as a
// configuration variable: a second "db".
TEST(RepeatedTest, RetypedAuthorityIsASecondDb) {
  ev::ParsedLog log = LoadLog(kShim);
  EditedLog edited = EditLog(log, [](std::vector<ev::Event>& events) {
    events[PositionOf(events, 21)].type = ev::EV_EFI_VARIABLE_DRIVER_CONFIG;
  });
  Extraction x = ExtractEdited(edited);
  ASSERT_EQ(x.findings.size(), 1u) << FindingsText(x);
  EXPECT_EQ(x.findings[0].code, EVENTLOG_REPEATED_MEASUREMENT);
  EXPECT_TRUE(
      absl::StrContains(x.findings[0].message, "the Secure Boot variable db"));
  EXPECT_EQ(x.state.db_size(), 2);  // the first db
}

// --- Firmware
// -------------------------------------------------------------------

TEST(RepeatedTest, SecondCrtmVersionIsRepeated) {
  LogBuilder b;
  b.AddEvent(0, ev::EV_S_CRTM_VERSION,
             testing::Utf16("1.0") + std::string(2, '\0'));
  b.AddEvent(0, ev::EV_S_CRTM_VERSION,
             testing::Utf16("9.9") + std::string(2, '\0'));
  b.AddEvent(5, ev::EV_EFI_ACTION, kExitBootServices);
  Extraction x = testing::ExtractBytes(b.Build());
  ASSERT_EQ(x.findings.size(), 1u) << FindingsText(x);
  EXPECT_EQ(x.findings[0].code, EVENTLOG_REPEATED_MEASUREMENT);
  EXPECT_EQ(x.findings[0].event_index, 1u);
  EXPECT_EQ(x.state.firmware_version(), "1.0");
}

TEST(RepeatedTest, BootOrderMeasuredTwiceKeepsTheFirst) {
  LogBuilder b;
  auto var = [](absl::string_view name, absl::string_view data) {
    return testing::Guid(kEfiGlobalVariableGuid) + testing::U64(name.size()) +
           testing::U64(data.size()) + testing::Utf16(name) + std::string(data);
  };
  b.AddEvent(1, ev::EV_EFI_VARIABLE_BOOT, var("BootOrder", testing::U16(1)));
  b.AddEvent(1, ev::EV_EFI_VARIABLE_BOOT, var("BootOrder", testing::U16(2)));
  b.AddEvent(5, ev::EV_EFI_ACTION, kExitBootServices);
  Extraction x = testing::ExtractBytes(b.Build());
  EXPECT_TRUE(x.findings.empty()) << FindingsText(x);
  EXPECT_TRUE(HasNote(x.state, "BootOrder measured again"));
}

// --- After ExitBootServices -----------------------------------------------

TEST(RepeatedTest, OnlyTheReturnActionsFollowExitBootServices) {
  LogBuilder b;
  b.AddEvent(5, ev::EV_EFI_ACTION, kExitBootServices);
  b.AddEvent(5, ev::EV_EFI_ACTION, "Exit Boot Services Returned with Failure");
  b.AddEvent(5, ev::EV_EFI_ACTION, "Exit Boot Services Returned with Success");
  b.AddEvent(5, ev::EV_EFI_ACTION, "Exit Boot Services Returned with Success2");
  b.AddEvent(4, ev::EV_EFI_ACTION, "Calling EFI Application from Boot Option");
  b.AddEvent(14, ev::EV_IPL, "MokList");
  Extraction x = testing::ExtractBytes(b.Build());
  ASSERT_EQ(x.findings.size(), 3u) << FindingsText(x);
  for (const Finding& f : x.findings) {
    EXPECT_EQ(f.code, EVENTLOG_AFTER_EXIT_BOOT_SERVICES);
  }
  EXPECT_EQ(x.findings[0].event_index, 3u);
  EXPECT_EQ(x.findings[1].event_index, 4u);
  EXPECT_EQ(x.findings[2].event_index, 5u);
  EXPECT_TRUE(absl::StrContains(x.findings[2].message,
                                "PCR 14 is not in the policy's "
                                "boot.osExtendedPcrs"));
  ExtractOptions os;
  os.os_extended_pcrs = {4, 5, 14};
  EXPECT_TRUE(testing::ExtractBytes(b.Build(), os).findings.empty());
}

// --- Windows: a later "off" does not hide an earlier "on" ------------------

TEST(RepeatedTest, WindowsWeakeningFlagsAreOredOverEvents) {
  auto container = [](uint32_t type, absl::string_view value) {
    return EncodeSipaEvent(kSipaTrustBoundary, EncodeSipaEvent(type, value));
  };
  LogBuilder b;
  b.AddEvent(12, ev::EV_EVENT_TAG, container(kSipaTestSigning, "\1"));
  b.AddEvent(12, ev::EV_EVENT_TAG,
             container(kSipaTestSigning, std::string(1, '\0')));
  b.AddEvent(12, ev::EV_EVENT_TAG, container(kSipaBootDebugging, "\1"));
  b.AddEvent(13, ev::EV_EVENT_TAG,
             container(kSipaBootDebugging, std::string(1, '\0')));
  b.AddEvent(12, ev::EV_SEPARATOR, "WBCL");
  b.AddEvent(5, ev::EV_EFI_ACTION, kExitBootServices);
  Extraction x = testing::ExtractBytes(b.Build());
  EXPECT_TRUE(x.findings.empty()) << FindingsText(x);
  EXPECT_TRUE(x.state.windows().test_signing());
  EXPECT_TRUE(x.state.windows().boot_debugging());
  EXPECT_TRUE(x.state.windows().debugging());
  for (const auto& e : x.state.events()) {
    EXPECT_EQ(e.digest_basis(), v1::DIGEST_BASIS_RECOMPUTED) << e.index();
  }
}

}  // namespace
}  // namespace vtpm::bootstate
