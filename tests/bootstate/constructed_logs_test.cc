// ExtractBootState on logs built from the specified layouts: structures
// the OVMF fixtures do not have (GPT, Windows SIPA events, systemd-stub's
// PCR 12 command line) and malformed EFI structures, which must end as
// notes or findings, never as a crash or an error.
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

namespace vtpm::bootstate {
namespace {

namespace ev = ::vtpm::eventlog;
using testing::CountFindings;
using testing::ExtractBytes;
using testing::FindingsText;
using testing::Guid;
using testing::HasNote;
using testing::Sha256Hex;
using testing::U64;
using testing::Utf16;
using ::vtpm::testing::LogBuilder;
using ::vtpm_attest::v1::EVENTLOG_DIGEST_MISMATCH;
using ::vtpm_attest::v1::EVENTLOG_REPEATED_MEASUREMENT;
using ::vtpm_attest::v1::EVENTLOG_UNEXPECTED_EVENT;

constexpr char kExitBootServices[] = "Exit Boot Services Invocation";

std::string Var(absl::string_view guid, absl::string_view name,
                absl::string_view data) {
  std::string out =
      Guid(guid) + U64(name.size()) + U64(data.size()) + Utf16(name);
  out.append(data.data(), data.size());
  return out;
}

std::string Nul16() { return std::string(2, '\0'); }

TEST(ConstructedLogTest, MalformedEfiStructuresBecomeNotes) {
  LogBuilder b;
  // Digests are H(data) (LogBuilder::AddEvent), so the digest rules hold
  // and only the structures are wrong.
  std::string secure_boot = Var(kEfiGlobalVariableGuid, "SecureBoot", "\1");
  b.AddEvent(7, ev::EV_EFI_VARIABLE_DRIVER_CONFIG,
             secure_boot.substr(0, secure_boot.size() - 2));
  b.AddEvent(7, ev::EV_EFI_VARIABLE_DRIVER_CONFIG,
             Var(kImageSecurityDatabaseGuid, "db",
                 testing::SignatureList(kCertSha256Guid, {Guid(kShimLockGuid) +
                                                          std::string(32, 'a')})
                     .substr(0, 50)));
  b.AddEvent(7, ev::EV_EFI_VARIABLE_DRIVER_CONFIG,
             Var(kImageSecurityDatabaseGuid, "dbx",
                 testing::SignatureList(kCertX509Guid,
                                        {Guid(kShimLockGuid) + "not DER"})));
  b.AddEvent(7, ev::EV_EFI_VARIABLE_AUTHORITY,
             Var(kImageSecurityDatabaseGuid, "db", "garbage authority"));
  b.AddEvent(1, ev::EV_EFI_VARIABLE_BOOT,
             Var(kEfiGlobalVariableGuid, "Boot0003", "\1\0\0\0\xff\xff"));
  b.AddEvent(1, ev::EV_EFI_VARIABLE_BOOT,
             Var(kEfiGlobalVariableGuid, "BootOrder", "\1\0\3"));
  b.AddEventWithDigests(4, ev::EV_EFI_BOOT_SERVICES_APPLICATION, "short",
                        {{TPM2_ALG_SHA256, std::string(32, 'a')}});
  b.AddEventWithDigests(
      4, ev::EV_EFI_BOOT_SERVICES_APPLICATION,
      testing::ImageLoad(1, 2,
                         testing::Node(4, 4, Utf16("\\x")) +
                             std::string("\x04\x04\xff\xff", 4)),
      {{TPM2_ALG_SHA256, std::string(32, 'b')}});
  b.AddEvent(5, ev::EV_EFI_GPT_EVENT, "EFI PART but far too short");
  b.AddEvent(0, ev::EV_EFI_PLATFORM_FIRMWARE_BLOB, "7 bytes");
  b.AddEvent(12, ev::EV_EVENT_TAG,
             testing::TaggedEvent(kSipaTrustBoundary, "\2\0\5\0\xff\0\0\0x"));
  b.AddEventWithDigests(9, ev::EV_EVENT_TAG, "\xed\x22", {});
  b.AddEvent(5, ev::EV_EFI_ACTION, kExitBootServices);
  Extraction x = ExtractBytes(b.Build());
  EXPECT_TRUE(x.findings.empty()) << FindingsText(x);
  const auto& st = x.state;
  EXPECT_FALSE(st.secure_boot_known());
  EXPECT_EQ(st.db_size(), 0);
  EXPECT_EQ(st.dbx_size(), 1);  // kept, without a subject
  EXPECT_EQ(st.authorities_size(), 0);
  EXPECT_EQ(st.boot_applications_size(), 2);  // listed with their digests
  EXPECT_EQ(st.boot_applications(0).device_path(), "");
  EXPECT_TRUE(
      absl::StrContains(st.boot_applications(1).device_path(), "<malformed>"));
  EXPECT_EQ(st.gpt_size(), 0);
  EXPECT_EQ(st.firmware_blobs_size(), 0);
  EXPECT_TRUE(st.has_windows());  // the SIPA container was seen
  EXPECT_TRUE(HasNote(st,
                      "event 0 (PCR 7, EV_EFI_VARIABLE_DRIVER_CONFIG): "
                      "UEFI_VARIABLE_DATA"));
  EXPECT_TRUE(HasNote(st,
                      "event 1 (PCR 7, EV_EFI_VARIABLE_DRIVER_CONFIG): db: "
                      "EFI_SIGNATURE_LIST"));
  EXPECT_TRUE(HasNote(st, "dbx signature 0: X.509"));
  EXPECT_TRUE(HasNote(st, "authority db: authority of"));
  EXPECT_TRUE(HasNote(st, "Boot0003: EFI_LOAD_OPTION"));
  EXPECT_TRUE(HasNote(st, "BootOrder of odd length"));
  EXPECT_TRUE(HasNote(st,
                      "event 6 (PCR 4, EV_EFI_BOOT_SERVICES_APPLICATION): "
                      "UEFI_IMAGE_LOAD_EVENT"));
  EXPECT_TRUE(HasNote(st, "malformed device path"));
  EXPECT_TRUE(HasNote(st, "UEFI_GPT_DATA"));
  EXPECT_TRUE(HasNote(st, "UEFI_PLATFORM_FIRMWARE_BLOB"));
  EXPECT_TRUE(HasNote(st, "SIPA event at offset"));
  EXPECT_TRUE(HasNote(st, "TCG_PCClientTaggedEvent"));
  // Every event still has a one-line description.
  for (const auto& e : st.events()) EXPECT_FALSE(e.description().empty());
}

TEST(ConstructedLogTest, GptPartitions) {
  LogBuilder b;
  b.AddEvent(5, ev::EV_EFI_GPT_EVENT,
             testing::GptEvent("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                               {{"c12a7328-f81f-11d2-ba4b-00a0c93ec93b",
                                 "11111111-1111-1111-1111-111111111111", 2048,
                                 206847, "EFI System Partition"}}));
  b.AddEvent(5, ev::EV_EFI_ACTION, kExitBootServices);
  Extraction x = ExtractBytes(b.Build());
  EXPECT_TRUE(x.findings.empty()) << FindingsText(x);
  ASSERT_EQ(x.state.gpt_size(), 1);
  EXPECT_EQ(x.state.gpt(0).name(), "EFI System Partition");
  EXPECT_EQ(x.state.gpt(0).first_lba(), 2048u);
}

