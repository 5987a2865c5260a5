// Writes the constructed seeds of tests/fuzz/corpus/fuzz_boot_state: logs
// with the structures the OVMF logs lack (GPT, Windows SIPA events,
// systemd-stub command line, signature lists of several types, an
// off-by-one shim authority, boot variables, a legacy SHA-1 log, two
// banks) and what an attacker makes of a log (retyped and relabelled
// events, values measured twice, events after ExitBootServices), so that
// fuzzing starts deep in every decoder.
//   bootstate_make_seeds OUT_DIR
#include <cstdio>
#include <string>

#include "common/bootstate/guid.h"
#include "common/bootstate/tagged_event.h"
#include "common/bootstate/wbcl.h"
#include "common/eventlog/event_log.h"
#include "common/tpm_alg.h"
#include "tests/bootstate/efi_builders.h"
#include "tests/eventlog/log_builder.h"
#include "tests/harness/process.h"

namespace {

namespace ev = ::vtpm::eventlog;
namespace bs = ::vtpm::bootstate;
namespace t = ::vtpm::bootstate::testing;
using ::vtpm::testing::LogBuilder;

std::string Var(absl::string_view guid, absl::string_view name,
                absl::string_view data) {
  std::string out = t::Guid(guid) + t::U64(name.size()) + t::U64(data.size()) +
                    t::Utf16(name);
  out.append(data.data(), data.size());
  return out;
}

void Firmware(LogBuilder& b) {
  b.AddEvent(0, ev::EV_S_CRTM_VERSION, t::Utf16("1.0") + std::string(2, '\0'));
  b.AddEventWithDigests(0, ev::EV_EFI_PLATFORM_FIRMWARE_BLOB2,
                        "\x05"
                        "DXEFV" +
                            t::U64(0x900000) + t::U64(0xc00000),
                        {{TPM2_ALG_SHA256, std::string(32, 'f')}});
  std::string owner = t::Guid(bs::kShimLockGuid);
  b.AddEvent(7, ev::EV_EFI_VARIABLE_DRIVER_CONFIG,
             Var(bs::kEfiGlobalVariableGuid, "SecureBoot", "\1"));
  b.AddEvent(7, ev::EV_EFI_VARIABLE_DRIVER_CONFIG,
             Var(bs::kImageSecurityDatabaseGuid, "dbx",
                 t::SignatureList(bs::kCertSha256Guid,
                                  {owner + std::string(32, 'a'),
                                   owner + std::string(32, 'b')},
                                  "hdr") +
                     t::SignatureList(bs::kCertX509Guid,
                                      {owner + "\x30\x03\x02\x01\x01"}) +
                     t::SignatureList(bs::kCertSha1Guid,
                                      {owner + std::string(20, 'c')})));
  b.AddEvent(7, ev::EV_SEPARATOR, std::string(4, '\0'));
  b.AddEvent(
      1, ev::EV_EFI_VARIABLE_BOOT,
      Var(bs::kEfiGlobalVariableGuid, "BootOrder", std::string("\1\0\0\0", 4)));
  std::string path = t::Node(2, 1, t::U32(0x0a0341d0) + t::U32(0)) +
                     t::Node(1, 1, std::string("\0\3", 2)) +
                     t::Node(3, 11, std::string(32, 'm') + "\1") +
                     t::Node(3, 24, "http://x/y") +
                     t::Node(4, 1,
                             t::U32(1) + t::U64(2048) + t::U64(9) +
                                 t::Guid(bs::kShimLockGuid) + "\2\2") +
                     t::FilePath("\\EFI\\BOOT\\BOOTX64.EFI");
  b.AddEvent(1, ev::EV_EFI_VARIABLE_BOOT,
             Var(bs::kEfiGlobalVariableGuid, "Boot0001",
                 t::U32(1) + t::U16(static_cast<uint16_t>(path.size())) +
                     t::Utf16("disk") + std::string(2, '\0') + path));
  b.AddEventWithDigests(4, ev::EV_EFI_BOOT_SERVICES_APPLICATION,
                        t::ImageLoad(0x1000, 0x2000, path),
                        {{TPM2_ALG_SHA256, std::string(32, 'x')}});
  b.AddEvent(5, ev::EV_EFI_GPT_EVENT,
             t::GptEvent("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                         {{"c12a7328-f81f-11d2-ba4b-00a0c93ec93b",
                           "11111111-1111-1111-1111-111111111111", 2048, 4095,
                           "ESP"}}));
}

void Os(LogBuilder& b) {
  // GRUB hashes the command without its prefix and NUL.
  b.AddEventWithDigests(
      8, ev::EV_IPL, std::string("grub_cmd: linux /vmlinuz ro\0", 28),
      {{TPM2_ALG_SHA256, *vtpm::Hash(TPM2_ALG_SHA256, "linux /vmlinuz ro")},
       {TPM2_ALG_SHA1, *vtpm::Hash(TPM2_ALG_SHA1, "linux /vmlinuz ro")}});
  b.AddEvent(11, ev::EV_IPL, std::string(".linux\0", 7));
  b.AddEventWithDigests(11, ev::EV_IPL,
                        t::Utf16(".linux") + std::string(2, '\0'),
                        {{TPM2_ALG_SHA256, std::string(32, 'k')}});
  std::string cmdline = t::Utf16("console=ttyS0") + std::string(2, '\0');
  b.AddEvent(12, ev::EV_IPL, cmdline);
  b.AddEvent(9, ev::EV_EVENT_TAG,
             t::TaggedEvent(bs::kLinuxLoadOptionsTag, cmdline));
  std::string module = bs::EncodeSipaEvent(
      bs::kSipaLoadedModuleAggregation,
      bs::EncodeSipaEvent(bs::kSipaFilePath,
                          t::Utf16("\\winload.efi") + std::string(2, '\0')) +
          bs::EncodeSipaEvent(bs::kSipaAuthenticodeHash, std::string(32, 'h')));
  b.AddEvent(
      12, ev::EV_EVENT_TAG,
      bs::EncodeSipaEvent(
          bs::kSipaTrustBoundary,
          bs::EncodeSipaEvent(bs::kSipaBootCounter, t::U64(3)) +
              bs::EncodeSipaEvent(bs::kSipaTestSigning, "\1") +
              bs::EncodeSipaEvent(bs::kSipaCodeIntegrity, "\1") + module));
  b.AddEvent(12, ev::EV_SEPARATOR, "WBCL");
  b.AddEvent(5, ev::EV_EFI_ACTION, "Exit Boot Services Invocation");
}

