// MakeRealisticLog: an OVMF + shim + grub style boot with plausible event
// data structures (UEFI_VARIABLE_DATA, UEFI_IMAGE_LOAD_EVENT, GPT header).
#include <string>

#include "absl/strings/str_cat.h"
#include "common/tpm_alg.h"
#include "tests/eventlog/log_builder.h"

namespace vtpm::testing {
namespace {

using namespace ::vtpm::eventlog;  // NOLINT: event type names

void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

std::string Utf16(absl::string_view ascii) {
  std::string out;
  for (char c : ascii) {
    out.push_back(c);
    out.push_back('\0');
  }
  return out;
}

// A deterministic byte pattern of `size` bytes.
std::string Pattern(absl::string_view seed, size_t size) {
  std::string block = *vtpm::Hash(TPM2_ALG_SHA256, seed);
  std::string out;
  while (out.size() < size) out += block;
  out.resize(size);
  return out;
}

// UEFI_VARIABLE_DATA.
std::string VariableData(absl::string_view guid_seed, absl::string_view name,
                         const std::string& value) {
  std::string out = Pattern(guid_seed, 16);
  PutU64(&out, name.size());
  PutU64(&out, value.size());
  out += Utf16(name);
  out += value;
  return out;
}

// UEFI_IMAGE_LOAD_EVENT with a file device path.
std::string ImageLoad(uint64_t base, uint64_t length, absl::string_view path) {
  std::string device_path = Pattern(absl::StrCat("pci", path), 24);
  device_path += "\x04\x04";  // media device path, file path
  std::string file = Utf16(path) + std::string(2, '\0');
  device_path.push_back(static_cast<char>((file.size() + 4) & 0xff));
  device_path.push_back(static_cast<char>((file.size() + 4) >> 8));
  device_path += file;
  device_path += std::string("\x7f\xff\x04\x00", 4);  // end of path
  std::string out;
  PutU64(&out, base);
  PutU64(&out, length);
  PutU64(&out, 0);
  PutU64(&out, device_path.size());
  out += device_path;
  return out;
}

// Digests of a PE image (its Authenticode hash; here a stand-in).
std::map<TPMI_ALG_HASH, std::string> ImageDigests(
    const std::vector<TPMI_ALG_HASH>& banks, absl::string_view image) {
  std::map<TPMI_ALG_HASH, std::string> out;
  for (TPMI_ALG_HASH alg : banks) {
    out[alg] = *vtpm::Hash(alg, absl::StrCat("authenticode:", image));
  }
  return out;
}

}  // namespace

LogBuilder MakeRealisticLog(std::vector<TPMI_ALG_HASH> banks,
                            size_t num_events) {
  LogBuilder b(banks);
  const std::string separator(4, '\0');
  // Platform firmware.
  b.AddEvent(0, EV_S_CRTM_VERSION, std::string(2, '\0'));
  for (int i = 0; i < 2; ++i) {
    std::string blob;
    PutU64(&blob, 0x820000 + i * 0xe0000);
    PutU64(&blob, 0xe0000);
    b.AddEventWithDigests(0, EV_EFI_PLATFORM_FIRMWARE_BLOB, blob,
                          ImageDigests(banks, absl::StrCat("fv", i)));
  }
  // Secure Boot configuration.
  b.AddEvent(7, EV_EFI_VARIABLE_DRIVER_CONFIG,
             VariableData("global", "SecureBoot", "\x01"));
  b.AddEvent(7, EV_EFI_VARIABLE_DRIVER_CONFIG,
             VariableData("global", "PK", Pattern("pk", 850)));
  b.AddEvent(7, EV_EFI_VARIABLE_DRIVER_CONFIG,
             VariableData("global", "KEK", Pattern("kek", 1560)));
  b.AddEvent(7, EV_EFI_VARIABLE_DRIVER_CONFIG,
             VariableData("db", "db", Pattern("db", 3140)));
  b.AddEvent(7, EV_EFI_VARIABLE_DRIVER_CONFIG,
             VariableData("db", "dbx", Pattern("dbx", 3724)));
  // Boot variables.
  b.AddEvent(1, EV_EFI_VARIABLE_BOOT,
             VariableData("global", "BootOrder", Pattern("order", 8)));
  for (int i = 0; i < 4; ++i) {
    b.AddEvent(1, EV_EFI_VARIABLE_BOOT,
               VariableData("global", absl::StrCat("Boot000", i),
                            Pattern(absl::StrCat("boot", i), 110)));
  }
  b.AddEvent(4, EV_EFI_ACTION, "Calling EFI Application from Boot Option");
  for (uint32_t pcr = 0; pcr <= 7; ++pcr) {
    b.AddEvent(pcr, EV_SEPARATOR, separator);
  }
  // GPT of the boot disk: header + 3 partition entries.
  b.AddEvent(5, EV_EFI_GPT_EVENT, Pattern("gpt", 92 + 8 + 3 * 128));
  b.AddEvent(7, EV_EFI_VARIABLE_AUTHORITY,
             VariableData("db", "db", Pattern("ms-uefi-ca", 1510)));
  const char* kImages[] = {"\\EFI\\BOOT\\BOOTX64.EFI",
                           "\\EFI\\debian\\grubx64.efi"};
  uint64_t base = 0x7e000000;
  for (const char* image : kImages) {
    b.AddEventWithDigests(4, EV_EFI_BOOT_SERVICES_APPLICATION,
                          ImageLoad(base, 0x1a0000, image),
                          ImageDigests(banks, image));
    base += 0x200000;
  }
  b.AddEvent(14, EV_IPL, "MokList");
  b.AddEvent(14, EV_IPL, "MokListX");
  b.AddEvent(7, EV_EFI_VARIABLE_AUTHORITY,
             VariableData("shim", "SbatLevel", "sbat,1,2021030218\n"));
  // grub: commands in PCR 8, files in PCR 9, then the kernel.
  size_t fixed_tail = 4;
  int i = 0;
  while (b.event_count() + fixed_tail < num_events) {
    if (i % 3 == 2) {
      b.AddEvent(9, EV_IPL,
                 absl::StrCat("(hd0,gpt2)/boot/grub/mod", i, ".mod"));
    } else {
      b.AddEvent(8, EV_IPL, absl::StrCat("grub_cmd: insmod part_gpt ", i));
    }
    ++i;
  }
  b.AddEventWithDigests(4, EV_EFI_BOOT_SERVICES_APPLICATION,
                        ImageLoad(base, 0x7c0000, "\\vmlinuz"),
                        ImageDigests(banks, "vmlinuz"));
  b.AddEvent(8, EV_IPL,
             "kernel_cmdline: /boot/vmlinuz-6.1.0-13-amd64 root=/dev/sda2 ro "
             "quiet");
  b.AddEvent(5, EV_EFI_ACTION, "Exit Boot Services Invocation");
  b.AddEvent(5, EV_EFI_ACTION, "Exit Boot Services Returned with Success");
  return b;
}

}  // namespace vtpm::testing