TEST(ConstructedLogTest, WindowsBootConfigurationLog) {
  std::string sipa = EncodeSipaEvent(
      kSipaTrustBoundary,
      EncodeSipaEvent(kSipaBootCounter, U64(17)) +
          EncodeSipaEvent(kSipaTestSigning, "\1") +
          EncodeSipaEvent(kSipaCodeIntegrity, "\1") +
          EncodeSipaEvent(kSipaBootDebugging, std::string(1, '\0')));
  // `forged` replaces the event data, keeping the honest digest.
  auto build = [&](const std::string& forged) {
    LogBuilder b;
    b.AddEventWithDigests(12, ev::EV_EVENT_TAG, forged.empty() ? sipa : forged,
                          {{TPM2_ALG_SHA256, *Hash(TPM2_ALG_SHA256, sipa)}});
    b.AddEvent(12, ev::EV_SEPARATOR, "WBCL");
    b.AddEvent(13, ev::EV_SEPARATOR, "WBCL");
    b.AddEvent(5, ev::EV_EFI_ACTION, kExitBootServices);
    return b.Build();
  };
  Extraction x = ExtractBytes(build(""));
  EXPECT_TRUE(x.findings.empty()) << FindingsText(x);
  ASSERT_TRUE(x.state.has_windows());
  EXPECT_EQ(x.state.windows().boot_counter(), 17u);
  EXPECT_TRUE(x.state.windows().test_signing());
  EXPECT_TRUE(x.state.windows().code_integrity_enabled());
  EXPECT_FALSE(x.state.windows().debugging());

  // Test signing reported off.
  std::string off = sipa;
  off[32] = '\0';  // the test-signing byte
  ASSERT_NE(off, sipa);
  Extraction forged = ExtractBytes(build(off));
  EXPECT_EQ(CountFindings(forged, EVENTLOG_DIGEST_MISMATCH,
                          "event 0 (PCR 12, EV_EVENT_TAG)"),
            1)
      << FindingsText(forged);
  EXPECT_FALSE(forged.state.has_windows());

  // The container relabelled as a systemd initrd add-on, to escape the
  // SIPA digest rule: the WBCL separators make every PCR 12 tag checked.
  std::string relabelled = sipa;
  relabelled.replace(0, 4, testing::U32(0x49dffe0f));
  Extraction hidden = ExtractBytes(build(relabelled));
  EXPECT_EQ(CountFindings(hidden, EVENTLOG_DIGEST_MISMATCH,
                          "event 0 (PCR 12, EV_EVENT_TAG)"),
            1)
      << FindingsText(hidden);
}

