#include "verifier/notify/webhook_event.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace vtpm::notify {

using ::vtpm_attest::v1::Result;

absl::string_view KindName(WebhookEventKind kind) {
  switch (kind) {
    case WebhookEventKind::kFail:
      return "FAIL";
    case WebhookEventKind::kStale:
      return "STALE";
    case WebhookEventKind::kRecovered:
      return "RECOVERED";
  }
  return "UNKNOWN";
}

std::optional<WebhookEventKind> EventKindFor(Result previous, Result result) {
  if (result == vtpm_attest::v1::RESULT_FAIL &&
      previous != vtpm_attest::v1::RESULT_FAIL) {
    return WebhookEventKind::kFail;
  }
  if (result == vtpm_attest::v1::RESULT_STALE &&
      previous != vtpm_attest::v1::RESULT_STALE) {
    return WebhookEventKind::kStale;
  }
  if (result == vtpm_attest::v1::RESULT_PASS &&
      (previous == vtpm_attest::v1::RESULT_FAIL ||
       previous == vtpm_attest::v1::RESULT_STALE)) {
    return WebhookEventKind::kRecovered;
  }
  return std::nullopt;
}

absl::StatusOr<std::string> WebhookPayload(const WebhookEvent& event,
                                           absl::string_view event_id,
                                           int64_t created_unix) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string verdict_json;
  std::string identity_json;
  if (!google::protobuf::util::MessageToJsonString(event.verdict, &verdict_json,
                                                   options)
           .ok() ||
      !google::protobuf::util::MessageToJsonString(event.verdict.identity(),
                                                   &identity_json, options)
           .ok()) {
    return absl::InternalError("webhook payload: verdict is not printable");
  }
  std::string previous = vtpm_attest::v1::Result_Name(event.previous_status);
  if (previous.empty()) previous = "RESULT_UNSPECIFIED";
  // event_id is hex and the names are identifiers: no escaping needed.
  return absl::StrCat(
      "{\"event_id\":\"", event_id, "\",\"kind\":\"", KindName(event.kind),
      "\",\"created_unix\":", created_unix, ",\"previous_status\":\"", previous,
      "\",\"identity\":", identity_json, ",\"verdict\":", verdict_json, "}");
}

}  // namespace vtpm::notify
