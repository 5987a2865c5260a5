// EFI GUIDs as they appear in event data (mixed endian: the first three
// fields little-endian) and as people write them.
#ifndef VTPM_COMMON_BOOTSTATE_GUID_H_
#define VTPM_COMMON_BOOTSTATE_GUID_H_

#include <string>

#include "absl/strings/string_view.h"

namespace vtpm::bootstate {

// "8be4df61-93ca-11d2-aa0d-00e098032b8c" from 16 bytes of EFI_GUID;
// `raw` must be exactly 16 bytes (callers check sizes when parsing).
std::string GuidToString(absl::string_view raw);

// Well-known GUIDs.
inline constexpr char kEfiGlobalVariableGuid[] =
    "8be4df61-93ca-11d2-aa0d-00e098032b8c";
inline constexpr char kImageSecurityDatabaseGuid[] =
    "d719b2cb-3d3a-4596-a3bc-dad00e67656f";
inline constexpr char kCertX509Guid[] = "a5c059a1-94e4-4aa7-87b5-ab155c2bf072";
inline constexpr char kCertSha256Guid[] =
    "c1c41626-504c-4092-aca9-41f936934328";
inline constexpr char kShimLockGuid[] = "605dab50-e046-4300-abb6-3dd810dd8b23";
// EFI_SIGNATURE_LIST types other than X.509 and SHA-256.
inline constexpr char kCertSha1Guid[] = "826ca512-cf10-4ac9-b187-be01496631bd";
inline constexpr char kCertSha384Guid[] =
    "ff3e5307-9fd0-48c9-85f1-8ad56c701e01";
inline constexpr char kCertSha512Guid[] =
    "093e0fae-a6c4-4f50-9f1b-d41e2b89c19a";
inline constexpr char kCertRsa2048Guid[] =
    "3c5766e8-269c-4e34-aa14-ed776e85b3b6";
inline constexpr char kCertX509Sha256Guid[] =
    "3bd2a492-96c0-4079-b420-fcf98ef103ed";
inline constexpr char kCertX509Sha384Guid[] =
    "7076876e-80c2-4ee6-aad2-28b349a6865b";
inline constexpr char kCertX509Sha512Guid[] =
    "446dbf63-2502-4cda-bcfa-2465d2b0fe9d";
// QEMU's kernel loader file system (OVMF QemuKernelLoaderFsDxe): the
// vendor media node of a kernel passed with `qemu -kernel`.
inline constexpr char kQemuKernelLoaderFsMediaGuid[] =
    "1428f772-b64a-441e-b8c3-9ebdd7f893c7";

// A short name for a well-known GUID above ("EFI_GLOBAL_VARIABLE",
// "EFI_CERT_X509", ...), or "" for others. `guid` in GuidToString form.
std::string GuidName(absl::string_view guid);

}  // namespace vtpm::bootstate

#endif  // VTPM_COMMON_BOOTSTATE_GUID_H_