TEST(ConstructedLogTest, SystemdStubCommandLineInPcr12) {
  const std::string cmdline = "root=/dev/vda2 quiet";
  std::string utf16 = Utf16(cmdline) + Nul16();
  LogBuilder b;
  // systemd >= 253 hashes the UTF-16 text without its NUL.
  b.AddEventWithDigests(
      12, ev::EV_IPL, utf16,
      {{TPM2_ALG_SHA256, *Hash(TPM2_ALG_SHA256, Utf16(cmdline))}});
  // Credentials: the digest is of a cpio archive, the data its label.
  b.AddEventWithDigests(12, ev::EV_IPL, Utf16("Credentials initrd") + Nul16(),
                        {{TPM2_ALG_SHA256, std::string(32, 'c')}});
  b.AddEvent(5, ev::EV_EFI_ACTION, kExitBootServices);
  Extraction x = ExtractBytes(b.Build());
  EXPECT_TRUE(x.findings.empty()) << FindingsText(x);
  EXPECT_EQ(x.state.kernel_cmdline(), cmdline);
  ASSERT_EQ(x.state.kernel_and_initrd_size(), 1);
  EXPECT_EQ(x.state.kernel_and_initrd(0).name(), "Credentials initrd");
  EXPECT_EQ(x.state.kernel_and_initrd(0).pcr(), 12u);

  // A changed command line with the old digest is not taken as the
  // command line.
  LogBuilder c;
  c.AddEventWithDigests(
      12, ev::EV_IPL, Utf16("root=/dev/vda2 init=/bin/sh") + Nul16(),
      {{TPM2_ALG_SHA256, *Hash(TPM2_ALG_SHA256, Utf16(cmdline))}});
  c.AddEvent(5, ev::EV_EFI_ACTION, kExitBootServices);
  Extraction y = ExtractBytes(c.Build());
  EXPECT_TRUE(y.state.kernel_cmdline().empty());
}

TEST(ConstructedLogTest, LoadOptionsTagWithTheCommandLine) {
  const std::string cmdline = "console=ttyS0";
  std::string utf16 = Utf16(cmdline) + Nul16();
  LogBuilder b;
  b.AddEventWithDigests(9, ev::EV_EVENT_TAG,
                        testing::TaggedEvent(kLinuxLoadOptionsTag, utf16),
                        {{TPM2_ALG_SHA256, *Hash(TPM2_ALG_SHA256, utf16)}});
  b.AddEvent(5, ev::EV_EFI_ACTION, kExitBootServices);
  Extraction x = ExtractBytes(b.Build());
  EXPECT_TRUE(x.findings.empty()) << FindingsText(x);
  EXPECT_EQ(x.state.kernel_cmdline(), cmdline);
}

