#include "agent/tpm/nv.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "agent/tpm/capability.h"
#include "common/status_macros.h"

namespace vtpm::agent {
namespace {

// Used when the TPM does not report TPM2_PT_NV_BUFFER_MAX; every TPM
// supports at least this much (TCG PC Client platform profile).
constexpr uint32_t kDefaultNvBufferMax = 512;

}  // namespace

absl::StatusOr<std::string> ReadNvIndex(TpmContext& ctx, TPM2_HANDLE index) {
  const std::string what = absl::StrFormat("NV index 0x%08x", index);
  ASSIGN_OR_RETURN(auto present, ListHandles(ctx, index, index));
  if (present.empty()) {
    return absl::NotFoundError(absl::StrCat(what, " does not exist"));
  }
  ESYS_TR raw_tr = ESYS_TR_NONE;
  RETURN_IF_ERROR_CTX(RetryTpm("Esys_TR_FromTPMPublic",
                               [&] {
                                 return Esys_TR_FromTPMPublic(
                                     ctx.esys(), index, ESYS_TR_NONE,
                                     ESYS_TR_NONE, ESYS_TR_NONE, &raw_tr);
                               }),
                      what);
  ScopedHandle tr(ctx, raw_tr, ScopedHandle::Kind::kClose);

  TPM2B_NV_PUBLIC* raw_pub = nullptr;
  RETURN_IF_ERROR_CTX(RetryTpm("TPM2_NV_ReadPublic",
                               [&] {
                                 Esys_Free(raw_pub);
                                 raw_pub = nullptr;
                                 return Esys_NV_ReadPublic(
                                     ctx.esys(), tr.get(), ESYS_TR_NONE,
                                     ESYS_TR_NONE, ESYS_TR_NONE, &raw_pub,
                                     nullptr);
                               }),
                      what);
  EsysPtr<TPM2B_NV_PUBLIC> pub(raw_pub);
  const TPMA_NV attrs = pub->nvPublic.attributes;
  const uint16_t size = pub->nvPublic.dataSize;
  if (!(attrs & TPMA_NV_WRITTEN)) {
    return absl::NotFoundError(absl::StrCat(what, " was never written"));
  }
  if (attrs & TPMA_NV_READLOCKED) {
    return absl::FailedPreconditionError(absl::StrCat(what, " is read-locked"));
  }
  ESYS_TR auth;
  if (attrs & TPMA_NV_AUTHREAD) {
    auth = tr.get();
  } else if (attrs & TPMA_NV_OWNERREAD) {
    auth = ESYS_TR_RH_OWNER;
  } else {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s can be read neither with its own authorization nor the owner's "
        "(attributes 0x%08x)",
        what, attrs));
  }

  uint32_t chunk = kDefaultNvBufferMax;
  auto max = GetTpmProperty(ctx, TPM2_PT_NV_BUFFER_MAX);
  if (max.ok() && *max > 0) chunk = *max;

  std::string out;
  out.reserve(size);
  while (out.size() < size) {
    uint16_t offset = static_cast<uint16_t>(out.size());
    uint16_t len =
        static_cast<uint16_t>(std::min<size_t>(chunk, size - out.size()));
    TPM2B_MAX_NV_BUFFER* raw_data = nullptr;
    absl::Status st = RetryTpm(
        absl::StrFormat("TPM2_NV_Read(offset %d, %d bytes)", offset, len), [&] {
          Esys_Free(raw_data);
          raw_data = nullptr;
          return Esys_NV_Read(ctx.esys(), auth, tr.get(), ESYS_TR_PASSWORD,
                              ESYS_TR_NONE, ESYS_TR_NONE, len, offset,
                              &raw_data);
        });
    EsysPtr<TPM2B_MAX_NV_BUFFER> data(raw_data);
    RETURN_IF_ERROR_CTX(st, what);
    if (data->size == 0 || data->size > len) {
      return absl::InternalError(absl::StrFormat(
          "%s: TPM2_NV_Read returned %d bytes for %d", what, data->size, len));
    }
    out.append(reinterpret_cast<const char*>(data->buffer), data->size);
  }
  return out;
}

}  // namespace vtpm::agent
