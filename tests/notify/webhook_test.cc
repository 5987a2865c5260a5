// Webhook delivery against a real HTTP receiver on loopback (the same
// embedded server the verifier uses for /metrics), real libcurl and real
// OpenSSL; the HMAC is cross-checked with the openssl command.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/harness/process.h"
#include "verifier/metrics/http_server.h"
#include "verifier/metrics/metrics_registry.h"
#include "verifier/metrics/verifier_metrics.h"
#include "verifier/notify/webhook_event.h"
#include "verifier/notify/webhook_notifier.h"
#include "verifier/notify/webhook_signature.h"

namespace vtpm::notify {
namespace {

using ::vtpm::metrics::HttpRequest;
using ::vtpm::metrics::HttpResponse;
using ::vtpm::metrics::HttpServer;

constexpr char kSecret[] = "s3cret\x00\xffkey";  // binary bytes are fine
const std::string& Secret() {
  static const std::string* s = new std::string(kSecret, sizeof(kSecret) - 1);
  return *s;
}

// A webhook receiver that records every request and answers with scripted
// statuses (then 200), optionally holding requests until released.
class Receiver {
 public:
  struct Seen {
    HttpRequest request;
    absl::Time at;
    int answered = 0;
  };

  explicit Receiver(std::deque<int> script = {}) : script_(std::move(script)) {
    auto server = HttpServer::Start(
        "127.0.0.1:0", [this](const HttpRequest& r) { return Handle(r); });
    EXPECT_TRUE(server.ok()) << server.status();
    if (server.ok()) server_ = std::move(*server);
  }

  std::string url() const { return "http://" + server_->address() + "/hook"; }

  // Requests are answered only after Release() (or with hold off).
  void Hold() {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = true;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = false;
    cv_.notify_all();
  }
  void SetDelay(absl::Duration d) {
    std::lock_guard<std::mutex> lock(mu_);
    delay_ = d;
  }

  // Waits until `n` requests arrived (at most 5 s); returns them.
  std::vector<Seen> WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(5),
                 [&] { return seen_.size() >= n; });
    return seen_;
  }
  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  HttpResponse Handle(const HttpRequest& r) {
    std::unique_lock<std::mutex> lock(mu_);
    Seen s{r, absl::Now(), 200};
    if (!script_.empty()) {
      s.answered = script_.front();
      script_.pop_front();
    }
    seen_.push_back(s);
    cv_.notify_all();
    cv_.wait(lock, [&] { return !hold_; });
    absl::Duration delay = delay_;
    lock.unlock();
    if (delay > absl::ZeroDuration()) absl::SleepFor(delay);
    HttpResponse out;
    out.status = s.answered;
    out.body = "thanks";
    return out;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> script_;
  std::vector<Seen> seen_;
  bool hold_ = false;
  absl::Duration delay_;
  std::unique_ptr<HttpServer> server_;
};

WebhookEvent FailEvent(const std::string& verdict_id) {
  WebhookEvent e;
  e.kind = WebhookEventKind::kFail;
  e.previous_status = vtpm_attest::v1::RESULT_PASS;
  e.verdict.set_verdict_id(verdict_id);
  e.verdict.set_result(vtpm_attest::v1::RESULT_FAIL);
  e.verdict.set_verified_at_unix(1700000000);
  e.verdict.set_policy("prod");
  e.verdict.mutable_identity()->set_vm_uuid(
      "6a1c2d3e-0000-4000-8000-000000000001");
  e.verdict.mutable_identity()->set_ek_fingerprint("ab12");
  e.verdict.mutable_identity()->set_hostname("web-\"1\"");
  auto* reason = e.verdict.add_reasons();
  reason->set_code(vtpm_attest::v1::POLICY_PCR_MISMATCH);
  reason->set_message("PCR 7 (sha256) is 00.., expected 11..");
  return e;
}

WebhookOptions FastOptions(const std::vector<std::string>& urls) {
  WebhookOptions o;
  o.urls = urls;
  o.secret = Secret();
  o.initial_backoff = absl::Milliseconds(20);
  o.max_backoff = absl::Milliseconds(200);
  o.request_timeout = absl::Seconds(2);
  o.log = [](absl::string_view) {};
  return o;
}

// Waits (up to 5 s) until `pred(stats)` holds.
template <typename Pred>
WebhookStats WaitStats(const WebhookNotifier& n, Pred pred) {
  const absl::Time end = absl::Now() + absl::Seconds(5);
  WebhookStats s = n.stats();
  while (!pred(s) && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(5));
    s = n.stats();
  }
  return s;
}

