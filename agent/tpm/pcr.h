// Reading and extending PCRs.
#ifndef VTPM_AGENT_TPM_PCR_H_
#define VTPM_AGENT_TPM_PCR_H_

#include <tss2/tss2_tpm2_types.h>

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/tpm/tpm_context.h"
#include "common/pcr_selection.h"

namespace vtpm::agent {

// Reads every PCR in `sel` with TPM2_PCR_Read. One call returns at most 8
// digests, so it loops, removing what each call returned from the request,
// until every selected PCR is read. If the PCR update counter changes
// between calls (a PCR was extended meanwhile), the read starts over (up
// to 5 times) so that the values are one consistent snapshot.
// Errors: InvalidArgument for an empty selection, unknown hash or PCR >=
// 24; FailedPrecondition when the TPM returns nothing for a selected PCR
// (bank not allocated); Aborted when the PCRs kept changing; TPM errors.
absl::StatusOr<vtpm::PcrValues> ReadPcrs(TpmContext& ctx,
                                         const vtpm::PcrSelection& sel);

// TPM2_PCR_Extend of PCR `pcr` in bank `bank` with `digest` (which must be
// exactly the bank's digest size), authorized with the PCR's empty
// password. Errors: InvalidArgument for a bad PCR, bank or digest size;
// TPM errors (e.g. a PCR that cannot be extended from this locality).
absl::Status ExtendPcr(TpmContext& ctx, uint32_t pcr, TPMI_ALG_HASH bank,
                       absl::string_view digest);

}  // namespace vtpm::agent

#endif  // VTPM_AGENT_TPM_PCR_H_
