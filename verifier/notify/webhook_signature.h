// Signatures of webhook deliveries.
//
// Every POST carries
//   X-Vtpm-Attest-Timestamp: <unix seconds, decimal>
//   X-Vtpm-Attest-Signature: sha256=<lower-case hex HMAC-SHA256>
// where the HMAC key is the shared secret (the bytes of the secret file, as
// is) and the message is the timestamp header's text, a '.', and the raw
// request body:  HMAC-SHA256(secret, timestamp + "." + body).
//
// A receiver recomputes the HMAC over the exact bytes it received, compares
// in constant time (VerifyWebhookSignature), rejects timestamps too far
// from its clock (e.g. more than 5 minutes: replay protection) and
// deduplicates by X-Vtpm-Attest-Event-Id (retries repeat it).
#ifndef VTPM_VERIFIER_NOTIFY_WEBHOOK_SIGNATURE_H_
#define VTPM_VERIFIER_NOTIFY_WEBHOOK_SIGNATURE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace vtpm::notify {

// The X-Vtpm-Attest-Signature value for `timestamp` (the header text) and
// `body`: "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)).
std::string SignWebhook(absl::string_view secret, absl::string_view timestamp,
                        absl::string_view body);

// True when `signature_header` is exactly SignWebhook(secret, timestamp,
// body). The comparison of the MAC takes the same time wherever the
// values differ. Does not judge the timestamp's age (the caller does).
bool VerifyWebhookSignature(absl::string_view secret,
                            absl::string_view timestamp, absl::string_view body,
                            absl::string_view signature_header);

}  // namespace vtpm::notify

#endif  // VTPM_VERIFIER_NOTIFY_WEBHOOK_SIGNATURE_H_
