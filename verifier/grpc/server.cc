#include "verifier/grpc/server.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/reason.h"
#include "common/status_macros.h"
#include "verifier/metrics/instrumented_store.h"
#include "verifier/service/limits.h"
#include "verifier/store/store.h"
#include "verifier/version.h"

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

  std::unique_ptr<VerifierServer> s(new VerifierServer());
  ASSIGN_OR_RETURN(s->metrics_, metrics::VerifierMetrics::Create(
                                    &s->metrics_registry_, kVerifierVersion));
  auto store = OpenStore(config.database);
  if (!store.ok()) return WithContext(store.status(), "database");
  s->store_ = std::make_shared<metrics::InstrumentedStore>(*std::move(store),
                                                           s->metrics_.get());
  auto policies = PolicyRegistry::Create(config.policy_dir, s->store_.get());
  if (!policies.ok()) return WithContext(policies.status(), "policies");
  s->policies_ = *std::move(policies);
  for (const auto& problem : s->policies_->Problems()) {
    std::fprintf(stderr, "vtpm-attest-verifier: policy: %s\n", problem.c_str());
  }

  if (!config.webhook_urls.empty()) {
    notify::WebhookOptions w;
    w.urls = config.webhook_urls;
    if (config.webhook_secret_file.empty()) {
      return absl::InvalidArgumentError(
          "webhooks need a secret (--webhook-secret-file) to sign events");
    }
    ASSIGN_OR_RETURN(w.secret,
                     ReadText(config.webhook_secret_file, "webhook secret"));
    w.ca_file = config.webhook_ca_file;
    w.metrics = s->metrics_.get();
    w.log = [](absl::string_view line) {
      std::fprintf(stderr, "vtpm-attest-verifier: webhook: %.*s\n",
                   static_cast<int>(line.size()), line.data());
    };
    auto notifier = notify::WebhookNotifier::Start(w);
    if (!notifier.ok()) return WithContext(notifier.status(), "webhooks");
    s->webhooks_ = *std::move(notifier);
  }
  s->observer_ =
      std::make_unique<FleetObserver>(s->metrics_.get(), s->webhooks_.get());

  ServiceOptions service_options = config.service;
  if (service_options.replica_name.empty()) {
    service_options.replica_name = DefaultReplicaName();
  }
  PolicyRegistry* registry = s->policies_.get();
  s->service_ = std::make_unique<AttestationService>(
      *std::move(trust), [registry] { return registry->Current(); }, s->store_,
      service_options, s->observer_.get());
  // Verdicts are stored by one writer thread in batches (group commit):
  // judging never waits for the database, and one commit serves all the
  // verdicts judged meanwhile, on SQLite and PostgreSQL alike.
  s->service_->EnableBatchedCommits();
  AgentServiceOptions agent_options = config.agents;
  if (agent_options.workers == 0) {
    // Judging is CPU work only: it runs on gRPC's own callback threads,
    // which saves a thread hand-off per message.
    agent_options.workers = -1;
  }
  s->agent_service_ = std::make_unique<AgentServiceImpl>(
      s->service_.get(), &s->registry_, agent_options);

  // The admin API, only when it can authenticate someone.
  auto auth = AdminAuth::Create(config.admin);
  if (!auth.ok()) return WithContext(auth.status(), "admin API");
  s->admin_auth_ = *std::move(auth);
  if (s->admin_auth_->Enabled()) {
    auto feed = VerdictFeed::Start(s->store_.get());
    if (!feed.ok()) return WithContext(feed.status(), "admin API");
    s->feed_ = *std::move(feed);
    s->admin_core_ = std::make_unique<AdminCore>(
        s->store_.get(), s->policies_.get(), s->feed_.get());
    s->admin_service_ =
        MakeAdminService(s->admin_core_.get(), s->admin_auth_.get());
  }

  HousekeeperOptions hk = config.housekeeping;
  if (hk.replica_name.empty()) hk.replica_name = service_options.replica_name;
  VerifierServer* self = s.get();
  hk.on_tick = [self] { self->RefreshGauges(); };
  s->housekeeper_ = std::make_unique<Housekeeper>(
      s->store_.get(), &s->registry_, s->observer_.get(),
      [registry]() -> absl::Status {
        auto polled = registry->PollOnce();
        return polled.ok() ? absl::OkStatus() : polled.status();
      },
      hk);

  // Agents authenticate by their TPM, not by TLS client certificates; with
  // an admin client CA the listener asks for (but does not require) one,
  // and AdminAuth checks it chains to that CA.
  grpc::SslServerCredentialsOptions ssl;
  if (!s->admin_auth_->client_ca_pem().empty()) {
    ssl = AdminTlsOptions(cert, key, {s->admin_auth_->client_ca_pem()});
  } else {
    ssl.pem_key_cert_pairs.push_back({key, cert});
    ssl.client_certificate_request = GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen, grpc::SslServerCredentials(ssl),
                           &s->port_);
  builder.RegisterService(s->agent_service_.get());
  if (s->admin_service_) builder.RegisterService(s->admin_service_.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(kMaxGrpcMessageBytes));
  // One agent needs one stream; a peer that opens many on one connection
  // is refused by HTTP/2 itself (PeerLimits bound them across
  // connections).
  // A connection that does not finish its TLS handshake soon holds a file
  // descriptor for nothing (gRPC's default waits 120 s).
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, 10000);
  if (config.max_streams_per_connection > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                               config.max_streams_per_connection);
  }
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60000);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Attestation messages are small and rare: bandwidth-delay probing (a
  // PING and its ACK after reads) would only add system calls per round.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  s->server_ = builder.BuildAndStart();
  if (!s->server_ || s->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", config.listen));
  }
  if (!config.metrics_listen.empty()) {
    auto http = metrics::MetricsHttpServer::Start(
        config.metrics_listen, &s->metrics_registry_, [self] {
          return self->shut_down_ ? absl::UnavailableError("shutting down")
                                  : absl::OkStatus();
        });
    if (!http.ok()) return WithContext(http.status(), "metrics");
    s->metrics_http_ = *std::move(http);
  }
  RETURN_IF_ERROR_CTX(s->housekeeper_->Start(), "housekeeping");
  return s;
}

void VerifierServer::RefreshGauges() {
  metrics_->streams->WithLabels({}).Set(
      static_cast<double>(registry_.streams()));
  metrics_->connected_agents->WithLabels({}).Set(
      static_cast<double>(registry_.agents()));
  auto now = std::chrono::steady_clock::now();
  if (now >= next_identity_count_) {
    next_identity_count_ = now + std::chrono::seconds(30);
    auto counts = store_->CountIdentitiesByStatus();
    if (counts.ok()) metrics_->SetIdentityCounts(*counts);
  }
}

void VerifierServer::Wait() { server_->Wait(); }

void VerifierServer::Shutdown() {
  // Also runs on a half-built server whose Start() failed.
  if (shut_down_.exchange(true)) return;
  housekeeper_.reset();
  if (admin_service_) admin_service_->Shutdown();
  if (feed_) feed_->Shutdown();
  if (agent_service_) agent_service_->BeginShutdown();
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::seconds(2));
  }
  if (metrics_http_) metrics_http_->Stop();
  // Give queued webhook events a moment to leave.
  if (webhooks_) webhooks_->Shutdown(absl::Now() + absl::Seconds(5));
}

VerifierServer::~VerifierServer() { Shutdown(); }

}  // namespace vtpm::verifier
