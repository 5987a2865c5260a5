// Verification failures as absl::Status values that carry a wire
// ReasonCode. Every check in the verifier returns either its verified
// state or a Status made by ReasonError(); callers turn that Status into a
// Verdict reason with ReasonOf().
#ifndef VTPM_COMMON_REASON_H_
#define VTPM_COMMON_REASON_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm {

using ::vtpm_attest::v1::ReasonCode;

// A failed check: code kFailedPrecondition (evidence rejected) or
// kInvalidArgument (malformed input) with `code` attached as a payload.
absl::Status ReasonError(ReasonCode code, absl::string_view message);

// The ReasonCode attached to `status`; INTERNAL_ERROR when none is attached
// and the status is not OK; REASON_CODE_UNSPECIFIED for OK.
ReasonCode ReasonOf(const absl::Status& status);

// Returns `status` with its message prefixed by `context`, keeping the
// reason code.
absl::Status WithContext(const absl::Status& status, absl::string_view context);

// A Verdict reason from a failed status.
vtpm_attest::v1::Reason ToReason(const absl::Status& status);

}  // namespace vtpm

#endif  // VTPM_COMMON_REASON_H_
