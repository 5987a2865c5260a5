#include "verifier/metrics/metrics_http_server.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace vtpm::metrics {

HttpResponse ServeMetricsRequest(const HttpRequest& request,
                                 const MetricsRegistry& registry,
                                 const HealthCallback& health) {
  HttpResponse r;
  if (request.path != "/metrics" && request.path != "/healthz") {
    r.status = 404;
    r.body = "not found\n";
    return r;
  }
  if (request.method != "GET") {
    r.status = 405;
    r.headers.emplace_back("Allow", "GET");
    r.body = "method not allowed\n";
    return r;
  }
  if (request.path == "/metrics") {
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = registry.Serialize();
    return r;
  }
  absl::Status status = health ? health() : absl::OkStatus();
  if (status.ok()) {
    r.body = "ok\n";
  } else {
    r.status = 503;
    r.body = absl::StrCat(status.message(), "\n");
  }
  return r;
}

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const std::string& listen_address, const MetricsRegistry* registry,
    HealthCallback health) {
  HttpServerOptions options;
  options.max_body_bytes = 4096;  // GET only
  options.idle_timeout = absl::Seconds(15);
  ASSIGN_OR_RETURN(
      std::unique_ptr<HttpServer> server,
      HttpServer::Start(
          listen_address,
          [registry, health = std::move(health)](const HttpRequest& request) {
            return ServeMetricsRequest(request, *registry, health);
          },
          options));
  return std::unique_ptr<MetricsHttpServer>(
      new MetricsHttpServer(std::move(server)));
}

}  // namespace vtpm::metrics
