#include "common/eventlog/malformed.h"

#include "absl/strings/cord.h"
#include "common/reason.h"

namespace vtpm::eventlog::internal {

absl::Status MalformedLogError(absl::string_view message) {
  // ReasonError() maps EVENTLOG_MALFORMED to FailedPrecondition; a log that
  // does not parse is malformed input, so keep the reason payload and use
  // InvalidArgument as the header promises.
  absl::Status reason =
      ReasonError(vtpm_attest::v1::EVENTLOG_MALFORMED, message);
  absl::Status out(absl::StatusCode::kInvalidArgument, message);
  reason.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    out.SetPayload(url, payload);
  });
  return out;
}

}  // namespace vtpm::eventlog::internal
