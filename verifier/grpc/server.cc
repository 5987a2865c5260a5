#include "verifier/grpc/server.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/reason.h"
#include "common/status_macros.h"
#include "verifier/service/limits.h"
#include "verifier/store/store.h"

namespace vtpm::verifier {
namespace {

absl::StatusOr<std::string> ReadText(const std::string& path,
                                     const char* what) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", what, " ", path));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "<hostname>/<pid>": unique among replicas, readable in verdicts.
std::string DefaultReplicaName() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return absl::StrCat(host[0] != '\0' ? host : "verifier", "/", getpid());
}

}  // namespace

absl::StatusOr<std::unique_ptr<VerifierServer>> VerifierServer::Start(
    const VerifierConfig& config) {
  if (config.tls_cert.empty() || config.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "a TLS certificate and key are required (--tls-cert, --tls-key); "
        "agents authenticate the verifier by it");
  }
  ASSIGN_OR_RETURN(std::string cert,
                   ReadText(config.tls_cert, "TLS certificate"));
  ASSIGN_OR_RETURN(std::string key, ReadText(config.tls_key, "TLS key"));
  auto trust = TrustStore::LoadDirectory(config.trust_store_dir);
  if (!trust.ok()) return WithContext(trust.status(), "trust store");
  auto policies = PolicySet::LoadDirectory(config.policy_dir);
  if (!policies.ok()) return WithContext(policies.status(), "policies");
  auto store = OpenStore(config.database);
  if (!store.ok()) return WithContext(store.status(), "database");

  std::unique_ptr<VerifierServer> s(new VerifierServer());
  s->store_ = *std::move(store);
  ServiceOptions service_options = config.service;
  if (service_options.replica_name.empty()) {
    service_options.replica_name = DefaultReplicaName();
  }
  s->service_ = std::make_unique<AttestationService>(
      *std::move(trust), FixedPolicies(*std::move(policies)), s->store_,
      service_options);
  s->agent_service_ = std::make_unique<AgentServiceImpl>(
      s->service_.get(), &s->registry_, config.agents);
  HousekeeperOptions hk = config.housekeeping;
  if (hk.replica_name.empty()) hk.replica_name = service_options.replica_name;
  s->housekeeper_ = std::make_unique<Housekeeper>(s->store_.get(),
                                                  &s->registry_, nullptr,
                                                  nullptr, hk);

  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({key, cert});
  ssl.client_certificate_request = GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen, grpc::SslServerCredentials(ssl),
                           &s->port_);
  builder.RegisterService(s->agent_service_.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(kMaxGrpcMessageBytes));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60000);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  s->server_ = builder.BuildAndStart();
  if (!s->server_ || s->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", config.listen));
  }
  RETURN_IF_ERROR_CTX(s->housekeeper_->Start(), "housekeeping");
  return s;
}

void VerifierServer::Wait() { server_->Wait(); }

void VerifierServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  housekeeper_.reset();
  agent_service_->BeginShutdown();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

VerifierServer::~VerifierServer() { Shutdown(); }

}  // namespace vtpm::verifier