TEST(ConstructedLogTest, SecureBootVariableMeasuredTwice) {
  LogBuilder b;
  b.AddEvent(7, ev::EV_EFI_VARIABLE_DRIVER_CONFIG,
             Var(kEfiGlobalVariableGuid, "SecureBoot", "\1"));
  b.AddEvent(7, ev::EV_EFI_VARIABLE_DRIVER_CONFIG,
             Var(kEfiGlobalVariableGuid, "SecureBoot", std::string(1, '\0')));
  b.AddEvent(7, ev::EV_EFI_VARIABLE_DRIVER_CONFIG,
             Var(kEfiGlobalVariableGuid, "db", ""));  // wrong vendor GUID
  b.AddEvent(7, ev::EV_SEPARATOR, std::string(4, '\0'));
  b.AddEvent(7, ev::EV_EFI_VARIABLE_AUTHORITY,
             Var(kShimLockGuid, "MokSBState", "\1"));
  b.AddEvent(5, ev::EV_EFI_ACTION, kExitBootServices);
  Extraction x = ExtractBytes(b.Build());
  ASSERT_EQ(x.findings.size(), 1u) << FindingsText(x);
  EXPECT_EQ(x.findings[0].code, EVENTLOG_REPEATED_MEASUREMENT);
  EXPECT_EQ(x.findings[0].event_index, 1u);
  // The finding names both events.
  EXPECT_TRUE(absl::StrContains(
      x.findings[0].message,
      "event 1 (PCR 7, EV_EFI_VARIABLE_DRIVER_CONFIG): the Secure Boot "
      "variable SecureBoot"))
      << x.findings[0].message;
  EXPECT_TRUE(absl::StrContains(
      x.findings[0].message,
      "first by event 0 (PCR 7, EV_EFI_VARIABLE_DRIVER_CONFIG)"))
      << x.findings[0].message;
  // On only if every instance says so.
  EXPECT_FALSE(x.state.secure_boot());
  EXPECT_TRUE(x.state.secure_boot_known());
  EXPECT_EQ(x.state.db_size(), 0);
  EXPECT_TRUE(HasNote(
      x.state,
      "configuration variable " + std::string(kEfiGlobalVariableGuid) + ":db"));
  EXPECT_TRUE(HasNote(x.state, "MokSBState is set: shim does not verify"));
}

TEST(ConstructedLogTest, LegacySha1Log) {
  LogBuilder b = LogBuilder::Sha1Legacy();
  b.AddEvent(0, ev::EV_S_CRTM_VERSION, Utf16("1.2.3") + Nul16());
  b.AddEvent(5, ev::EV_EFI_ACTION, kExitBootServices);
  Extraction x = ExtractBytes(b.Build());
  EXPECT_TRUE(x.findings.empty()) << FindingsText(x);
  EXPECT_EQ(x.state.log_format(), "sha1-legacy");
  EXPECT_EQ(x.state.firmware_version(), "1.2.3");
  EXPECT_EQ(x.state.pcrs().count("sha1"), 1u);
}

TEST(ConstructedLogTest, HcrtmAndStartupLocality) {
  LogBuilder b;
  b.SetHcrtm("measured-by-hcrtm");
  b.AddEvent(0, ev::EV_S_CRTM_VERSION, std::string(2, '\0'));
  b.AddEvent(5, ev::EV_EFI_ACTION, kExitBootServices);
  Extraction x = ExtractBytes(b.Build());
  EXPECT_TRUE(x.findings.empty()) << FindingsText(x);
  EXPECT_TRUE(x.state.h_crtm());
  EXPECT_EQ(x.state.startup_locality(), 4u);

  LogBuilder l3;
  l3.SetStartupLocality(3);
  l3.AddEvent(0, ev::EV_S_CRTM_VERSION, std::string(2, '\0'));
  l3.AddEvent(5, ev::EV_EFI_ACTION, kExitBootServices);
  Extraction y = ExtractBytes(l3.Build());
  EXPECT_EQ(y.state.startup_locality(), 3u);
  EXPECT_FALSE(y.state.h_crtm());
}

}  // namespace
}  // namespace vtpm::bootstate
