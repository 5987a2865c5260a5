#include "agent/tpm/capability.h"

#include "absl/strings/str_format.h"
#include "common/status_macros.h"

namespace vtpm::agent {
namespace {

absl::StatusOr<EsysPtr<TPMS_CAPABILITY_DATA>> GetCapability(TpmContext& ctx,
                                                            TPM2_CAP cap,
                                                            uint32_t property,
                                                            uint32_t count,
                                                            TPMI_YES_NO* more) {
  TPMS_CAPABILITY_DATA* raw = nullptr;
  absl::Status st = RetryTpm(
      absl::StrFormat("TPM2_GetCapability(0x%x, 0x%08x)", cap, property), [&] {
        Esys_Free(raw);
        raw = nullptr;
        return Esys_GetCapability(ctx.esys(), ESYS_TR_NONE, ESYS_TR_NONE,
                                  ESYS_TR_NONE, cap, property, count, more,
                                  &raw);
      });
  EsysPtr<TPMS_CAPABILITY_DATA> data(raw);
  RETURN_IF_ERROR(st);
  if (data == nullptr || data->capability != cap) {
    return absl::InternalError(absl::StrFormat(
        "TPM2_GetCapability(0x%x) answered another capability", cap));
  }
  return data;
}

}  // namespace

absl::StatusOr<std::map<TPM2_PT, uint32_t>> GetTpmProperties(TpmContext& ctx,
                                                             TPM2_PT first,
                                                             uint32_t count) {
  std::map<TPM2_PT, uint32_t> out;
  uint64_t end = static_cast<uint64_t>(first) + count;
  uint64_t next = first;
  while (next < end) {
    TPMI_YES_NO more = TPM2_NO;
    ASSIGN_OR_RETURN(
        auto data,
        GetCapability(ctx, TPM2_CAP_TPM_PROPERTIES, static_cast<uint32_t>(next),
                      static_cast<uint32_t>(end - next), &more));
    const auto& props = data->data.tpmProperties;
    if (props.count == 0) break;
    for (uint32_t i = 0; i < props.count && i < TPM2_MAX_TPM_PROPERTIES; ++i) {
      const auto& p = props.tpmProperty[i];
      if (p.property < next || p.property >= end) continue;
      out[p.property] = p.value;
    }
    uint64_t last = props.tpmProperty[props.count - 1].property;
    if (!more || last + 1 <= next) break;
    next = last + 1;
  }
  return out;
}

absl::StatusOr<uint32_t> GetTpmProperty(TpmContext& ctx, TPM2_PT property) {
  ASSIGN_OR_RETURN(auto props, GetTpmProperties(ctx, property, 1));
  auto it = props.find(property);
  if (it == props.end()) {
    return absl::NotFoundError(
        absl::StrFormat("the TPM does not report property 0x%08x", property));
  }
  return it->second;
}

absl::StatusOr<std::vector<TPM2_HANDLE>> ListHandles(TpmContext& ctx,
                                                     TPM2_HANDLE first,
                                                     TPM2_HANDLE last) {
  std::vector<TPM2_HANDLE> out;
  uint64_t next = first;
  while (next <= last) {
    TPMI_YES_NO more = TPM2_NO;
    ASSIGN_OR_RETURN(auto data, GetCapability(ctx, TPM2_CAP_HANDLES,
                                              static_cast<uint32_t>(next),
                                              TPM2_MAX_CAP_HANDLES, &more));
    const auto& handles = data->data.handles;
    if (handles.count == 0) break;
    bool past_end = false;
    for (uint32_t i = 0; i < handles.count && i < TPM2_MAX_CAP_HANDLES; ++i) {
      TPM2_HANDLE h = handles.handle[i];
      if (h < next) continue;
      if (h > last) {
        past_end = true;
        break;
      }
      out.push_back(h);
    }
    TPM2_HANDLE max = handles.handle[handles.count - 1];
    if (!more || past_end || max < next) break;
    next = static_cast<uint64_t>(max) + 1;
  }
  return out;
}

absl::StatusOr<TPML_PCR_SELECTION> GetPcrAllocation(TpmContext& ctx) {
  TPMI_YES_NO more = TPM2_NO;
  ASSIGN_OR_RETURN(auto data, GetCapability(ctx, TPM2_CAP_PCRS, 0, 1, &more));
  return data->data.assignedPCR;
}

}  // namespace vtpm::agent