// A port on 127.0.0.1 where nothing listens.
int ClosedPort() {
  auto server = HttpServer::Start(
      "127.0.0.1:0", [](const HttpRequest&) { return HttpResponse{}; });
  EXPECT_TRUE(server.ok());
  int port = (*server)->port();
  (*server)->Stop();
  return port;
}

// --- Signatures --------------------------------------------------------------

TEST(WebhookSignatureTest, MatchesOpensslHmac) {
  vtpm::testing::TempDir dir;
  const std::string body = "{\"kind\":\"FAIL\"}";
  const std::string ts = "1700000123";
  ASSERT_TRUE(vtpm::testing::WriteFile(dir.Sub("msg"), ts + "." + body).ok());
  std::string hexkey;
  for (unsigned char c : Secret()) {
    static const char* d = "0123456789abcdef";
    hexkey += d[c >> 4];
    hexkey += d[c & 15];
  }
  auto out = vtpm::testing::RunOrError({"openssl", "mac", "-digest", "SHA256",
                                        "-macopt", "hexkey:" + hexkey, "-in",
                                        dir.Sub("msg"), "HMAC"});
  ASSERT_TRUE(out.ok()) << out.status();
  std::string expected = *out;
  while (!expected.empty() &&
         (expected.back() == '\n' || expected.back() == ' '))
    expected.pop_back();
  for (char& c : expected) c = static_cast<char>(std::tolower(c));
  EXPECT_EQ(SignWebhook(Secret(), ts, body), "sha256=" + expected);
}

TEST(WebhookSignatureTest, VerifiesOnlyTheExactMessage) {
  const std::string body = "{\"a\":1}";
  const std::string sig = SignWebhook(Secret(), "100", body);
  EXPECT_TRUE(VerifyWebhookSignature(Secret(), "100", body, sig));
  EXPECT_FALSE(VerifyWebhookSignature("wrong secret", "100", body, sig));
  EXPECT_FALSE(VerifyWebhookSignature(Secret(), "101", body, sig));
  EXPECT_FALSE(VerifyWebhookSignature(Secret(), "100", body + " ", sig));
  EXPECT_FALSE(
      VerifyWebhookSignature(Secret(), "100", body, sig.substr(0, 20)));
  EXPECT_FALSE(VerifyWebhookSignature(Secret(), "100", body, ""));
  std::string other_prefix = sig;
  other_prefix.replace(0, 6, "sha512");
  EXPECT_FALSE(VerifyWebhookSignature(Secret(), "100", body, other_prefix));
  // Moving the '.' between timestamp and body changes the message.
  EXPECT_FALSE(VerifyWebhookSignature(Secret(), "10", "0." + body, sig));
}

// --- Events ------------------------------------------------------------------

TEST(WebhookEventTest, KindForTransitions) {
  using vtpm_attest::v1::RESULT_ERROR;
  using vtpm_attest::v1::RESULT_FAIL;
  using vtpm_attest::v1::RESULT_PASS;
  using vtpm_attest::v1::RESULT_STALE;
  using vtpm_attest::v1::RESULT_UNSPECIFIED;
  EXPECT_EQ(EventKindFor(RESULT_PASS, RESULT_FAIL), WebhookEventKind::kFail);
  EXPECT_EQ(EventKindFor(RESULT_UNSPECIFIED, RESULT_FAIL),
            WebhookEventKind::kFail);
  EXPECT_EQ(EventKindFor(RESULT_STALE, RESULT_FAIL), WebhookEventKind::kFail);
  EXPECT_EQ(EventKindFor(RESULT_FAIL, RESULT_FAIL), std::nullopt);
  EXPECT_EQ(EventKindFor(RESULT_PASS, RESULT_STALE), WebhookEventKind::kStale);
  EXPECT_EQ(EventKindFor(RESULT_STALE, RESULT_STALE), std::nullopt);
  EXPECT_EQ(EventKindFor(RESULT_FAIL, RESULT_PASS),
            WebhookEventKind::kRecovered);
  EXPECT_EQ(EventKindFor(RESULT_STALE, RESULT_PASS),
            WebhookEventKind::kRecovered);
  EXPECT_EQ(EventKindFor(RESULT_PASS, RESULT_PASS), std::nullopt);
  EXPECT_EQ(EventKindFor(RESULT_ERROR, RESULT_PASS), std::nullopt);
  EXPECT_EQ(EventKindFor(RESULT_PASS, RESULT_ERROR), std::nullopt);
}

