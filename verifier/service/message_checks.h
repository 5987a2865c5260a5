// Checks on any message an agent sends, before its content is used.
#ifndef VTPM_VERIFIER_SERVICE_MESSAGE_CHECKS_H_
#define VTPM_VERIFIER_SERVICE_MESSAGE_CHECKS_H_

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace vtpm::verifier {

// MALFORMED_MESSAGE when `msg` or any message inside it (map entries
// included) carries fields this verifier does not know: they are not
// measured by any size limit, would be stored with raw evidence, and an
// agent newer than its verifier must not be judged on a contract the
// verifier cannot read. The message names the path and the field number.
absl::Status CheckNoUnknownFields(const google::protobuf::Message& msg);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_SERVICE_MESSAGE_CHECKS_H_
