// ExtractBootState on the real OVMF logs of tests/data/eventlogs, matched
// against the PCR values read in the guest, and on logs rebuilt from them
// with changed events (same digests, so they still replay) or built from
// the specified layouts.
#include "common/bootstate/boot_state.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/bootstate/guid.h"
#include "common/eventlog/replay.h"
#include "common/hex.h"
#include "common/tpm_alg.h"
#include "tests/bootstate/efi_builders.h"
#include "tests/bootstate/test_logs.h"
#include "tests/eventlog/log_builder.h"
#include "tests/harness/process.h"

namespace vtpm::bootstate {
namespace {

namespace ev = ::vtpm::eventlog;
using ::vtpm::testing::LogBuilder;
using ::vtpm_attest::v1::BootState;
using ::vtpm_attest::v1::EVENTLOG_DIGEST_MISMATCH;
using ::vtpm_attest::v1::EVENTLOG_UNEXPECTED_EVENT;
using ::vtpm_attest::v1::POLICY_QUIRK;
using ::vtpm_attest::v1::ReasonCode;

using testing::CountFindings;
using testing::Extract;
using testing::ExtractFixture;
using testing::FindingsText;
using testing::FixturePcrs;
using testing::HasNote;
using testing::kDirect;
using testing::kShim;
using testing::kUki;
using testing::LoadLog;
using testing::Match;
using testing::MatchOwnReplay;
using testing::Sha256Hex;

bool AnySubject(const google::protobuf::RepeatedPtrField<
                    vtpm_attest::v1::SignatureEntry>& entries,
                absl::string_view text) {
  return std::any_of(entries.begin(), entries.end(), [&](const auto& e) {
    return absl::StrContains(e.subject(), text);
  });
}

// The log rebuilt event by event with the same digests, after `mutate` may
// change an event's type or data (keeping its digests), and parsed again.
ev::ParsedLog Rebuild(
    const ev::ParsedLog& log, const std::function<void(ev::Event&)>& mutate,
    const std::function<bool(const ev::Event&)>& keep = [](const ev::Event&) {
      return true;
    }) {
  LogBuilder b(log.banks);
  for (ev::Event e : log.events) {
    if (!keep(e)) continue;
    mutate(e);
    std::map<TPMI_ALG_HASH, std::string> digests;
    for (const auto& d : e.digests) digests[d.alg] = d.digest;
    b.AddEventWithDigests(e.pcr, e.type, e.data, digests);
  }
  auto parsed = ev::ParseEventLog(b.Build());
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *std::move(parsed) : ev::ParsedLog();
}

void ExpectPcrsEqualFixture(const BootState& st, const std::string& name,
                            const ev::ParsedLog& log) {
  PcrValues fixture = FixturePcrs(name);
  std::set<uint32_t> touched;
  for (const auto& e : log.events) {
    if (e.type != ev::EV_NO_ACTION) touched.insert(e.pcr);
  }
  ASSERT_EQ(st.pcrs().count("sha256"), 1u);
  const auto& values = st.pcrs().at("sha256").values();
  EXPECT_EQ(values.size(), touched.size());
  for (uint32_t pcr : touched) {
    auto it = values.find(std::to_string(pcr));
    ASSERT_NE(it, values.end()) << "PCR " << pcr;
    EXPECT_EQ(it->second, HexEncode(fixture[TPM2_ALG_SHA256][pcr]))
        << "PCR " << pcr;
  }
}

// --- The real logs ---------------------------------------------------------

TEST(BootStateTest, ShimGrubSecureBoot) {
  ev::ParsedLog log = LoadLog(kShim);
  Extraction x = Extract(log, Match(log, FixturePcrs(kShim)));
  const BootState& st = x.state;
  EXPECT_TRUE(x.findings.empty()) << FindingsText(x);
  EXPECT_EQ(st.log_format(), "crypto-agile");
  ASSERT_EQ(st.banks_size(), 1);
  EXPECT_EQ(st.banks(0), vtpm_attest::v1::HASH_ALGORITHM_SHA256);
  EXPECT_TRUE(st.secure_boot_known());
  EXPECT_TRUE(st.secure_boot());
  EXPECT_EQ(st.firmware_blobs_size(), 2);

  // Secure Boot databases: OVMF_VARS_4M.ms.fd.
  EXPECT_TRUE(AnySubject(st.pk(), "Debian UEFI Secure Boot (PK/KEK key)"));
  EXPECT_TRUE(AnySubject(st.kek(), "CN=Microsoft Corporation KEK CA 2011"));
  EXPECT_EQ(st.db_size(), 2);
  EXPECT_TRUE(AnySubject(st.db(), "CN=Microsoft Corporation UEFI CA 2011"));
  EXPECT_TRUE(AnySubject(st.db(), "CN=Microsoft Windows Production PCA 2011"));
  for (const auto& e : st.db()) {
    EXPECT_EQ(e.type(), vtpm_attest::v1::SignatureEntry::TYPE_X509);
    EXPECT_EQ(e.owner(), "77fa9abd-0359-4d32-bd60-28f4e78f784b");  // Microsoft
    EXPECT_EQ(e.sha256().size(), 64u);
  }
  ASSERT_GE(st.dbx_size(), 1);
  EXPECT_EQ(st.dbx(0).type(), vtpm_attest::v1::SignatureEntry::TYPE_SHA256);

  // Authorities: the Microsoft UEFI CA verified shim (firmware, "db"),
  // shim's vendor certificate (Debian) verified grub and the kernel.
  ASSERT_EQ(st.authorities_size(), 2);
  EXPECT_TRUE(absl::StrContains(st.authorities(0).subject(),
                                "CN=Microsoft Corporation UEFI CA 2011"));
  EXPECT_EQ(st.authorities(1).subject(), "CN=Debian Secure Boot CA");
  EXPECT_EQ(st.authorities(1).owner(), kShimLockGuid);
  // The authority is the same certificate as the db entry.
  bool in_db = std::any_of(st.db().begin(), st.db().end(), [&](const auto& e) {
    return e.sha256() == st.authorities(0).sha256();
  });
  EXPECT_TRUE(in_db);

  // shim -> grub -> kernel (loaded twice: shim's verification and grub's
  // LoadImage, both without a device path).
  ASSERT_EQ(st.boot_applications_size(), 4);
  EXPECT_EQ(st.boot_applications(0).device_path(),
            "PciRoot(0x0)/Pci(0x3,0x0)/\\EFI\\BOOT\\BOOTX64.EFI");
  EXPECT_EQ(st.boot_applications(1).device_path(), "\\EFI\\BOOT\\grubx64.efi");
  EXPECT_EQ(st.boot_applications(2).device_path(), "");
  EXPECT_EQ(st.boot_applications(2).digests().at("sha256"),
            st.boot_applications(3).digests().at("sha256"));
  for (const auto& app : st.boot_applications()) EXPECT_EQ(app.pcr(), 4u);

  // GRUB.
  ASSERT_EQ(st.grub_commands_size(), 8);
  EXPECT_EQ(st.grub_commands(4), "set timeout=0");
  EXPECT_EQ(st.grub_commands(5), "linux /vmlinuz console=ttyS0 panic=-1");
  EXPECT_EQ(st.grub_commands(7), "boot");
  EXPECT_EQ(st.kernel_cmdline(), "/vmlinuz console=ttyS0 panic=-1");
  ASSERT_EQ(st.kernel_and_initrd_size(), 3);
  EXPECT_EQ(st.kernel_and_initrd(0).name(), "(hd0)/EFI/debian/grub.cfg");
  EXPECT_EQ(st.kernel_and_initrd(1).name(), "/vmlinuz");
  EXPECT_EQ(st.kernel_and_initrd(2).name(), "/initrd.img");
  EXPECT_EQ(st.kernel_and_initrd(2).pcr(), 9u);

  // Boot variables in BootOrder (0001, 0000, 0002).
  ASSERT_EQ(st.boot_order_size(), 3);
  EXPECT_TRUE(absl::StartsWith(st.boot_order(0),
                               "Boot0001: UEFI Non-Block Boot Device"));
  EXPECT_TRUE(absl::StartsWith(st.boot_order(1), "Boot0000: UiApp"));

  // shim's PCR 14 measurements and SBAT level.
  EXPECT_TRUE(HasNote(st, "shim measured MokList into PCR 14"));
  EXPECT_TRUE(HasNote(st, "shim measured MokListX into PCR 14"));
  EXPECT_TRUE(HasNote(st, "shim SbatLevel: sbat,1,"));
  EXPECT_TRUE(st.quirks_used().empty());
  ExpectPcrsEqualFixture(st, kShim, log);
  // Every event is in a verified PCR.
  EXPECT_EQ(st.events_size(), static_cast<int>(log.events.size()));
}

TEST(BootStateTest, UkiWithoutSecureBoot) {
  ev::ParsedLog log = LoadLog(kUki);
  Extraction x = Extract(log, Match(log, FixturePcrs(kUki)));
  const BootState& st = x.state;
  EXPECT_TRUE(x.findings.empty()) << FindingsText(x);
  EXPECT_TRUE(st.secure_boot_known());
  EXPECT_FALSE(st.secure_boot());
  EXPECT_EQ(st.db_size(), 0);
  EXPECT_EQ(st.authorities_size(), 0);

  std::vector<std::string> names;
  for (const auto& s : st.uki_sections()) names.push_back(s.name());
  EXPECT_EQ(names, (std::vector<std::string>{".linux", ".osrel", ".cmdline",
                                             ".initrd"}));
  // The log carries the UKI's command line only as the digest of its
  // .cmdline section; it is the one the image was built with, and the
  // kernel's EFI stub measured the same line as its load options (UTF-16,
  // NUL included) in PCR 9.
  const std::string cmdline = "console=ttyS0 panic=-1";
  EXPECT_EQ(st.uki_sections(2).digests().at("sha256"), Sha256Hex(cmdline));
  EXPECT_TRUE(st.kernel_cmdline().empty());
  EXPECT_TRUE(HasNote(st, "UKI's .cmdline section"));
  std::string utf16 = testing::Utf16(cmdline) + std::string(2, '\0');
  ASSERT_EQ(st.kernel_and_initrd_size(), 2);
  EXPECT_EQ(st.kernel_and_initrd(0).name(), "LOADED_IMAGE::LoadOptions");
  EXPECT_EQ(st.kernel_and_initrd(0).digests().at("sha256"), Sha256Hex(utf16));
  // The initrd the kernel loaded is the UKI's .initrd section.
  EXPECT_EQ(st.kernel_and_initrd(1).name(), "Linux initrd");
  EXPECT_EQ(st.kernel_and_initrd(1).digests().at("sha256"),
            st.uki_sections(3).digests().at("sha256"));

  ASSERT_EQ(st.boot_applications_size(), 2);
  EXPECT_EQ(st.boot_applications(0).device_path(),
            "PciRoot(0x0)/Pci(0x3,0x0)/\\EFI\\BOOT\\BOOTX64.EFI");
  // systemd-stub loads the .linux section from memory.
  EXPECT_EQ(st.boot_applications(1).device_path(),
            "VenMedia(55c5d1f8-04cd-46b5-8a20-e56cbb3052d0)");
  ExpectPcrsEqualFixture(st, kUki, log);
}

TEST(BootStateTest, DirectKernelBootNeedsItsQuirk) {
  Extraction strict = ExtractFixture(kDirect);
  ASSERT_EQ(strict.findings.size(), 1u) << FindingsText(strict);
  const Finding& f = strict.findings[0];
  EXPECT_EQ(f.code, POLICY_QUIRK);
  EXPECT_TRUE(absl::StrContains(f.message, "qemu-direct-kernel-boot"));
  EXPECT_TRUE(absl::StrContains(f.message, "event 9 (PCR 4"));
  EXPECT_EQ(f.event_index, 9u);
  EXPECT_TRUE(strict.state.quirks_used().empty());

  ExtractOptions allow;
  allow.allowed_quirks = {"qemu-direct-kernel-boot"};
  Extraction allowed = ExtractFixture(kDirect, allow);
  EXPECT_TRUE(allowed.findings.empty()) << FindingsText(allowed);
  ASSERT_EQ(allowed.state.quirks_used_size(), 1);
  EXPECT_EQ(allowed.state.quirks_used(0), "qemu-direct-kernel-boot");
  ASSERT_EQ(allowed.state.boot_applications_size(), 1);
  EXPECT_EQ(allowed.state.boot_applications(0).device_path(),
            "VenMedia(1428f772-b64a-441e-b8c3-9ebdd7f893c7)/kernel");
  EXPECT_FALSE(allowed.state.secure_boot());

  // Allowing other quirks does not help.
  ExtractOptions other;
  other.allowed_quirks = {"empty-log", "shim-secureboot-off-by-one"};
  EXPECT_EQ(CountFindings(ExtractFixture(kDirect, other), POLICY_QUIRK,
                          "qemu-direct-kernel-boot"),
            1);
}

TEST(BootStateTest, OnlyVerifiedPcrsAreUsed) {
  ev::ParsedLog log = LoadLog(kShim);
  // A quote over PCRs 0-7 only: GRUB's PCRs 8 and 9 and shim's 14 are not
  // verified.
  Extraction x =
      Extract(log, Match(log, FixturePcrs(kShim, {0, 1, 2, 3, 4, 5, 6, 7})));
  const BootState& st = x.state;
  EXPECT_TRUE(x.findings.empty()) << FindingsText(x);
  EXPECT_TRUE(st.secure_boot());
  EXPECT_EQ(st.boot_applications_size(), 4);
  EXPECT_EQ(st.grub_commands_size(), 0);
  EXPECT_TRUE(st.kernel_cmdline().empty());
  EXPECT_EQ(st.kernel_and_initrd_size(), 0);
  EXPECT_FALSE(HasNote(st, "MokList into PCR 14"));
  EXPECT_TRUE(HasNote(st, "events in PCRs 8,9,14 are not verified"));
  EXPECT_EQ(st.pcrs().at("sha256").values().size(), 8u);
  EXPECT_EQ(st.pcrs().at("sha256").values().count("8"), 0u);
  for (const auto& e : st.events()) EXPECT_LE(e.pcr(), 7u);

  // Nothing verified: nothing extracted.
  Extraction none = Extract(log, ev::ReplayMatch());
  EXPECT_FALSE(none.state.secure_boot_known());
  EXPECT_EQ(none.state.events_size(), 0);
  EXPECT_TRUE(none.state.pcrs().empty());
}

// --- Digest recomputation ---------------------------------------------------

TEST(BootStateTest, ChangedEventDataWithOriginalDigestIsCaught) {
  ev::ParsedLog log = LoadLog(kShim);
  // SecureBoot 01 -> 00, a GRUB command and a db certificate byte; the
  // digests stay, so the log still replays to the guest's PCRs.
  ev::ParsedLog forged = Rebuild(log, [](ev::Event& e) {
    if (e.index == 3) e.data.back() = '\0';
    if (e.index == 34) e.data = std::string("grub_cmd: set timeout=9\0", 24);
    if (e.index == 6) e.data[200] ^= 1;
  });
  Extraction x = Extract(forged, Match(forged, FixturePcrs(kShim)));
  EXPECT_EQ(x.findings.size(), 3u) << FindingsText(x);
  EXPECT_EQ(CountFindings(x, EVENTLOG_DIGEST_MISMATCH,
                          "event 3 (PCR 7, EV_EFI_VARIABLE_DRIVER_CONFIG)"),
            1);
  EXPECT_EQ(CountFindings(x, EVENTLOG_DIGEST_MISMATCH, "event 6 (PCR 7"), 1);
  EXPECT_EQ(
      CountFindings(x, EVENTLOG_DIGEST_MISMATCH, "event 34 (PCR 8, EV_IPL)"),
      1);
  // The changed data is not used.
  EXPECT_FALSE(x.state.secure_boot_known());
  EXPECT_EQ(x.state.db_size(), 0);
  EXPECT_EQ(std::count(x.state.grub_commands().begin(),
                       x.state.grub_commands().end(), "set timeout=9"),
            0);
  EXPECT_EQ(x.state.grub_commands_size(), 7);
}

// GRUB's digests do not cover its "grub_cmd: " / "kernel_cmdline: "
// prefixes; a command relabelled as the kernel command line must not
// become the command line.
TEST(BootStateTest, RelabelledGrubCommandIsNotTheKernelCommandLine) {
  ev::ParsedLog log = LoadLog(kShim);
  ev::ReplayMatch match = Match(log, FixturePcrs(kShim));
  auto relabel = [&](uint32_t index) {
    ev::ParsedLog changed = log;
    std::string& data = changed.events[index].data;
    EXPECT_TRUE(absl::StartsWith(data, "grub_cmd: "));
    data = "kernel_cmdline: " + data.substr(10);
    return Extract(changed, match);
  };
  // "grub_cmd: boot" (event 42) as "kernel_cmdline: boot".
  Extraction boot = relabel(42);
  ASSERT_EQ(boot.findings.size(), 1u) << FindingsText(boot);
  EXPECT_EQ(boot.findings[0].code, EVENTLOG_UNEXPECTED_EVENT);
  EXPECT_EQ(boot.findings[0].event_index, 42u);
  EXPECT_EQ(boot.state.kernel_cmdline(), "/vmlinuz console=ttyS0 panic=-1");
  // "grub_cmd: linux /vmlinuz ..." (event 35) relabelled: it is flagged,
  // and the real kernel_cmdline (event 39), classified by its content (it
  // starts with the kernel the linux command named), is still the command
  // line.
  Extraction no_linux = relabel(35);
  EXPECT_EQ(
      CountFindings(no_linux, EVENTLOG_UNEXPECTED_EVENT, "event 35 (PCR 8"), 1)
      << FindingsText(no_linux);
  EXPECT_EQ(no_linux.findings.size(), 1u) << FindingsText(no_linux);
  EXPECT_EQ(no_linux.state.kernel_cmdline(), "/vmlinuz console=ttyS0 panic=-1");
  ASSERT_EQ(no_linux.state.kernel_cmdlines_size(), 1);
  EXPECT_EQ(no_linux.state.kernel_cmdlines(0).event_index(), 39u);
}

TEST(BootStateTest, ChangedEventTypeIsCaught) {
  ev::ParsedLog log = LoadLog(kShim);
  ev::ReplayMatch match = Match(log, FixturePcrs(kShim));
  // A boot application (Authenticode digest) passed off as an EFI action,
  // and a boot variable (H(VariableData)) as a driver-config variable
  // (H(whole data)): replay is unchanged, the digest rule is not.
  ev::ParsedLog changed = log;
  changed.events[22].type = ev::EV_EFI_ACTION;
  changed.events[9].type = ev::EV_EFI_VARIABLE_DRIVER_CONFIG;
  Extraction x = Extract(changed, match);
  EXPECT_EQ(CountFindings(x, EVENTLOG_DIGEST_MISMATCH,
                          "event 22 (PCR 4, EV_EFI_ACTION)"),
            1)
      << FindingsText(x);
  EXPECT_EQ(CountFindings(x, EVENTLOG_DIGEST_MISMATCH,
                          "event 9 (PCR 1, EV_EFI_VARIABLE_DRIVER_CONFIG)"),
            1)
      << FindingsText(x);
  EXPECT_EQ(x.findings.size(), 2u) << FindingsText(x);
  EXPECT_EQ(x.state.boot_applications_size(), 3);
}

TEST(BootStateTest, ChangedUkiSectionNameIsCaught) {
  ev::ParsedLog log = LoadLog(kUki);
  // Event 28 is the name event of ".initrd"; rename it (and its data
  // event, 29) to ".splash".
  std::string splash = testing::Utf16(".splash") + std::string(2, '\0');
  ev::ParsedLog renamed = Rebuild(log, [&](ev::Event& e) {
    if (e.index == 28 || e.index == 29) e.data = splash;
  });
  Extraction x = Extract(renamed, Match(renamed, FixturePcrs(kUki)));
  EXPECT_EQ(CountFindings(x, EVENTLOG_DIGEST_MISMATCH,
                          "event 28 (PCR 11, EV_IPL): UKI section name event"),
            1)
      << FindingsText(x);
  for (const auto& s : x.state.uki_sections()) EXPECT_NE(s.name(), ".splash");

  // Only the data event renamed: it no longer follows its name event.
  ev::ParsedLog data_renamed = Rebuild(log, [&](ev::Event& e) {
    if (e.index == 29) e.data = splash;
  });
  Extraction y = Extract(data_renamed, Match(data_renamed, FixturePcrs(kUki)));
  EXPECT_EQ(CountFindings(y, EVENTLOG_DIGEST_MISMATCH,
                          "follows the name event of section \".initrd\""),
            1)
      << FindingsText(y);
}

TEST(BootStateTest, DigestCheckedInEveryBank) {
  LogBuilder b({TPM2_ALG_SHA1, TPM2_ALG_SHA256});
  b.AddEvent(4, ev::EV_EFI_ACTION, "Calling EFI Application from Boot Option");
  // Right sha256, wrong sha1.
  b.AddEventWithDigests(4, ev::EV_SEPARATOR, std::string(4, '\0'),
                        {{TPM2_ALG_SHA1, std::string(20, 'x')}});
  auto log = ev::ParseEventLog(b.Build());
  ASSERT_TRUE(log.ok()) << log.status();
  Extraction x = Extract(*log, MatchOwnReplay(*log));
  ASSERT_EQ(x.findings.size(), 1u) << FindingsText(x);
  EXPECT_EQ(x.findings[0].code, EVENTLOG_DIGEST_MISMATCH);
  EXPECT_TRUE(absl::StrContains(x.findings[0].message, "sha1 digest 7878"))
      << x.findings[0].message;
  // Both banks are reported for events and PCRs.
  EXPECT_EQ(x.state.events(0).digests().size(), 2u);
  EXPECT_EQ(x.state.pcrs().count("sha1"), 1u);
  EXPECT_EQ(x.state.pcrs().count("sha256"), 1u);
}

// --- Event types and separators ---------------------------------------------

TEST(BootStateTest, UnexpectedEventTypeIsAFinding) {
  ev::ParsedLog log = LoadLog(kShim);
  ev::ReplayMatch match = Match(log, FixturePcrs(kShim));
  // The PCR 4 "Calling EFI Application" action turned into a POST code
  // (no digest rule, so only the type table catches it).
  ev::ParsedLog changed = log;
  changed.events[13].type = ev::EV_POST_CODE;
  Extraction x = Extract(changed, match);
  ASSERT_EQ(x.findings.size(), 1u) << FindingsText(x);
  EXPECT_EQ(x.findings[0].code, EVENTLOG_UNEXPECTED_EVENT);
  EXPECT_EQ(x.findings[0].event_index, 13u);
  EXPECT_TRUE(absl::StrContains(x.findings[0].message,
                                "EV_POST_CODE does not belong in PCR 4"));

  ExtractOptions extra;
  extra.extra_event_types = {"EV_POST_CODE"};
  EXPECT_TRUE(Extract(changed, match, extra).findings.empty());
}

TEST(BootStateTest, SeparatorValues) {
  LogBuilder b;
  b.AddEvent(0, ev::EV_SEPARATOR, std::string(4, '\0'));
  b.AddEvent(1, ev::EV_SEPARATOR, std::string("\x01\0\0\0", 4));
  b.AddEvent(2, ev::EV_SEPARATOR, "\xff\xff\xff\xff");
  b.AddEvent(3, ev::EV_SEPARATOR, std::string("\x02\0\0\0", 4));
  b.AddEvent(12, ev::EV_SEPARATOR, "WBCL");
  b.AddEvent(5, ev::EV_SEPARATOR, "WBCL");
  b.AddEvent(5, ev::EV_EFI_ACTION, "Exit Boot Services Invocation");
  auto log = ev::ParseEventLog(b.Build());
  ASSERT_TRUE(log.ok()) << log.status();
  Extraction x = Extract(*log, MatchOwnReplay(*log));
  EXPECT_EQ(x.findings.size(), 2u) << FindingsText(x);
  EXPECT_EQ(CountFindings(x, EVENTLOG_UNEXPECTED_EVENT,
                          "event 3 (PCR 3, EV_SEPARATOR): separator value "
                          "02000000"),
            1);
  EXPECT_EQ(CountFindings(x, EVENTLOG_UNEXPECTED_EVENT, "event 5 (PCR 5"), 1);
  EXPECT_TRUE(HasNote(x.state, "event 1 (PCR 1, EV_SEPARATOR): error"));
  EXPECT_TRUE(HasNote(x.state, "event 2 (PCR 2, EV_SEPARATOR): error"));
}

}  // namespace
}  // namespace vtpm::bootstate
