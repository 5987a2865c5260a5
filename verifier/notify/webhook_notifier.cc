#include "verifier/notify/webhook_notifier.h"

#include <curl/curl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <limits>
#include <mutex>
#include <queue>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/hex.h"
#include "common/status_macros.h"
#include "verifier/notify/webhook_signature.h"

namespace vtpm::notify {
namespace {

// One event on its way to one URL.
struct Delivery {
  std::string event_id;
  std::shared_ptr<const std::string> body;  // shared by the event's URLs
  size_t url = 0;                           // index into options.urls
  int attempts = 0;                         // made so far
  absl::Time due;
  uint64_t order = 0;  // FIFO among equal due times
};

struct LaterFirst {
  bool operator()(const Delivery& a, const Delivery& b) const {
    if (a.due != b.due) return a.due > b.due;
    return a.order > b.order;
  }
};

enum class Outcome { kDelivered, kRetry, kRejected };

struct AttemptResult {
  Outcome outcome;
  std::string detail;  // for the log
};

// libcurl progress callback: a non-zero return aborts the transfer.
int AbortAfterDeadline(void* user, curl_off_t, curl_off_t, curl_off_t,
                       curl_off_t) {
  const auto* abort_after_ns = static_cast<const std::atomic<int64_t>*>(user);
  return absl::ToUnixNanos(absl::Now()) > abort_after_ns->load() ? 1 : 0;
}

size_t DiscardBody(char* /*data*/, size_t size, size_t nmemb, void* /*user*/) {
  return size * nmemb;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

std::string NewEventId() {
  unsigned char id[16];
  if (RAND_bytes(id, sizeof(id)) != 1) {
    // Never expected; fall back to time and a counter, still unique here.
    static std::atomic<uint64_t> counter{0};
    return absl::StrCat(
        absl::Hex(absl::ToUnixNanos(absl::Now()), absl::kZeroPad16),
        absl::Hex(counter.fetch_add(1), absl::kZeroPad16));
  }
  return HexEncode(
      absl::string_view(reinterpret_cast<const char*>(id), sizeof(id)));
}

void LogToStderr(absl::string_view line) {
  std::fprintf(stderr, "vtpm-attest webhook: %.*s\n",
               static_cast<int>(line.size()), line.data());
}

}  // namespace

struct WebhookNotifier::Impl {
  WebhookOptions options;
  metrics::Counter* counters[5] = {};  // by CountOutcome's order

  mutable std::mutex mu;
  std::condition_variable cv;
  std::priority_queue<Delivery, std::vector<Delivery>, LaterFirst> queue;
  bool accepting = true;
  bool shutting_down = false;
  bool finished = false;
  bool drained = false;
  absl::Time deadline = absl::InfiniteFuture();
  // Unix nanoseconds after which a request in flight is aborted: the
  // Shutdown() deadline (read by libcurl's progress callback).
  std::atomic<int64_t> abort_after_ns{std::numeric_limits<int64_t>::max()};
  uint64_t next_order = 0;
  uint64_t dropped_events = 0;
  WebhookStats stats;
  std::mutex join_mu;  // one Shutdown() joins the worker
  std::mt19937_64 rng{std::random_device{}()};
  std::thread worker;
  std::unique_ptr<CURL, CurlDeleter> curl;

  enum Counted { kDelivered, kRejected, kGaveUp, kQueueFull, kShutdown };
  void Count(Counted c, uint64_t n = 1) {  // with mu held
    switch (c) {
      case kDelivered:
        stats.delivered += n;
        break;
      case kRejected:
        stats.rejected += n;
        break;
      case kGaveUp:
        stats.gave_up += n;
        break;
      case kQueueFull:
        stats.queue_full += n;
        break;
      case kShutdown:
        stats.shutdown += n;
        break;
    }
    if (counters[c] != nullptr) counters[c]->Inc(static_cast<double>(n));
  }

  absl::Duration Backoff(int attempts) {  // with mu held
    absl::Duration cap = options.initial_backoff;
    for (int i = 1; i < attempts && cap < options.max_backoff; ++i) cap *= 2;
    cap = std::min(cap, options.max_backoff);
    if (!options.jitter) return cap;
    std::uniform_int_distribution<int64_t> dist(0,
                                                absl::ToInt64Microseconds(cap));
    return absl::Microseconds(dist(rng));
  }

