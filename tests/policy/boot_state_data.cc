#include "tests/policy/boot_state_data.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vtpm::testing {
namespace {

namespace v1 = vtpm_attest::v1;

void AddEvent(v1::BootState* s, uint32_t index, uint32_t pcr, uint32_t type,
              const std::string& type_name, const std::string& description) {
  v1::EventSummary* e = s->add_events();
  e->set_index(index);
  e->set_pcr(pcr);
  e->set_type(type);
  e->set_type_name(type_name);
  e->set_description(description);
  (*e->mutable_digests())["sha256"] =
      FakeDigest(static_cast<unsigned char>(index));
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
  AddEvent(&s, 0, 0, 0x8, "EV_S_CRTM_VERSION", "");
  AddEvent(&s, 3, 7, 0x80000001, "EV_EFI_VARIABLE_DRIVER_CONFIG",
           "SecureBoot (8be4df61-93ca-11d2-aa0d-00e098032b8c) = 1");
  AddEvent(&s, 6, 7, 0x80000001, "EV_EFI_VARIABLE_DRIVER_CONFIG",
           "db (d719b2cb-3d3a-4596-a3bc-dad00e67656f): 2 entries");
  AddEvent(&s, 7, 7, 0x80000001, "EV_EFI_VARIABLE_DRIVER_CONFIG",
           "dbx (d719b2cb-3d3a-4596-a3bc-dad00e67656f): 1 entry");
  AddEvent(&s, 39, 8, 0xD, "EV_IPL",
           "kernel_cmdline: /vmlinuz console=ttyS0 panic=-1");
  AddApp(&s, 22, "\\EFI\\BOOT\\BOOTX64.EFI", 0xa1);  // shim
  AddApp(&s, 28, "\\EFI\\BOOT\\grubx64.efi", 0xa2);  // grub
  AddApp(&s, 37, "", 0xa3);                          // kernel via shim
  AddFile(&s, 33, "(hd0)/EFI/debian/grub.cfg", 0xb1);
  AddFile(&s, 36, "/vmlinuz", 0xb2);
  AddFile(&s, 41, "/initrd.img", 0xb3);
  s.set_kernel_cmdline("/vmlinuz console=ttyS0 panic=-1");
  auto& pcrs = *(*s.mutable_pcrs())["sha256"].mutable_values();
  for (int i : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14}) {
    pcrs[absl::StrCat(i)] = FakeDigest(static_cast<unsigned char>(0xc0 + i));
  }
  return s;
}

}  // namespace vtpm::testing
