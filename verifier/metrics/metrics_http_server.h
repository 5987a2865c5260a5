// The verifier's operational HTTP endpoint:
//   GET /metrics  the registry in the Prometheus text format 0.0.4
//                 (Content-Type: text/plain; version=0.0.4; charset=utf-8)
//   GET /healthz  200 "ok", or 503 with the health callback's message
// Anything else: 404 (unknown path) or 405 (method other than GET).
// Bind it to loopback or a management network only (the default in the
// verifier configuration is 127.0.0.1:9464): it has no authentication.
#ifndef VTPM_VERIFIER_METRICS_METRICS_HTTP_SERVER_H_
#define VTPM_VERIFIER_METRICS_METRICS_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "verifier/metrics/http_server.h"
#include "verifier/metrics/metrics_registry.h"

namespace vtpm::metrics {

// Returns OK when the process is healthy, otherwise why not.
using HealthCallback = std::function<absl::Status()>;

class MetricsHttpServer {
 public:
  // Serves `registry` (which must outlive the server) on `listen_address`
  // ("host:port", see ParseListenAddress; port 0 picks a free port).
  // `health` may be empty (always healthy); it runs on the server's I/O
  // thread and must be quick. Errors: InvalidArgument for a bad address,
  // Unavailable when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(
      const std::string& listen_address, const MetricsRegistry* registry,
      HealthCallback health = nullptr);

  int port() const { return server_->port(); }
  std::string address() const { return server_->address(); }

  // Stops serving; idempotent (also done by the destructor).
  void Stop() { server_->Stop(); }

 private:
  explicit MetricsHttpServer(std::unique_ptr<HttpServer> server)
      : server_(std::move(server)) {}
  std::unique_ptr<HttpServer> server_;
};

// The response to one request (exposed for tests of the routing).
HttpResponse ServeMetricsRequest(const HttpRequest& request,
                                 const MetricsRegistry& registry,
                                 const HealthCallback& health);

}  // namespace vtpm::metrics

#endif  // VTPM_VERIFIER_METRICS_METRICS_HTTP_SERVER_H_
