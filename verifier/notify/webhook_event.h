// Webhook events and their JSON payload.
//
// Payload (one JSON object, UTF-8, Content-Type: application/json):
//   {
//     "event_id": "9f2c...",          // 32 hex chars; also the
//                                     // X-Vtpm-Attest-Event-Id header,
//                                     // identical on every retry
//     "kind": "FAIL",                 // FAIL | STALE | RECOVERED
//     "created_unix": 1700000000,     // when the event was queued
//     "previous_status": "RESULT_PASS",  // identity status before it
//     "identity": {"vm_uuid": "...", "ek_fingerprint": "...",
//                  "hostname": "..."},
//     "verdict": { ... }              // vtpm_attest.v1.Verdict in the
//                                     // Protobuf JSON mapping, proto
//                                     // field names (verdict_id, result,
//                                     // reasons[{code, message}], ...)
//   }
// Receivers must ignore fields they do not know (fields may be added).
//
// Kinds: FAIL   an identity's verdict turned FAIL (from any other status);
//        STALE  its evidence became overdue (verdict RESULT_STALE);
//        RECOVERED  a PASS after FAIL or STALE.
#ifndef VTPM_VERIFIER_NOTIFY_WEBHOOK_EVENT_H_
#define VTPM_VERIFIER_NOTIFY_WEBHOOK_EVENT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::notify {

enum class WebhookEventKind { kFail, kStale, kRecovered };

// "FAIL", "STALE" or "RECOVERED".
absl::string_view KindName(WebhookEventKind kind);

struct WebhookEvent {
  WebhookEventKind kind = WebhookEventKind::kFail;
  // The verdict that caused the event (its identity names the VM).
  vtpm_attest::v1::Verdict verdict;
  // The identity's status before the verdict (RecordOutcome.previous_status).
  vtpm_attest::v1::Result previous_status = vtpm_attest::v1::RESULT_UNSPECIFIED;
};

// The event a verdict deserves given the identity's previous status, or
// nullopt: FAIL when `result` is FAIL and `previous` is not (a repeated
// FAIL is not news), STALE when `result` is STALE and `previous` is not,
// RECOVERED when `result` is PASS and `previous` is FAIL or STALE.
std::optional<WebhookEventKind> EventKindFor(vtpm_attest::v1::Result previous,
                                             vtpm_attest::v1::Result result);

// The JSON payload above. Internal when the verdict cannot be rendered.
absl::StatusOr<std::string> WebhookPayload(const WebhookEvent& event,
                                           absl::string_view event_id,
                                           int64_t created_unix);

}  // namespace vtpm::notify

#endif  // VTPM_VERIFIER_NOTIFY_WEBHOOK_EVENT_H_
