// A running verifier: trust store, policies, database, attestation service
// and the TLS gRPC server, assembled from a VerifierConfig. Used by the
// vtpm-attest-verifier binary and by tests that need a real server.
#ifndef VTPM_VERIFIER_GRPC_SERVER_H_
#define VTPM_VERIFIER_GRPC_SERVER_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "verifier/grpc/agent_service.h"
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
  HousekeeperOptions housekeeping;
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
  // Blocks until Shutdown() is called from another thread.
  void Wait();
  // Stops accepting, ends open streams and returns.
  void Shutdown();

 private:
  VerifierServer() = default;
  std::shared_ptr<Store> store_;
  StreamRegistry registry_;
  std::unique_ptr<AttestationService> service_;
  std::unique_ptr<AgentServiceImpl> agent_service_;
  std::unique_ptr<Housekeeper> housekeeper_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_GRPC_SERVER_H_