// --- Notifier ----------------------------------------------------------------

TEST(WebhookNotifierTest, RefusesBadOptions) {
  WebhookOptions ok = FastOptions({"http://127.0.0.1:1/"});
  ASSERT_TRUE(WebhookNotifier::Start(ok).ok());
  auto bad = [&](auto mutate) {
    WebhookOptions o = ok;
    mutate(o);
    return WebhookNotifier::Start(o).status().code();
  };
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(bad([](WebhookOptions& o) { o.secret.clear(); }), kInvalid);
  EXPECT_EQ(bad([](WebhookOptions& o) { o.urls.clear(); }), kInvalid);
  EXPECT_EQ(bad([](WebhookOptions& o) { o.urls = {"ftp://x/"}; }), kInvalid);
  EXPECT_EQ(bad([](WebhookOptions& o) { o.urls.push_back("x"); }), kInvalid);
  EXPECT_EQ(bad([](WebhookOptions& o) { o.max_attempts = 0; }), kInvalid);
  EXPECT_EQ(
      bad([](WebhookOptions& o) { o.max_backoff = o.initial_backoff / 2; }),
      kInvalid);
  EXPECT_EQ(
      bad([](WebhookOptions& o) { o.initial_backoff = absl::ZeroDuration(); }),
      kInvalid);
  EXPECT_EQ(
      bad([](WebhookOptions& o) { o.request_timeout = absl::ZeroDuration(); }),
      kInvalid);
  EXPECT_EQ(bad([](WebhookOptions& o) { o.queue_limit = 0; }), kInvalid);
  EXPECT_EQ(bad([](WebhookOptions& o) { o.ca_file = "/nonexistent/ca.pem"; }),
            kInvalid);
}

TEST(WebhookNotifierTest, DeliversSignedPayloadWithHeaders) {
  Receiver receiver;
  auto n = WebhookNotifier::Start(FastOptions({receiver.url()}));
  ASSERT_TRUE(n.ok()) << n.status();
  const absl::Time before = absl::Now();
  auto id = (*n)->Notify(FailEvent("verdict-1"));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->size(), 32u);

  auto seen = receiver.WaitFor(1);
  ASSERT_EQ(seen.size(), 1u);
  const HttpRequest& r = seen[0].request;
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/hook");
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("X-Vtpm-Attest-Event-Id"), *id);
  const std::string ts = r.Header("X-Vtpm-Attest-Timestamp");
  int64_t ts_value = std::stoll(ts);
  EXPECT_GE(ts_value, absl::ToUnixSeconds(before));
  EXPECT_LE(ts_value, absl::ToUnixSeconds(absl::Now()));
  EXPECT_TRUE(VerifyWebhookSignature(Secret(), ts, r.body,
                                     r.Header("X-Vtpm-Attest-Signature")));
  EXPECT_FALSE(VerifyWebhookSignature("another secret", ts, r.body,
                                      r.Header("X-Vtpm-Attest-Signature")));

  google::protobuf::Struct payload;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(r.body, &payload).ok())
      << r.body;
  const auto& f = payload.fields();
  EXPECT_EQ(f.at("event_id").string_value(), *id);
  EXPECT_EQ(f.at("kind").string_value(), "FAIL");
  EXPECT_EQ(f.at("previous_status").string_value(), "RESULT_PASS");
  EXPECT_EQ(f.at("created_unix").number_value(), ts_value);
  EXPECT_EQ(
      f.at("identity").struct_value().fields().at("hostname").string_value(),
      "web-\"1\"");
  const auto& verdict = f.at("verdict").struct_value().fields();
  EXPECT_EQ(verdict.at("verdict_id").string_value(), "verdict-1");
  EXPECT_EQ(verdict.at("result").string_value(), "RESULT_FAIL");
  EXPECT_EQ(verdict.at("reasons")
                .list_value()
                .values(0)
                .struct_value()
                .fields()
                .at("code")
                .string_value(),
            "POLICY_PCR_MISMATCH");

  WebhookStats s = WaitStats(**n, [](auto s) { return s.delivered == 1; });
  EXPECT_EQ(s.delivered, 1u);
  EXPECT_EQ(s.attempts, 1u);
  EXPECT_TRUE((*n)->Shutdown(absl::Now() + absl::Seconds(1)));
}