  AttemptResult Attempt(const Delivery& d, absl::Duration timeout);
  void Run();
};

AttemptResult WebhookNotifier::Impl::Attempt(const Delivery& d,
                                             absl::Duration timeout) {
  const std::string& url = options.urls[d.url];
  const std::string timestamp = absl::StrCat(absl::ToUnixSeconds(absl::Now()));
  const std::string signature = SignWebhook(options.secret, timestamp, *d.body);

  curl_slist* raw = nullptr;
  for (const std::string& h :
       {std::string("Content-Type: application/json"),
        absl::StrCat("X-Vtpm-Attest-Event-Id: ", d.event_id),
        absl::StrCat("X-Vtpm-Attest-Timestamp: ", timestamp),
        absl::StrCat("X-Vtpm-Attest-Signature: ", signature),
        std::string("Expect:")}) {  // no 100-continue round trip
    raw = curl_slist_append(raw, h.c_str());
  }
  std::unique_ptr<curl_slist, SlistDeleter> headers(raw);

  CURL* c = curl.get();
  curl_easy_reset(c);  // keeps the connection cache
  const long timeout_ms =
      std::max<long>(1, static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, d.body->data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(d.body->size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_USERAGENT, "vtpm-attest-verifier");
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, DiscardBody);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options.ca_file.empty()) {
    curl_easy_setopt(c, CURLOPT_CAINFO, options.ca_file.c_str());
  }
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, AbortAfterDeadline);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &abort_after_ns);

  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    return {Outcome::kRetry,
            absl::StrCat(url, ": ", error[0] ? error : curl_easy_strerror(rc))};
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300) return {Outcome::kDelivered, ""};
  std::string detail = absl::StrCat(url, ": HTTP ", status);
  if (status >= 500 || status == 429 || status == 408) {
    return {Outcome::kRetry, detail};
  }
  return {Outcome::kRejected, detail};
}

void WebhookNotifier::Impl::Run() {
  std::unique_lock<std::mutex> lock(mu);
  while (true) {
    if (queue.empty()) {
      if (shutting_down) break;
      cv.wait(lock);
      continue;
    }
    const absl::Time now = absl::Now();
    if (shutting_down && now >= deadline) break;
    absl::Time wake = queue.top().due;
    if (shutting_down) wake = std::min(wake, deadline);
    if (now < wake) {
      cv.wait_until(lock, absl::ToChronoTime(wake));
      continue;
    }
    Delivery d = queue.top();
    queue.pop();
    absl::Duration timeout = options.request_timeout;
    if (shutting_down) timeout = std::min(timeout, deadline - now);
    ++stats.attempts;
    lock.unlock();
    AttemptResult r = Attempt(d, timeout);
    lock.lock();
    ++d.attempts;
    switch (r.outcome) {
      case Outcome::kDelivered:
        Count(kDelivered);
        break;
      case Outcome::kRejected:
        Count(kRejected);
        options.log(absl::StrCat("event ", d.event_id, " rejected by ",
                                 r.detail, "; not retried"));
        break;
      case Outcome::kRetry:
        if (d.attempts >= options.max_attempts) {
          Count(kGaveUp);
          options.log(absl::StrCat("event ", d.event_id, " abandoned after ",
                                   d.attempts, " attempts; last: ", r.detail));
        } else {
          d.due = absl::Now() + Backoff(d.attempts);
          d.order = next_order++;
          queue.push(std::move(d));
        }
        break;
    }
  }
  drained = queue.empty();
  if (!queue.empty()) {
    options.log(
        absl::StrCat(queue.size(), " deliveries abandoned at shutdown"));
    Count(kShutdown, queue.size());
    while (!queue.empty()) queue.pop();
  }
  finished = true;
}

