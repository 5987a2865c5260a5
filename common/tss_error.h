// TPM/TSS return codes as absl::Status.
#ifndef VTPM_COMMON_TSS_ERROR_H_
#define VTPM_COMMON_TSS_ERROR_H_

#include <tss2/tss2_common.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace vtpm {

// OK for TSS2_RC_SUCCESS; otherwise a Status whose message is
// "`what`: <Tss2_RC_Decode text> (0xRC)". Lockout and "no TPM" conditions
// map to FailedPrecondition / Unavailable, retryable codes to Unavailable,
// everything else to Internal.
absl::Status TssStatus(TSS2_RC rc, absl::string_view what);

// True for TPM_RC_RETRY, TPM_RC_YIELDED and TPM_RC_TESTING (the command
// may simply be sent again).
bool IsRetryable(TSS2_RC rc);

// The TPM response code part of `rc` with the layer bits stripped.
TSS2_RC TpmResponseCode(TSS2_RC rc);

}  // namespace vtpm

#endif  // VTPM_COMMON_TSS_ERROR_H_
