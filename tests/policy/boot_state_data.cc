#include "tests/policy/boot_state_data.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/hex.h"
#include "common/tpm_alg.h"

namespace vtpm::testing {
namespace {

namespace v1 = vtpm_attest::v1;

// An event of the state's `events`: `digest` is the FakeDigest byte of its
// sha256 (0: FakeDigest(index)); `recomputed` its digest basis.
void AddEvent(v1::BootState* s, uint32_t index, uint32_t pcr, uint32_t type,
              const std::string& type_name, const std::string& description,
              bool recomputed = true, unsigned char digest = 0) {
  v1::EventSummary* e = s->add_events();
  e->set_index(index);
  e->set_pcr(pcr);
  e->set_type(type);
  e->set_type_name(type_name);
  e->set_description(description);
  e->set_digest_basis(recomputed ? v1::DIGEST_BASIS_RECOMPUTED
                                 : v1::DIGEST_BASIS_OPAQUE);
  (*e->mutable_digests())["sha256"] =
      FakeDigest(digest != 0 ? digest : static_cast<unsigned char>(index));
}

void AddApp(v1::BootState* s, uint32_t index, const std::string& path,
            unsigned char digest) {
  v1::BootApplication* a = s->add_boot_applications();
  a->set_pcr(4);
  a->set_event_type(0x80000003);
  a->set_event_index(index);
  a->set_device_path(path);
  (*a->mutable_digests())["sha256"] = FakeDigest(digest);
}

void AddFile(v1::BootState* s, uint32_t index, const std::string& name,
             unsigned char digest) {
  v1::MeasuredFile* f = s->add_kernel_and_initrd();
  f->set_pcr(9);
  f->set_event_index(index);
  f->set_name(name);
  (*f->mutable_digests())["sha256"] = FakeDigest(digest);
}

v1::SignatureEntry X509(const std::string& sha256, const std::string& cn) {
  v1::SignatureEntry e;
  e.set_type(v1::SignatureEntry::TYPE_X509);
  e.set_owner("77fa9abd-0359-4d32-bd60-28f4e78f784b");
  e.set_sha256(sha256);
  e.set_subject(absl::StrCat("CN=", cn, ",O=Microsoft Corporation"));
  return e;
}

}  // namespace

std::string FakeDigest(unsigned char byte) {
  std::string out;
  for (int i = 0; i < 32; ++i) absl::StrAppendFormat(&out, "%02x", byte);
  return out;
}

v1::BootState ShimSecureBootState() {
  v1::BootState s;
  s.set_log_format("crypto-agile");
  s.add_banks(v1::HASH_ALGORITHM_SHA256);
  s.set_secure_boot(true);
  s.set_secure_boot_known(true);
  *s.add_db() =
      X509(kMsWindowsPca2011, "Microsoft Windows Production PCA 2011");
  *s.add_db() = X509(kMsUefiCa2011, "Microsoft Corporation UEFI CA 2011");
  v1::SignatureEntry dbx;
  dbx.set_type(v1::SignatureEntry::TYPE_SHA256);
  dbx.set_sha256(kOvmfDbxPlaceholder);
  *s.add_dbx() = dbx;
  // The events of the real log's verified PCRs that rules account for,
  // with the digest basis ExtractBootState gives them.
  constexpr uint32_t kIpl = 0xD, kAction = 0x80000007, kSeparator = 0x4,
                     kConfig = 0x80000001, kAuthority = 0x800000E0,
                     kApp = 0x80000003;
  AddEvent(&s, 0, 0, 0x8, "EV_S_CRTM_VERSION", "");
  AddEvent(&s, 3, 7, kConfig, "EV_EFI_VARIABLE_DRIVER_CONFIG",
           "SecureBoot = 01");
  AddEvent(&s, 4, 7, kConfig, "EV_EFI_VARIABLE_DRIVER_CONFIG",
           "PK: 1 signatures");
  AddEvent(&s, 5, 7, kConfig, "EV_EFI_VARIABLE_DRIVER_CONFIG",
           "KEK: 2 signatures");
  AddEvent(&s, 6, 7, kConfig, "EV_EFI_VARIABLE_DRIVER_CONFIG",
           "db: 2 signatures");
  AddEvent(&s, 7, 7, kConfig, "EV_EFI_VARIABLE_DRIVER_CONFIG",
           "dbx: 1 signatures");
  AddEvent(&s, 8, 7, kSeparator, "EV_SEPARATOR", "separator 00000000");
  AddEvent(&s, 13, 4, kAction, "EV_EFI_ACTION",
           "Calling EFI Application from Boot Option");
  AddEvent(&s, 16, 2, kSeparator, "EV_SEPARATOR", "separator 00000000");
  AddEvent(&s, 18, 4, kSeparator, "EV_SEPARATOR", "separator 00000000");
  AddEvent(&s, 21, 7, kAuthority, "EV_EFI_VARIABLE_AUTHORITY",
           "db: CN=Microsoft Corporation UEFI CA 2011");
  AddEvent(&s, 22, 4, kApp, "EV_EFI_BOOT_SERVICES_APPLICATION",
           "\\EFI\\BOOT\\BOOTX64.EFI", false, 0xa1);
  AddEvent(&s, 23, 14, kIpl, "EV_IPL", "MokList", false, 0xe1);
  AddEvent(&s, 24, 14, kIpl, "EV_IPL", "MokListX", false, 0xe2);
  AddEvent(&s, 26, 14, kIpl, "EV_IPL", "MokListTrusted", false, 0xe3);
  AddEvent(&s, 27, 7, kAuthority, "EV_EFI_VARIABLE_AUTHORITY",
           "MokListRT: CN=Debian Secure Boot CA");
  AddEvent(&s, 28, 4, kApp, "EV_EFI_BOOT_SERVICES_APPLICATION",
           "\\EFI\\BOOT\\grubx64.efi", false, 0xa2);
  AddEvent(&s, 32, 8, kIpl, "EV_IPL",
           "grub_cmd: source (hd0)/EFI/debian/grub.cfg");
  AddEvent(&s, 33, 9, kIpl, "EV_IPL", "(hd0)/EFI/debian/grub.cfg", false, 0xb1);
  AddEvent(&s, 35, 8, kIpl, "EV_IPL",
           "grub_cmd: linux /vmlinuz console=ttyS0 panic=-1");
  AddEvent(&s, 36, 9, kIpl, "EV_IPL", "/vmlinuz", false, 0xb2);
  AddEvent(&s, 37, 4, kApp, "EV_EFI_BOOT_SERVICES_APPLICATION",
           "<no device path>", false, 0xa3);
  AddEvent(&s, 39, 8, kIpl, "EV_IPL",
           "kernel_cmdline: /vmlinuz console=ttyS0 panic=-1");
  AddEvent(&s, 41, 9, kIpl, "EV_IPL", "/initrd.img", false, 0xb3);
  AddEvent(&s, 42, 8, kIpl, "EV_IPL", "grub_cmd: boot");
  AddEvent(&s, 43, 5, kAction, "EV_EFI_ACTION",
           "Exit Boot Services Invocation");
  AddApp(&s, 22, "\\EFI\\BOOT\\BOOTX64.EFI", 0xa1);  // shim
  AddApp(&s, 28, "\\EFI\\BOOT\\grubx64.efi", 0xa2);  // grub
  AddApp(&s, 37, "", 0xa3);                          // kernel via shim
  AddFile(&s, 33, "(hd0)/EFI/debian/grub.cfg", 0xb1);
  AddFile(&s, 36, "/vmlinuz", 0xb2);
  AddFile(&s, 41, "/initrd.img", 0xb3);
  s.set_kernel_cmdline("/vmlinuz console=ttyS0 panic=-1");
  v1::KernelCmdline* c = s.add_kernel_cmdlines();
  c->set_text(s.kernel_cmdline());
  c->set_sha256(HexEncode(*Hash(TPM2_ALG_SHA256, c->text())));
  c->set_pcr(8);
  c->set_event_index(39);
  c->set_source("grub");
  s.set_exit_boot_services_index(43);
  auto& pcrs = *(*s.mutable_pcrs())["sha256"].mutable_values();
  for (int i : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14}) {
    pcrs[absl::StrCat(i)] = FakeDigest(static_cast<unsigned char>(0xc0 + i));
  }
  return s;
}

void SetCmdline(v1::BootState* s, const std::string& text) {
  s->set_kernel_cmdline(text);
  if (s->kernel_cmdlines().empty()) s->add_kernel_cmdlines();
  v1::KernelCmdline* c = s->mutable_kernel_cmdlines(0);
  c->set_text(text);
  c->set_sha256(HexEncode(*Hash(TPM2_ALG_SHA256, text)));
  for (auto& e : *s->mutable_events()) {
    if (e.index() == c->event_index() && c->pcr() == e.pcr()) {
      e.set_description("kernel_cmdline: " + text);
    }
  }
}

verifier::Policy MustParse(const std::string& json) {
  auto p = verifier::ParsePolicy(json, "test.json", "test");
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : verifier::Policy();
}

std::vector<vtpm_attest::v1::Reason> Evaluate(
    const verifier::Policy& p, const vtpm_attest::v1::BootState& s) {
  verifier::PolicyInput in;
  in.boot = &s;
  return verifier::EvaluatePolicy(p, in);
}

}  // namespace vtpm::testing
