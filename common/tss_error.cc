#include "common/tss_error.h"

#include <tss2/tss2_rc.h>
#include <tss2/tss2_tpm2_types.h>

#include "absl/strings/str_format.h"

namespace vtpm {

TSS2_RC TpmResponseCode(TSS2_RC rc) { return rc & 0xffff; }

bool IsRetryable(TSS2_RC rc) {
  // Only TPM-layer (layer 0) or resource-manager-passed codes are TPM RCs.
  TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;
  if (layer != TSS2_TPM_RC_LAYER && layer != TSS2_RESMGR_TPM_RC_LAYER) {
    return false;
  }
  TSS2_RC code = TpmResponseCode(rc);
  return code == TPM2_RC_RETRY || code == TPM2_RC_YIELDED ||
         code == TPM2_RC_TESTING;
}

absl::Status TssStatus(TSS2_RC rc, absl::string_view what) {
  if (rc == TSS2_RC_SUCCESS) return absl::OkStatus();
  std::string msg =
      absl::StrFormat("%s: %s (0x%08x)", what, Tss2_RC_Decode(rc), rc);
  TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;
  TSS2_RC code = TpmResponseCode(rc);
  if (layer == TSS2_TPM_RC_LAYER || layer == TSS2_RESMGR_TPM_RC_LAYER) {
    if (code == TPM2_RC_LOCKOUT) {
      return absl::FailedPreconditionError(
          msg + " - the TPM is in dictionary-attack lockout");
    }
    if (IsRetryable(rc)) return absl::UnavailableError(msg);
    if (code == TPM2_RC_FAILURE) {
      // libtpms also answers some malformed inputs (e.g. a corrupted RSA
      // credential seed) with TPM_RC_FAILURE and keeps working, so this is
      // not treated as a dead TPM.
      return absl::InternalError(msg + " - the TPM reported a failure");
    }
    if ((rc & 0xfff) == 0x01e /* TPM 1.2 TPM_BADTAG */) {
      return absl::FailedPreconditionError(
          msg + " - this looks like a TPM 1.2; vtpm-attest needs TPM 2.0");
    }
  }
  if (layer == TSS2_TCTI_RC_LAYER) {
    return absl::UnavailableError(msg + " - cannot talk to the TPM");
  }
  return absl::InternalError(msg);
}

}  // namespace vtpm
