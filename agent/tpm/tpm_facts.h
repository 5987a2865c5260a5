// What the TPM says about itself, for the Hello message.
#ifndef VTPM_AGENT_TPM_TPM_FACTS_H_
#define VTPM_AGENT_TPM_TPM_FACTS_H_

#include "absl/status/statusor.h"
#include "agent/tpm/tpm_context.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::agent {

// Reads the fixed TPM properties and the PCR allocation:
//   family      TPM2_PT_FAMILY_INDICATOR as text ("2.0")
//   level, revision  TPM2_PT_LEVEL, TPM2_PT_REVISION (164 for 1.64)
//   manufacturer     TPM2_PT_MANUFACTURER as its 4 ASCII characters,
//                    trailing NULs and spaces trimmed ("IBM")
//   vendor      TPM2_PT_VENDOR_STRING_1..4 concatenated, NULs dropped,
//               trailing spaces trimmed
//   firmware_version_1/_2  TPM2_PT_FIRMWARE_VERSION_1/_2
//   pcr_banks   banks with at least one PCR allocated (TPM2_CAP_PCRS), in
//               the TPM's order
// Text fields keep only printable ASCII (other bytes become '?') so the
// proto strings are valid UTF-8. `interface` is left unset: the platform
// layer knows it. Fails when the TPM does not answer or lacks the family,
// manufacturer or revision properties.
absl::StatusOr<vtpm_attest::v1::TpmFacts> ReadTpmFacts(TpmContext& ctx);

}  // namespace vtpm::agent

#endif  // VTPM_AGENT_TPM_TPM_FACTS_H_
