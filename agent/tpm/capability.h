// TPM2_GetCapability queries: fixed properties, handle lists, PCR
// allocation.
#ifndef VTPM_AGENT_TPM_CAPABILITY_H_
#define VTPM_AGENT_TPM_CAPABILITY_H_

#include <tss2/tss2_tpm2_types.h>

#include <map>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/tpm/tpm_context.h"

namespace vtpm::agent {

// Every TPM property from `first` up to (excluding) `first` + `count`
// that the TPM reports, by property tag; follows moreData.
absl::StatusOr<std::map<TPM2_PT, uint32_t>> GetTpmProperties(TpmContext& ctx,
                                                             TPM2_PT first,
                                                             uint32_t count);

// One TPM property. NotFound when the TPM does not report it.
absl::StatusOr<uint32_t> GetTpmProperty(TpmContext& ctx, TPM2_PT property);

// The handles in [first, last] the TPM reports for TPM2_CAP_HANDLES
// (ascending). `first` selects the handle type: NV indices (0x01...),
// loaded sessions (0x02...), saved sessions (0x03...), transient objects
// (0x80...), persistent objects (0x81...). Follows moreData.
absl::StatusOr<std::vector<TPM2_HANDLE>> ListHandles(TpmContext& ctx,
                                                     TPM2_HANDLE first,
                                                     TPM2_HANDLE last);

// TPM2_CAP_PCRS: the allocated PCRs of every bank the TPM implements
// (banks with nothing allocated included, with no bits set).
absl::StatusOr<TPML_PCR_SELECTION> GetPcrAllocation(TpmContext& ctx);

}  // namespace vtpm::agent

#endif  // VTPM_AGENT_TPM_CAPABILITY_H_
