#include "common/eventlog/malformed.h"

#include "common/reason.h"

namespace vtpm::eventlog::internal {

absl::Status MalformedLogError(absl::string_view message) {
  return ReasonError(vtpm_attest::v1::EVENTLOG_MALFORMED, message);
}

}  // namespace vtpm::eventlog::internal
