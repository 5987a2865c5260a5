#include "common/reason.h"

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace vtpm {
namespace {
constexpr char kReasonPayload[] = "type.vtpm-attest.dev/ReasonCode";

bool IsMalformed(ReasonCode code) {
  return code == vtpm_attest::v1::MALFORMED_MESSAGE ||
         code == vtpm_attest::v1::OVERSIZED_MESSAGE ||
         code == vtpm_attest::v1::QUOTE_MALFORMED ||
         code == vtpm_attest::v1::EK_CERT_MALFORMED ||
         code == vtpm_attest::v1::EVENTLOG_MALFORMED;
}
}  // namespace

absl::Status ReasonError(ReasonCode code, absl::string_view message) {
  absl::Status s(IsMalformed(code) ? absl::StatusCode::kInvalidArgument
                                   : absl::StatusCode::kFailedPrecondition,
                 message);
  s.SetPayload(kReasonPayload,
               absl::Cord(absl::StrCat(static_cast<int>(code))));
  return s;
}

ReasonCode ReasonOf(const absl::Status& status) {
  if (status.ok()) return vtpm_attest::v1::REASON_CODE_UNSPECIFIED;
  auto payload = status.GetPayload(kReasonPayload);
  int v;
  if (payload && absl::SimpleAtoi(std::string(*payload), &v) &&
      vtpm_attest::v1::ReasonCode_IsValid(v)) {
    return static_cast<ReasonCode>(v);
  }
  return vtpm_attest::v1::INTERNAL_ERROR;
}

absl::Status WithContext(const absl::Status& status,
                         absl::string_view context) {
  return Annotate(status, context);
}

vtpm_attest::v1::Reason ToReason(const absl::Status& status) {
  vtpm_attest::v1::Reason r;
  r.set_code(ReasonOf(status));
  r.set_message(std::string(status.message()));
  return r;
}

}  // namespace vtpm