TEST(WebhookNotifierTest, RetriesServerErrorsWithTheSameEventIdAndBackoff) {
  Receiver receiver({500, 503, 200});
  metrics::MetricsRegistry registry;
  auto m = metrics::VerifierMetrics::Create(&registry, "test");
  ASSERT_TRUE(m.ok());
  WebhookOptions o = FastOptions({receiver.url()});
  o.jitter = false;  // backoffs exactly 50 ms, then 100 ms
  o.initial_backoff = absl::Milliseconds(50);
  o.metrics = m->get();
  auto n = WebhookNotifier::Start(o);
  ASSERT_TRUE(n.ok()) << n.status();
  auto id = (*n)->Notify(FailEvent("v-retry"));
  ASSERT_TRUE(id.ok());

  WebhookStats s = WaitStats(**n, [](auto s) { return s.delivered == 1; });
  auto seen = receiver.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(s.attempts, 3u);
  EXPECT_EQ(s.delivered, 1u);
  EXPECT_EQ(s.gave_up, 0u);
  int accepted = 0;
  for (const auto& x : seen) {
    EXPECT_EQ(x.request.Header("X-Vtpm-Attest-Event-Id"), *id);
    EXPECT_EQ(x.request.body, seen[0].request.body);
    EXPECT_TRUE(VerifyWebhookSignature(
        Secret(), x.request.Header("X-Vtpm-Attest-Timestamp"), x.request.body,
        x.request.Header("X-Vtpm-Attest-Signature")));
    if (x.answered == 200) ++accepted;
  }
  EXPECT_EQ(accepted, 1);
  EXPECT_GE(seen[1].at - seen[0].at, absl::Milliseconds(50));
  EXPECT_GE(seen[2].at - seen[1].at, absl::Milliseconds(100));
  EXPECT_EQ((*m)->webhook_deliveries->WithLabels({"delivered"}).Value(), 1);
  // Let a wrongly scheduled extra attempt show up before checking.
  absl::SleepFor(absl::Milliseconds(150));
  EXPECT_EQ(receiver.seen().size(), 3u);
}

TEST(WebhookNotifierTest, RetriesTooManyRequestsAndTimeouts) {
  Receiver receiver({429, 200, 200});
  WebhookOptions o = FastOptions({receiver.url()});
  o.request_timeout = absl::Milliseconds(150);
  auto n = WebhookNotifier::Start(o);
  ASSERT_TRUE(n.ok());
  ASSERT_TRUE((*n)->Notify(FailEvent("v429")).ok());
  WebhookStats s = WaitStats(**n, [](auto s) { return s.delivered == 1; });
  EXPECT_EQ(s.attempts, 2u);

  // A receiver slower than the request timeout: the attempt times out and
  // is retried; the next one is answered in time.
  receiver.SetDelay(absl::Milliseconds(400));
  ASSERT_TRUE((*n)->Notify(FailEvent("v-slow")).ok());
  receiver.WaitFor(3);
  receiver.SetDelay(absl::ZeroDuration());
  s = WaitStats(**n, [](auto s) { return s.delivered == 2; });
  EXPECT_EQ(s.delivered, 2u);
  EXPECT_GE(s.attempts, 4u);
}

TEST(WebhookNotifierTest, ClientErrorIsDroppedWithoutRetry) {
  Receiver receiver({400});
  std::vector<std::string> logs;
  std::mutex logs_mu;
  metrics::MetricsRegistry registry;
  auto m = metrics::VerifierMetrics::Create(&registry, "test");
  ASSERT_TRUE(m.ok());
  WebhookOptions o = FastOptions({receiver.url()});
  o.metrics = m->get();
  o.log = [&](absl::string_view line) {
    std::lock_guard<std::mutex> lock(logs_mu);
    logs.emplace_back(line);
  };
  auto n = WebhookNotifier::Start(o);
  ASSERT_TRUE(n.ok());
  ASSERT_TRUE((*n)->Notify(FailEvent("v400")).ok());
  WebhookStats s = WaitStats(**n, [](auto s) { return s.rejected == 1; });
  EXPECT_EQ(s.rejected, 1u);
  absl::SleepFor(absl::Milliseconds(300));  // > any backoff used here
  EXPECT_EQ(receiver.seen().size(), 1u);
  EXPECT_EQ((*n)->stats().attempts, 1u);
  EXPECT_EQ((*m)->webhook_deliveries->WithLabels({"rejected"}).Value(), 1);
  std::lock_guard<std::mutex> lock(logs_mu);
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_NE(logs[0].find("HTTP 400"), std::string::npos) << logs[0];
}

