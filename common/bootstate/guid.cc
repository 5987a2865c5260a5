#include "common/bootstate/guid.h"

#include "absl/strings/str_format.h"

namespace vtpm::bootstate {

std::string GuidToString(absl::string_view raw) {
  if (raw.size() != 16) return "";
  auto b = [&](int i) { return static_cast<uint8_t>(raw[i]); };
  return absl::StrFormat(
      "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
      b(3), b(2), b(1), b(0), b(5), b(4), b(7), b(6), b(8), b(9), b(10), b(11),
      b(12), b(13), b(14), b(15));
}

std::string GuidName(absl::string_view guid) {
  static constexpr struct {
    const char* guid;
    const char* name;
  } kNames[] = {
      {kEfiGlobalVariableGuid, "EFI_GLOBAL_VARIABLE"},
      {kImageSecurityDatabaseGuid, "EFI_IMAGE_SECURITY_DATABASE"},
      {kCertX509Guid, "EFI_CERT_X509"},
      {kCertSha256Guid, "EFI_CERT_SHA256"},
      {kShimLockGuid, "SHIM_LOCK"},
      {kCertSha1Guid, "EFI_CERT_SHA1"},
      {kCertSha384Guid, "EFI_CERT_SHA384"},
      {kCertSha512Guid, "EFI_CERT_SHA512"},
      {kCertRsa2048Guid, "EFI_CERT_RSA2048"},
      {kCertX509Sha256Guid, "EFI_CERT_X509_SHA256"},
      {kCertX509Sha384Guid, "EFI_CERT_X509_SHA384"},
      {kCertX509Sha512Guid, "EFI_CERT_X509_SHA512"},
      {kQemuKernelLoaderFsMediaGuid, "QEMU_KERNEL_LOADER_FS_MEDIA"},
  };
  for (const auto& n : kNames) {
    if (guid == n.guid) return n.name;
  }
  return "";
}

}  // namespace vtpm::bootstate
