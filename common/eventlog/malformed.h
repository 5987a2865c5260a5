// The error every parse failure of an event log returns (internal to
// vtpm_eventlog).
#ifndef VTPM_COMMON_EVENTLOG_MALFORMED_H_
#define VTPM_COMMON_EVENTLOG_MALFORMED_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace vtpm::eventlog::internal {

// InvalidArgument with `message`, carrying the reason EVENTLOG_MALFORMED
// (vtpm::ReasonOf gives it back).
absl::Status MalformedLogError(absl::string_view message);

}  // namespace vtpm::eventlog::internal

#endif  // VTPM_COMMON_EVENTLOG_MALFORMED_H_