absl::StatusOr<std::unique_ptr<WebhookNotifier>> WebhookNotifier::Start(
    WebhookOptions options) {
  auto invalid = [](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("webhook: ", what));
  };
  if (options.urls.empty()) return invalid("no URL");
  for (const std::string& url : options.urls) {
    if (!absl::StartsWithIgnoreCase(url, "https://") &&
        !absl::StartsWithIgnoreCase(url, "http://")) {
      return invalid(absl::StrCat("URL '", url, "' is not http(s)://"));
    }
  }
  if (options.secret.empty()) {
    return invalid("a secret is required to sign deliveries");
  }
  if (options.max_attempts < 1) return invalid("max_attempts must be >= 1");
  if (options.initial_backoff <= absl::ZeroDuration() ||
      options.max_backoff < options.initial_backoff) {
    return invalid("backoffs must be positive and max >= initial");
  }
  if (options.request_timeout <= absl::ZeroDuration()) {
    return invalid("request timeout must be positive");
  }
  if (options.queue_limit == 0) return invalid("queue_limit must be >= 1");
  if (!options.ca_file.empty() && access(options.ca_file.c_str(), R_OK) != 0) {
    return invalid(
        absl::StrCat("CA file ", options.ca_file, " is not readable"));
  }

  static std::once_flag curl_init;
  static CURLcode curl_init_rc = CURLE_OK;
  std::call_once(curl_init,
                 [] { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (curl_init_rc != CURLE_OK) {
    return absl::InternalError(absl::StrCat("webhook: curl_global_init: ",
                                            curl_easy_strerror(curl_init_rc)));
  }

  auto impl = std::make_unique<Impl>();
  impl->curl.reset(curl_easy_init());
  if (impl->curl == nullptr) {
    return absl::InternalError("webhook: curl_easy_init failed");
  }
  if (!options.log) options.log = LogToStderr;
  if (options.metrics != nullptr) {
    const char* names[] = {"delivered", "rejected", "gave_up", "queue_full",
                           "shutdown"};
    for (int i = 0; i < 5; ++i) {
      impl->counters[i] =
          &options.metrics->webhook_deliveries->WithLabels({names[i]});
    }
  }
  impl->options = std::move(options);
  Impl* raw = impl.get();
  impl->worker = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<WebhookNotifier>(new WebhookNotifier(std::move(impl)));
}

WebhookNotifier::WebhookNotifier(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

WebhookNotifier::~WebhookNotifier() { Shutdown(absl::Now()); }

absl::StatusOr<std::string> WebhookNotifier::Notify(const WebhookEvent& event) {
  const std::string event_id = NewEventId();
  const absl::Time now = absl::Now();
  ASSIGN_OR_RETURN(std::string body,
                   WebhookPayload(event, event_id, absl::ToUnixSeconds(now)));
  auto shared = std::make_shared<const std::string>(std::move(body));
  const size_t n = impl_->options.urls.size();
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (!impl_->accepting) {
      return absl::FailedPreconditionError("webhook notifier is shut down");
    }
    if (impl_->queue.size() + n > impl_->options.queue_limit) {
      impl_->Count(Impl::kQueueFull, n);
      // Log the 1st, 2nd, 4th, 8th... dropped event, not every one.
      const uint64_t drops = ++impl_->dropped_events;
      if ((drops & (drops - 1)) == 0) {
        impl_->options.log(
            absl::StrCat("queue full (", impl_->options.queue_limit,
                         " deliveries): ", drops, " events dropped so far"));
      }
      return absl::ResourceExhaustedError(
          absl::StrCat("webhook queue is full (", impl_->options.queue_limit,
                       " deliveries)"));
    }
    for (size_t url = 0; url < n; ++url) {
      impl_->queue.push(
          Delivery{event_id, shared, url, 0, now, impl_->next_order++});
    }
    impl_->stats.queued += n;
  }
  impl_->cv.notify_one();
  return event_id;
}

bool WebhookNotifier::Shutdown(absl::Time deadline) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (!impl_->shutting_down) {
      impl_->accepting = false;
      impl_->shutting_down = true;
      impl_->deadline = deadline;
      impl_->abort_after_ns = absl::ToUnixNanos(deadline);
    }
  }
  impl_->cv.notify_one();
  {
    std::lock_guard<std::mutex> join_lock(impl_->join_mu);
    if (impl_->worker.joinable()) impl_->worker.join();
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->drained;
}

WebhookStats WebhookNotifier::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->stats;
}

}  // namespace vtpm::notify