TEST(WebhookNotifierTest, UnreachableReceiverGivesUpAfterMaxAttempts) {
  metrics::MetricsRegistry registry;
  auto m = metrics::VerifierMetrics::Create(&registry, "test");
  ASSERT_TRUE(m.ok());
  WebhookOptions o = FastOptions(
      {"http://127.0.0.1:" + std::to_string(ClosedPort()) + "/hook"});
  o.max_attempts = 4;
  o.initial_backoff = absl::Milliseconds(5);
  o.max_backoff = absl::Milliseconds(20);
  o.metrics = m->get();
  auto n = WebhookNotifier::Start(o);
  ASSERT_TRUE(n.ok());
  ASSERT_TRUE((*n)->Notify(FailEvent("v-unreachable")).ok());
  WebhookStats s = WaitStats(**n, [](auto s) { return s.gave_up == 1; });
  EXPECT_EQ(s.gave_up, 1u);
  EXPECT_EQ(s.attempts, 4u);
  EXPECT_EQ(s.delivered, 0u);
  EXPECT_EQ((*m)->webhook_deliveries->WithLabels({"gave_up"}).Value(), 1);
}

// A receiver that keeps failing does not hold up events for a healthy one,
// and every URL gets every event with the same id.
TEST(WebhookNotifierTest, FailingUrlDoesNotBlockOtherDeliveries) {
  Receiver healthy;
  Receiver failing({500, 500, 500, 500, 500, 500, 500, 500, 500, 500});
  WebhookOptions o = FastOptions({failing.url(), healthy.url()});
  o.initial_backoff = absl::Milliseconds(300);
  o.max_backoff = absl::Seconds(1);
  o.jitter = false;
  auto n = WebhookNotifier::Start(o);
  ASSERT_TRUE(n.ok());
  auto first = (*n)->Notify(FailEvent("a"));
  auto second = (*n)->Notify(FailEvent("b"));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(*first, *second);
  auto seen = healthy.WaitFor(2);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].request.Header("X-Vtpm-Attest-Event-Id"), *first);
  EXPECT_EQ(seen[1].request.Header("X-Vtpm-Attest-Event-Id"), *second);
  // Both reached the healthy receiver before the failing one's first retry.
  auto failed = failing.seen();
  ASSERT_GE(failed.size(), 2u);
  EXPECT_EQ(failed[0].request.Header("X-Vtpm-Attest-Event-Id"), *first);
  EXPECT_LT(seen[1].at, failed[0].at + absl::Milliseconds(300));
  // Give up quickly: the deadline passes with retries pending.
  EXPECT_FALSE((*n)->Shutdown(absl::Now() + absl::Milliseconds(50)));
  EXPECT_EQ((*n)->stats().shutdown, 2u);
}

