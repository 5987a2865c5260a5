// Delivers webhook events (webhook_event.h) to one or more HTTP(S) URLs,
// signed with a shared secret (webhook_signature.h), from a background
// thread so that attestation never waits for a receiver.
//
// Each POST:
//   Content-Type: application/json            body: WebhookPayload()
//   X-Vtpm-Attest-Event-Id: <32 hex>           same on every retry: dedupe
//   X-Vtpm-Attest-Timestamp: <unix seconds>    time of this attempt
//   X-Vtpm-Attest-Signature: sha256=<hex HMAC-SHA256(secret,
//                                      timestamp + "." + body)>
//
// Every URL gets every event, independently. Outcome of a delivery to one
// URL (and its vtpm_attest_webhook_deliveries_total{result} label):
//   2xx                                  -> delivered
//   connection error, timeout, 408, 429, 5xx -> retried after a backoff;
//                                           gave_up after max_attempts
//   any other status (3xx are not followed, 4xx) -> rejected, not retried
//   queue full when Notify() is called   -> queue_full (per URL)
//   still queued when Shutdown()'s deadline passes -> shutdown
// Backoff before retry n (n = 1, 2, ...): uniformly random in
// [0, min(max_backoff, initial_backoff * 2^(n-1))] ("full jitter").
// Deliveries are scheduled by due time, so a receiver that keeps failing
// delays other events by at most one request timeout per attempt.
#ifndef VTPM_VERIFIER_NOTIFY_WEBHOOK_NOTIFIER_H_
#define VTPM_VERIFIER_NOTIFY_WEBHOOK_NOTIFIER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "verifier/metrics/verifier_metrics.h"
#include "verifier/notify/webhook_event.h"

namespace vtpm::notify {

struct WebhookOptions {
  // Receivers: "https://..." (recommended) or "http://..." (the signature
  // still authenticates the payload, but it travels in clear).
  std::vector<std::string> urls;
  // HMAC key: the bytes of the secret file, as is. Required.
  std::string secret;
  // Attempts per event and URL, the first included.
  int max_attempts = 8;
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(5);
  // Whole request, connection included.
  absl::Duration request_timeout = absl::Seconds(10);
  // Deliveries (events x URLs, retries included) waiting at most.
  size_t queue_limit = 10000;
  // PEM CA bundle for https; empty: the system's trust store.
  std::string ca_file;
  // Full jitter on backoffs. Tests may turn it off to observe the
  // exponential schedule exactly.
  bool jitter = true;
  // Counts outcomes in webhook_deliveries_total (may be null; must outlive
  // the notifier).
  metrics::VerifierMetrics* metrics = nullptr;
  // Where rejected, abandoned and dropped deliveries are logged; default:
  // one line on stderr.
  std::function<void(absl::string_view)> log;
};

// Counters since Start(), per delivery (event x URL).
struct WebhookStats {
  uint64_t queued = 0;
  uint64_t attempts = 0;  // HTTP requests made
  uint64_t delivered = 0;
  uint64_t rejected = 0;
  uint64_t gave_up = 0;
  uint64_t queue_full = 0;
  uint64_t shutdown = 0;  // abandoned at Shutdown()
};

class WebhookNotifier {
 public:
  // Validates `options` (InvalidArgument: no URL, a URL that is not http://
  // or https://, an empty secret, max_attempts < 1, a non-positive backoff
  // or timeout, max_backoff < initial_backoff, queue_limit 0, an unreadable
  // ca_file) and starts the delivery thread.
  static absl::StatusOr<std::unique_ptr<WebhookNotifier>> Start(
      WebhookOptions options);

  // Shutdown(absl::Now()) if not done yet.
  ~WebhookNotifier();
  WebhookNotifier(const WebhookNotifier&) = delete;
  WebhookNotifier& operator=(const WebhookNotifier&) = delete;

  // Queues `event` for every URL and returns its event id. Never blocks on
  // the network. ResourceExhausted (counted as queue_full) when the queue
  // cannot take it; FailedPrecondition after Shutdown(); Internal when the
  // payload cannot be rendered.
  absl::StatusOr<std::string> Notify(const WebhookEvent& event);

  // Stops accepting events and keeps delivering (retries included) until
  // the queue is empty or `deadline` passes; then aborts the request in
  // flight, abandons what is left (counted as shutdown) and joins the
  // thread. Returns true when the queue
  // was drained. Later calls return at once.
  bool Shutdown(absl::Time deadline);

  WebhookStats stats() const;

 private:
  struct Impl;
  explicit WebhookNotifier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vtpm::notify

#endif  // VTPM_VERIFIER_NOTIFY_WEBHOOK_NOTIFIER_H_