// A guest-root attacker's log: the GRUB command line relabelled and
// retyped (found by content), appended twice, a UKI data event retyped, a
// second SecureBoot value, events after ExitBootServices.
void Attacked(LogBuilder& b) {
  auto grub = [&](uint32_t type, const std::string& data,
                  const std::string& text) {
    b.AddEventWithDigests(
        8, type, data, {{TPM2_ALG_SHA256, *vtpm::Hash(TPM2_ALG_SHA256, text)}});
  };
  b.AddEvent(
      7, ev::EV_EFI_VARIABLE_DRIVER_CONFIG,
      Var(bs::kEfiGlobalVariableGuid, "SecureBoot", std::string(1, '\0')));
  b.AddEvent(7, ev::EV_SEPARATOR, std::string(4, '\0'));
  grub(ev::EV_IPL, std::string("grub_cmd: linux /vmlinuz ro\0", 28),
       "linux /vmlinuz ro");
  grub(ev::EV_ACTION, "/vmlinuz ro init=/bin/sh", "/vmlinuz ro init=/bin/sh");
  grub(ev::EV_IPL, std::string("module_cmdline: BOOT_IMAGE=/vmlinuz ro\0", 40),
       "BOOT_IMAGE=/vmlinuz ro");
  b.AddEventWithDigests(8, ev::EV_COMPACT_HASH, "opaque",
                        {{TPM2_ALG_SHA256, std::string(32, 'o')}});
  b.AddEventWithDigests(4, ev::EV_COMPACT_HASH, "app",
                        {{TPM2_ALG_SHA256, std::string(32, 'a')}});
  b.AddEvent(11, ev::EV_IPL, std::string(".cmdline\0", 9));
  b.AddEventWithDigests(11, ev::EV_EVENT_TAG, "retyped",
                        {{TPM2_ALG_SHA256, std::string(32, 'c')}});
  b.AddEvent(5, ev::EV_EFI_ACTION, "Exit Boot Services Invocation");
  b.AddEvent(5, ev::EV_EFI_ACTION, "Exit Boot Services Returned with Success");
  grub(ev::EV_IPL, std::string("kernel_cmdline: /vmlinuz ro\0", 28),
       "/vmlinuz ro");
  b.AddEvent(7, ev::EV_EFI_VARIABLE_DRIVER_CONFIG,
             Var(bs::kEfiGlobalVariableGuid, "SecureBoot", "\1"));
  b.AddEvent(11, ev::EV_IPL, std::string(".cmdline\0", 9));
  b.AddEventWithDigests(11, ev::EV_IPL,
                        t::Utf16(".cmdline") + std::string(2, '\0'),
                        {{TPM2_ALG_SHA256, std::string(32, 'd')}});
  b.AddEvent(0, ev::EV_S_CRTM_VERSION, t::Utf16("9.9") + std::string(2, '\0'));
  b.AddEvent(0, ev::EV_S_CRTM_VERSION, t::Utf16("1.0") + std::string(2, '\0'));
}

bool Write(const std::string& dir, const std::string& name,
           const std::string& bytes) {
  auto s = vtpm::testing::WriteFile(dir + "/" + name, bytes);
  if (!s.ok()) std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
  return s.ok();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  bool ok = true;

  LogBuilder full;
  Firmware(full);
  Os(full);
  ok &= Write(dir, "seed-constructed-full", full.Build());

  LogBuilder two_banks({TPM2_ALG_SHA1, TPM2_ALG_SHA256});
  Firmware(two_banks);
  ok &= Write(dir, "seed-constructed-sha1-sha256", two_banks.Build());

  LogBuilder legacy = LogBuilder::Sha1Legacy();
  Os(legacy);
  ok &= Write(dir, "seed-constructed-legacy", legacy.Build());

  // An authority with one unmeasured trailing byte (shim 15).
  LogBuilder shim;
  std::string authority =
      Var(bs::kShimLockGuid, "Shim",
          t::Guid(bs::kShimLockGuid) + "\x30\x03\x02\x01\x01");
  shim.AddEventWithDigests(
      7, ev::EV_EFI_VARIABLE_AUTHORITY, authority + '\0',
      {{TPM2_ALG_SHA256, *vtpm::Hash(TPM2_ALG_SHA256, authority)}});
  shim.AddEvent(7, ev::EV_EFI_VARIABLE_AUTHORITY,
                Var(bs::kShimLockGuid, "SbatLevel", "sbat,1,2021030218\n"));
  ok &= Write(dir, "seed-constructed-shim-off-by-one", shim.Build());

  LogBuilder empty;
  ok &= Write(dir, "seed-constructed-empty", empty.Build());

  LogBuilder attacked;
  Attacked(attacked);
  ok &= Write(dir, "seed-constructed-attacked", attacked.Build());
  return ok ? 0 : 1;
}