TEST(WebhookNotifierTest, QueueOverflowIsCountedAndShutdownDrains) {
  Receiver receiver;
  receiver.Hold();
  metrics::MetricsRegistry registry;
  auto m = metrics::VerifierMetrics::Create(&registry, "test");
  ASSERT_TRUE(m.ok());
  WebhookOptions o = FastOptions({receiver.url()});
  o.queue_limit = 2;
  o.metrics = m->get();
  auto n = WebhookNotifier::Start(o);
  ASSERT_TRUE(n.ok());
  // The first event is in flight (held by the receiver): the queue is empty.
  ASSERT_TRUE((*n)->Notify(FailEvent("1")).ok());
  ASSERT_EQ(receiver.WaitFor(1).size(), 1u);
  ASSERT_TRUE((*n)->Notify(FailEvent("2")).ok());
  ASSERT_TRUE((*n)->Notify(FailEvent("3")).ok());
  // Notify never blocks, even with the worker stuck on a slow receiver.
  const absl::Time t0 = absl::Now();
  auto overflow = (*n)->Notify(FailEvent("4"));
  EXPECT_LT(absl::Now() - t0, absl::Milliseconds(100));
  EXPECT_EQ(overflow.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ((*n)->stats().queue_full, 1u);
  EXPECT_EQ((*m)->webhook_deliveries->WithLabels({"queue_full"}).Value(), 1);

  receiver.Release();
  EXPECT_TRUE((*n)->Shutdown(absl::Now() + absl::Seconds(5)));
  WebhookStats s = (*n)->stats();
  EXPECT_EQ(s.delivered, 3u);
  EXPECT_EQ(s.shutdown, 0u);
  EXPECT_EQ(receiver.seen().size(), 3u);
  EXPECT_EQ((*n)->Notify(FailEvent("5")).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE((*n)->Shutdown(absl::Now()));  // idempotent
}

TEST(WebhookNotifierTest, ShutdownDrainsPendingRetries) {
  Receiver receiver({500});
  WebhookOptions o = FastOptions({receiver.url()});
  o.jitter = false;
  o.initial_backoff = absl::Milliseconds(100);
  auto n = WebhookNotifier::Start(o);
  ASSERT_TRUE(n.ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE((*n)->Notify(FailEvent("d" + std::to_string(i))).ok());
  }
  receiver.WaitFor(1);
  // The retry of the first event is due 100 ms later; Shutdown waits for it.
  const absl::Time t0 = absl::Now();
  EXPECT_TRUE((*n)->Shutdown(absl::Now() + absl::Seconds(3)));
  EXPECT_LT(absl::Now() - t0, absl::Seconds(2));
  WebhookStats s = (*n)->stats();
  EXPECT_EQ(s.delivered, 5u);
  EXPECT_EQ(s.attempts, 6u);
  EXPECT_EQ(receiver.seen().size(), 6u);
}

TEST(WebhookNotifierTest, ShutdownRespectsItsDeadline) {
  WebhookOptions o =
      FastOptions({"http://127.0.0.1:" + std::to_string(ClosedPort()) + "/"});
  o.initial_backoff = absl::Seconds(10);
  o.max_backoff = absl::Seconds(10);
  auto n = WebhookNotifier::Start(o);
  ASSERT_TRUE(n.ok());
  ASSERT_TRUE((*n)->Notify(FailEvent("late")).ok());
  WaitStats(**n, [](auto s) { return s.attempts == 1; });
  const absl::Time t0 = absl::Now();
  EXPECT_FALSE((*n)->Shutdown(absl::Now() + absl::Milliseconds(100)));
  const absl::Duration took = absl::Now() - t0;
  EXPECT_GE(took, absl::Milliseconds(90));
  EXPECT_LT(took, absl::Seconds(1));
  EXPECT_EQ((*n)->stats().shutdown, 1u);
}

TEST(WebhookNotifierTest, ShutdownAbortsARequestInFlightAtTheDeadline) {
  Receiver receiver;
  receiver.Hold();  // never answers until released
  auto n = WebhookNotifier::Start(FastOptions({receiver.url()}));
  ASSERT_TRUE(n.ok());
  ASSERT_TRUE((*n)->Notify(FailEvent("stuck")).ok());
  ASSERT_EQ(receiver.WaitFor(1).size(), 1u);
  const absl::Time t0 = absl::Now();
  EXPECT_FALSE((*n)->Shutdown(absl::Now() + absl::Milliseconds(100)));
  // Well before the 2 s request timeout.
  EXPECT_LT(absl::Now() - t0, absl::Milliseconds(1500));
  EXPECT_EQ((*n)->stats().shutdown, 1u);
  EXPECT_EQ((*n)->stats().delivered, 0u);
  receiver.Release();
}

TEST(WebhookNotifierTest, JitteredBackoffStaysUnderTheCap) {
  Receiver receiver({500, 500, 500, 200});
  WebhookOptions o = FastOptions({receiver.url()});
  o.initial_backoff = absl::Milliseconds(40);
  o.max_backoff = absl::Milliseconds(60);
  auto n = WebhookNotifier::Start(o);
  ASSERT_TRUE(n.ok());
  ASSERT_TRUE((*n)->Notify(FailEvent("j")).ok());
  WaitStats(**n, [](auto s) { return s.delivered == 1; });
  auto seen = receiver.seen();
  ASSERT_EQ(seen.size(), 4u);
  // Caps: 40 ms, then 60 ms (max_backoff), then 60 ms; plus slack for the
  // request itself on a busy machine.
  EXPECT_LT(seen[1].at - seen[0].at, absl::Milliseconds(40 + 150));
  EXPECT_LT(seen[2].at - seen[1].at, absl::Milliseconds(60 + 150));
  EXPECT_LT(seen[3].at - seen[2].at, absl::Milliseconds(60 + 150));
}

}  // namespace
}  // namespace vtpm::notify
