// A running verifier: trust store, policies, database, attestation service
// and the TLS gRPC server, assembled from a VerifierConfig. Used by the
// vtpm-attest-verifier binary and by tests that need a real server.
#ifndef VTPM_VERIFIER_GRPC_SERVER_H_
#define VTPM_VERIFIER_GRPC_SERVER_H_

#include <grpcpp/server.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "verifier/admin/admin_auth.h"
#include "verifier/admin/admin_core.h"
#include "verifier/admin/admin_service.h"
#include "verifier/admin/verdict_feed.h"
#include "verifier/grpc/agent_service.h"
#include "verifier/grpc/fleet_observer.h"
#include "verifier/metrics/metrics_http_server.h"
#include "verifier/metrics/verifier_metrics.h"
#include "verifier/notify/webhook_notifier.h"
#include "verifier/policy/policy_registry.h"
#include "verifier/service/attestation_service.h"
#include "verifier/service/housekeeper.h"
#include "verifier/service/stream_registry.h"

namespace vtpm::verifier {

struct VerifierConfig {
  // host:port; port 0 picks a free port (see VerifierServer::port()).
  std::string listen = "[::]:7443";
  std::string tls_cert;  // PEM server certificate (chain)
  std::string tls_key;   // PEM private key
  std::string trust_store_dir = "/etc/vtpm-attest/trust";
  std::string policy_dir = "/etc/vtpm-attest/policies";
  // Store URL (see OpenStore): a SQLite path or a postgresql:// URL.
  std::string database = "/var/lib/vtpm-attest/verifier.db";
  ServiceOptions service;
  AgentServiceOptions agents;
  // Concurrent streams one HTTP/2 connection may carry (agents use one).
  int max_streams_per_connection = 16;
  HousekeeperOptions housekeeping;
  // Admin API authentication; with neither set the admin API is off.
  AdminAuthConfig admin;
  // Prometheus /metrics and /healthz ("host:port"; empty: off).
  std::string metrics_listen;
  // Webhooks on FAIL/STALE/RECOVERED (no URLs: off).
  std::vector<std::string> webhook_urls;
  std::string webhook_secret_file;
  std::string webhook_ca_file;
};

class VerifierServer {
 public:
  // Loads everything and starts listening. Errors name the file or
  // address at fault.
  static absl::StatusOr<std::unique_ptr<VerifierServer>> Start(
      const VerifierConfig& config);
  ~VerifierServer();

  int port() const { return port_; }
  AttestationService& service() { return *service_; }
  StreamRegistry& streams() { return registry_; }
  Housekeeper& housekeeper() { return *housekeeper_; }
  PolicyRegistry& policies() { return *policies_; }
  // 0 when metrics are off.
  int metrics_port() const { return metrics_http_ ? metrics_http_->port() : 0; }
  // Blocks until Shutdown() is called from another thread.
  void Wait();
  // Stops accepting, ends open streams and returns.
  void Shutdown();

 private:
  VerifierServer() = default;
  // Sets the streams, agents and (every 30 s) identities gauges.
  void RefreshGauges();
  std::chrono::steady_clock::time_point next_identity_count_;
  metrics::MetricsRegistry metrics_registry_;
  std::unique_ptr<metrics::VerifierMetrics> metrics_;
  std::unique_ptr<notify::WebhookNotifier> webhooks_;
  std::unique_ptr<FleetObserver> observer_;
  std::shared_ptr<Store> store_;
  std::unique_ptr<PolicyRegistry> policies_;
  std::unique_ptr<VerdictFeed> feed_;
  std::unique_ptr<AdminAuth> admin_auth_;
  std::unique_ptr<AdminCore> admin_core_;
  std::unique_ptr<AdminServiceImpl> admin_service_;
  std::unique_ptr<metrics::MetricsHttpServer> metrics_http_;
  StreamRegistry registry_;
  std::unique_ptr<AttestationService> service_;
  std::unique_ptr<AgentServiceImpl> agent_service_;
  std::unique_ptr<Housekeeper> housekeeper_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::atomic<bool> shut_down_{false};
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_GRPC_SERVER_H_
