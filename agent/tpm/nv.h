// Reading TPM NV indices (EK certificates and their chains).
#ifndef VTPM_AGENT_TPM_NV_H_
#define VTPM_AGENT_TPM_NV_H_

#include <tss2/tss2_tpm2_types.h>

#include <string>

#include "absl/status/statusor.h"
#include "agent/tpm/tpm_context.h"

namespace vtpm::agent {

// Reads the whole data of NV index `index` (TPM2_NV_ReadPublic for its
// size, then TPM2_NV_Read in chunks of TPM2_PT_NV_BUFFER_MAX).
// Authorization: the index itself with an empty password when it has
// TPMA_NV_AUTHREAD (how EK certificate indices are read), otherwise the
// owner hierarchy with an empty password when it has TPMA_NV_OWNERREAD.
// Errors: NotFound when the index does not exist or was never written;
// FailedPrecondition when it cannot be read with an empty password or is
// read-locked; TPM errors otherwise (all naming the index).
absl::StatusOr<std::string> ReadNvIndex(TpmContext& ctx, TPM2_HANDLE index);

}  // namespace vtpm::agent

#endif  // VTPM_AGENT_TPM_NV_H_
