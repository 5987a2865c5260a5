// The Prometheus client and its HTTP endpoint, read back over real HTTP
// (libcurl) and parsed as Prometheus would.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/metrics/scrape.h"
#include "verifier/metrics/http_server.h"
#include "verifier/metrics/metrics_http_server.h"
#include "verifier/metrics/metrics_registry.h"
#include "verifier/metrics/verifier_metrics.h"

namespace vtpm::metrics {
namespace {

using ::vtpm::testing::Exposition;
using ::vtpm::testing::HttpGet;
using ::vtpm::testing::LabelOf;
using ::vtpm::testing::ParseExposition;

std::string Url(const MetricsHttpServer& server, const std::string& path) {
  return "http://" + server.address() + path;
}

Exposition Scrape(const MetricsHttpServer& server) {
  auto got = HttpGet(Url(server, "/metrics"));
  EXPECT_TRUE(got.ok()) << got.status();
  if (!got.ok()) return {};
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->content_type, "text/plain; version=0.0.4; charset=utf-8");
  auto parsed = ParseExposition(got->body);
  EXPECT_TRUE(parsed.ok()) << parsed.status() << "\n" << got->body;
  return parsed.ok() ? *parsed : Exposition{};
}

TEST(MetricsRegistryTest, RejectsBadRegistrations) {
  MetricsRegistry r;
  ASSERT_TRUE(r.AddCounter("ok_total", "x", {"a"}).ok());
  EXPECT_EQ(r.AddCounter("ok_total", "again").status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(r.AddGauge("ok_total", "other type").status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(r.AddCounter("1bad", "x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.AddCounter("bad-name", "x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.AddCounter("c_total", "x", {"__reserved"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.AddCounter("c_total", "x", {"a:b"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.AddCounter("c_total", "x", {"a", "a"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.AddHistogram("h", "x", {"le"}, {1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.AddHistogram("h", "x", {}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.AddHistogram("h", "x", {}, {1, 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.AddHistogram("h", "x", {}, {2, 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.AddHistogram("h", "x", {}, {1, INFINITY}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(r.AddHistogram("h", "x", {}, {1, 2}).ok());
}

TEST(MetricsRegistryTest, WrongLabelCountIsNotExported) {
  MetricsRegistry r;
  auto family = r.AddCounter("c_total", "x", {"a", "b"});
  ASSERT_TRUE(family.ok());
  (*family)->WithLabels({"only-one"}).Inc(5);
  (*family)->WithLabels({"x", "y"}).Inc(2);
  auto e = ParseExposition(r.Serialize());
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->samples.size(), 1u);
  EXPECT_EQ(e->samples.at("c_total{a=\"x\",b=\"y\"}"), 2);
}

TEST(MetricsRegistryTest, CounterIgnoresNegativeAndGaugeGoesBothWays) {
  MetricsRegistry r;
  Counter& c = (*r.AddCounter("c_total", "x"))->WithLabels({});
  Gauge& g = (*r.AddGauge("g", "x"))->WithLabels({});
  c.Inc(3);
  c.Inc(-1);
  c.Inc(NAN);
  g.Set(10);
  g.Dec(2.5);
  g.Inc();
  EXPECT_EQ(c.Value(), 3);
  EXPECT_EQ(g.Value(), 8.5);
}

TEST(MetricsRegistryTest, FormatValue) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(1234567), "1234567");  // no precision loss
  EXPECT_EQ(FormatValue(0.00025), "0.00025");
  EXPECT_EQ(FormatValue(INFINITY), "+Inf");
  EXPECT_EQ(FormatValue(-INFINITY), "-Inf");
  EXPECT_EQ(FormatValue(NAN), "NaN");
}

// Several threads update the same handles and series looked up
// concurrently; the scrape over HTTP shows exact totals and a histogram
// with cumulative buckets.
TEST(MetricsHttpTest, ConcurrentUpdatesScrapedOverHttp) {
  MetricsRegistry registry;
  auto counters =
      registry.AddCounter("test_events_total", "Events.", {"result", "reason"});
  auto hist = registry.AddHistogram("test_latency_seconds", "Latency.", {"op"},
                                    {0.001, 0.01, 0.1});
  ASSERT_TRUE(counters.ok() && hist.ok());
  Counter& pass = (*counters)->WithLabels({"pass", "none"});

  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Histogram& h = (*hist)->WithLabels({"RecordVerdict"});
      Counter& fail = (*counters)->WithLabels({"fail", "NONCE_MISMATCH"});
      for (int i = 0; i < kPerThread; ++i) {
        pass.Inc();
        if (i % 4 == 0) fail.Inc();
        // 0.0005 (bucket 1), 0.005 (2), 0.05 (3), 5 (+Inf) in turn.
        static constexpr double kValues[] = {0.0005, 0.005, 0.05, 5};
        h.Observe(kValues[(i + t) % 4]);
      }
    });
  }
  for (auto& t : threads) t.join();

  auto server = MetricsHttpServer::Start("127.0.0.1:0", &registry);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);
  Exposition e = Scrape(**server);

  EXPECT_EQ(e.types["test_events_total"], "counter");
  EXPECT_EQ(e.types["test_latency_seconds"], "histogram");
  EXPECT_EQ(e.helps["test_events_total"], "Events.");
  EXPECT_EQ(e.samples["test_events_total{result=\"pass\",reason=\"none\"}"],
            kThreads * kPerThread);
  EXPECT_EQ(
      e.samples["test_events_total{result=\"fail\",reason=\"NONCE_MISMATCH\"}"],
      kThreads * kPerThread / 4);

  const std::string h = "test_latency_seconds";
  const std::string op = "op=\"RecordVerdict\"";
  const double quarter = kThreads * kPerThread / 4;
  EXPECT_EQ(e.samples[h + "_bucket{" + op + ",le=\"0.001\"}"], quarter);
  EXPECT_EQ(e.samples[h + "_bucket{" + op + ",le=\"0.01\"}"], 2 * quarter);
  EXPECT_EQ(e.samples[h + "_bucket{" + op + ",le=\"0.1\"}"], 3 * quarter);
  EXPECT_EQ(e.samples[h + "_bucket{" + op + ",le=\"+Inf\"}"], 4 * quarter);
  EXPECT_EQ(e.samples[h + "_count{" + op + "}"], 4 * quarter);
  EXPECT_NEAR(e.samples[h + "_sum{" + op + "}"],
              quarter * (0.0005 + 0.005 + 0.05 + 5), 1e-6 * quarter);
}

TEST(MetricsHttpTest, HistogramBucketBoundsAreInclusive) {
  MetricsRegistry registry;
  Histogram& h = (*registry.AddHistogram("b", "x", {}, {1, 2}))->WithLabels({});
  h.Observe(1);  // le="1"
  h.Observe(2);  // le="2"
  h.Observe(2.0000001);
  auto e = ParseExposition(registry.Serialize());
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->samples["b_bucket{le=\"1\"}"], 1);
  EXPECT_EQ(e->samples["b_bucket{le=\"2\"}"], 2);
  EXPECT_EQ(e->samples["b_bucket{le=\"+Inf\"}"], 3);
}

TEST(MetricsHttpTest, LabelValuesAndHelpAreEscaped) {
  MetricsRegistry registry;
  auto g =
      registry.AddGauge("escaped", "Help with \\ and\nnewline.", {"value"});
  ASSERT_TRUE(g.ok());
  const std::string nasty = "say \"hi\" \\ back\nslash}{,=";
  (*g)->WithLabels({nasty}).Set(7);

  const std::string text = registry.Serialize();
  EXPECT_NE(
      text.find("escaped{value=\"say \\\"hi\\\" \\\\ back\\nslash}{,=\"} 7"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("# HELP escaped Help with \\\\ and\\nnewline.\n"),
            std::string::npos)
      << text;

  auto server = MetricsHttpServer::Start("127.0.0.1:0", &registry);
  ASSERT_TRUE(server.ok()) << server.status();
  Exposition e = Scrape(**server);
  ASSERT_EQ(e.samples.size(), 1u);
  EXPECT_EQ(LabelOf(e.samples.begin()->first, "value"), nasty);
  EXPECT_EQ(e.samples.begin()->second, 7);
  EXPECT_EQ(e.helps["escaped"], "Help with \\ and\nnewline.");
}

TEST(MetricsHttpTest, HealthzFollowsTheCallback) {
  MetricsRegistry registry;
  std::atomic<bool> healthy{true};
  auto server = MetricsHttpServer::Start("127.0.0.1:0", &registry, [&] {
    return healthy.load() ? absl::OkStatus()
                          : absl::UnavailableError("database unreachable");
  });
  ASSERT_TRUE(server.ok()) << server.status();
  auto ok = HttpGet(Url(**server, "/healthz"));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "ok\n");

  healthy = false;
  auto bad = HttpGet(Url(**server, "/healthz"));
  ASSERT_TRUE(bad.ok()) << bad.status();
  EXPECT_EQ(bad->status, 503);
  EXPECT_EQ(bad->body, "database unreachable\n");

  auto missing = HttpGet(Url(**server, "/nothing"));
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
}

TEST(MetricsHttpTest, HealthzWithoutCallbackIsOk) {
  MetricsRegistry registry;
  auto server = MetricsHttpServer::Start("127.0.0.1:0", &registry);
  ASSERT_TRUE(server.ok()) << server.status();
  auto ok = HttpGet(Url(**server, "/healthz?verbose=1"));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->status, 200);
}

TEST(MetricsHttpTest, OnlyGetIsServed) {
  MetricsRegistry registry;
  auto server = MetricsHttpServer::Start("127.0.0.1:0", &registry);
  ASSERT_TRUE(server.ok());
  HttpRequest post{"POST", "/metrics", "/metrics", {}, "x"};
  EXPECT_EQ(ServeMetricsRequest(post, registry, nullptr).status, 405);
}

TEST(MetricsHttpTest, StopClosesThePort) {
  MetricsRegistry registry;
  auto server = MetricsHttpServer::Start("127.0.0.1:0", &registry);
  ASSERT_TRUE(server.ok());
  const std::string url = Url(**server, "/metrics");
  ASSERT_TRUE(HttpGet(url).ok());
  (*server)->Stop();
  (*server)->Stop();  // idempotent
  EXPECT_FALSE(HttpGet(url).ok());
}

TEST(MetricsHttpTest, BusyPortAndBadAddressesFail) {
  MetricsRegistry registry;
  auto first = MetricsHttpServer::Start("127.0.0.1:0", &registry);
  ASSERT_TRUE(first.ok());
  auto second = MetricsHttpServer::Start(
      "127.0.0.1:" + std::to_string((*first)->port()), &registry);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  for (const char* bad :
       {"127.0.0.1", "127.0.0.1:99999", "127.0.0.1:-1", "example.com:80",
        "[::1:80", "[127.0.0.1]:80", ":80", "127.0.0.1:x"}) {
    EXPECT_EQ(MetricsHttpServer::Start(bad, &registry).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(MetricsHttpTest, BindsOnlyTheGivenAddress) {
  auto parsed = ParseListenAddress("[::1]:9464");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->first, "::1");
  EXPECT_EQ(parsed->second, 9464);
  EXPECT_EQ(ParseListenAddress("localhost:1")->first, "127.0.0.1");

  // Bound to 127.0.0.1, the server is not reachable on 127.0.0.2 (also
  // loopback, another address).
  MetricsRegistry registry;
  auto server = MetricsHttpServer::Start("127.0.0.1:0", &registry);
  ASSERT_TRUE(server.ok());
  EXPECT_FALSE(HttpGet("http://127.0.0.2:" + std::to_string((*server)->port()) +
                       "/metrics")
                   .ok());
}

TEST(VerifierMetricsTest, StableNamesAndVerdictLabels) {
  MetricsRegistry registry;
  auto m = VerifierMetrics::Create(&registry, "1.2.3");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(VerifierMetrics::Create(&registry, "1.2.3").status().code(),
            absl::StatusCode::kAlreadyExists);

  vtpm_attest::v1::Verdict pass;
  pass.set_result(vtpm_attest::v1::RESULT_PASS);
  vtpm_attest::v1::Verdict fail;
  fail.set_result(vtpm_attest::v1::RESULT_FAIL);
  auto* reason = fail.add_reasons();
  reason->set_code(vtpm_attest::v1::NONCE_MISMATCH);
  fail.add_reasons()->set_code(vtpm_attest::v1::POLICY_PCR_MISMATCH);
  (*m)->RecordVerdict(pass, absl::Milliseconds(3));
  (*m)->RecordVerdict(pass, absl::Milliseconds(30));
  (*m)->RecordVerdict(fail);
  (*m)->SetIdentityCounts(
      {{vtpm_attest::v1::RESULT_PASS, 5}, {vtpm_attest::v1::RESULT_STALE, 2}});
  (*m)->connected_agents->WithLabels({}).Inc();

  auto server = MetricsHttpServer::Start("127.0.0.1:0", &registry);
  ASSERT_TRUE(server.ok());
  Exposition e = Scrape(**server);
  EXPECT_EQ(e.samples["vtpm_attest_attestations_total{result=\"pass\","
                      "reason=\"none\"}"],
            2);
  EXPECT_EQ(e.samples["vtpm_attest_attestations_total{result=\"fail\","
                      "reason=\"NONCE_MISMATCH\"}"],
            1);
  EXPECT_EQ(e.samples["vtpm_attest_verification_seconds_count"], 2);
  EXPECT_EQ(e.samples["vtpm_attest_verification_seconds_bucket{le=\"0.0001\"}"],
            0);
  EXPECT_EQ(e.samples["vtpm_attest_verification_seconds_bucket{le=\"0.005\"}"],
            1);
  EXPECT_EQ(e.samples["vtpm_attest_verification_seconds_bucket{le=\"10\"}"], 2);
  EXPECT_EQ(e.samples["vtpm_attest_identities{status=\"pass\"}"], 5);
  EXPECT_EQ(e.samples["vtpm_attest_identities{status=\"stale\"}"], 2);
  EXPECT_EQ(e.samples["vtpm_attest_identities{status=\"fail\"}"], 0);
  EXPECT_EQ(e.samples["vtpm_attest_build_info{version=\"1.2.3\"}"], 1);
  EXPECT_EQ(e.samples["vtpm_attest_connected_agents"], 1);
  EXPECT_EQ(e.samples.count("vtpm_attest_streams"), 1u);
  EXPECT_EQ(e.samples.count("vtpm_attest_stale_transitions_total"), 1u);
  for (const char* family :
       {"vtpm_attest_attestations_total", "vtpm_attest_verification_seconds",
        "vtpm_attest_connected_agents", "vtpm_attest_streams",
        "vtpm_attest_enrollments_total", "vtpm_attest_db_seconds",
        "vtpm_attest_db_errors_total", "vtpm_attest_stale_transitions_total",
        "vtpm_attest_webhook_deliveries_total", "vtpm_attest_identities",
        "vtpm_attest_build_info"}) {
    EXPECT_EQ(e.types.count(family), 1u) << family;
  }
}

}  // namespace
}  // namespace vtpm::metrics
