// vtpm-attest-verifier: the attestation server.
#include <signal.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "verifier/grpc/server.h"

namespace po = boost::program_options;

namespace {

vtpm::verifier::VerifierServer* g_server = nullptr;

void WaitForSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  std::fprintf(stderr, "vtpm-attest-verifier: signal %d, shutting down\n", sig);
  if (g_server != nullptr) g_server->Shutdown();
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's abseil is built with mutex deadlock detection on, which makes
  // every lock of gRPC's absl::Mutex walk a lock graph: about 5% of the
  // verifier's CPU under load for a debugging aid.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  vtpm::verifier::VerifierConfig cfg;
  std::string config_file;
  std::string port_file;
  unsigned quote_interval = 0, nonce_ttl = 0, stale_grace = 0,
           answer_timeout = 0, retention_days = 0;
  po::options_description opts("vtpm-attest-verifier options");
  opts.add_options()("help,h", "show this help")(
      "config",
      po::value(&config_file)->default_value("/etc/vtpm-attest/verifier.conf"),
      "INI file with the same options (command line wins); missing is fine")(
      "listen", po::value(&cfg.listen)->default_value(cfg.listen),
      "address to serve agents on (host:port; port 0 picks one)")(
      "tls-cert", po::value(&cfg.tls_cert),
      "PEM server certificate (required)")("tls-key", po::value(&cfg.tls_key),
                                           "PEM server private key (required)")(
      "trust-store",
      po::value(&cfg.trust_store_dir)->default_value(cfg.trust_store_dir),
      "directory with one subdirectory of EK CA certificates per platform")(
      "policy-dir", po::value(&cfg.policy_dir)->default_value(cfg.policy_dir),
      "directory of *.json policies")(
      "database", po::value(&cfg.database)->default_value(cfg.database),
      "store: a SQLite file (sqlite:/path or a path) or a PostgreSQL URL "
      "(postgresql://user@host:port/db[?pool_size=N]) shared by replicas")(
      "replica-name", po::value(&cfg.service.replica_name),
      "name of this replica in verdicts (default: hostname:port)")(
      "stale-grace", po::value(&stale_grace)->default_value(30),
      "seconds past two quote intervals before a silent daemon agent is "
      "marked STALE")(
      "answer-timeout", po::value(&answer_timeout)->default_value(120),
      "seconds an agent may take to answer a challenge before its stream "
      "is closed")("evidence-retention-days",
                   po::value(&retention_days)->default_value(14),
                   "days to keep the raw evidence of failed attestations")(
      "workers", po::value(&cfg.agents.workers)->default_value(0),
      "threads that verify evidence; 0 or -1: none, gRPC's own threads "
      "judge (verdicts are stored by one writer thread in batches)")(
      "admin-token-file", po::value(&cfg.admin.token_file),
      "file with the bearer token of the admin API (mode 0600)")(
      "admin-client-ca", po::value(&cfg.admin.client_ca_file),
      "PEM CA that issues admin client certificates (mTLS); with neither "
      "this nor a token file the admin API is off")(
      "metrics-listen", po::value(&cfg.metrics_listen),
      "serve Prometheus /metrics and /healthz on host:port (e.g. "
      "127.0.0.1:9464); empty: off")(
      "webhook-url", po::value(&cfg.webhook_urls)->composing(),
      "POST signed events on FAIL, STALE and RECOVERED here (repeatable)")(
      "webhook-secret-file", po::value(&cfg.webhook_secret_file),
      "HMAC-SHA256 key for webhook signatures")(
      "webhook-ca", po::value(&cfg.webhook_ca_file),
      "PEM CA bundle for https webhook receivers (default: system)")(
      "quote-interval", po::value(&quote_interval)->default_value(300),
      "seconds between quotes for daemon agents when the policy names none")(
      "nonce-ttl", po::value(&nonce_ttl)->default_value(120),
      "seconds a quote nonce stays valid")(
      "max-unproven-streams-per-peer",
      po::value(&cfg.service.peer_limits.max_unproven_streams_per_peer)
          ->default_value(
              cfg.service.peer_limits.max_unproven_streams_per_peer),
      "streams from one address that have not yet proven a TPM (0: no "
      "limit)")(
      "max-unproven-streams",
      po::value(&cfg.service.peer_limits.max_unproven_streams)
          ->default_value(cfg.service.peer_limits.max_unproven_streams),
      "streams from all peers that have not yet proven a TPM (0: no limit)")(
      "streams-per-second-per-peer",
      po::value(&cfg.service.peer_limits.streams_per_second_per_peer)
          ->default_value(cfg.service.peer_limits.streams_per_second_per_peer),
      "new streams per second from one address (IPv6: one /64), with "
      "--stream-burst-per-peer; agents behind one NAT address share it (0: "
      "no limit)")(
      "stream-burst-per-peer",
      po::value(&cfg.service.peer_limits.stream_burst_per_peer)
          ->default_value(cfg.service.peer_limits.stream_burst_per_peer),
      "burst of new streams one address may open at once")(
      "audited-attempts-per-minute",
      po::value(&cfg.service.peer_limits.audited_attempts_per_minute_per_peer)
          ->default_value(
              cfg.service.peer_limits.audited_attempts_per_minute_per_peer),
      "unauthenticated attempts of one address written to the audit trail "
      "per minute (all are counted in metrics)")(
      "max-streams-per-connection",
      po::value(&cfg.max_streams_per_connection)
          ->default_value(cfg.max_streams_per_connection),
      "concurrent streams on one HTTP/2 connection (0: gRPC's default)")(
      "port-file", po::value(&port_file),
      "write the port actually bound to this file once listening");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    if (vm.count("help")) {
      std::cout << opts << "\n";
      return 0;
    }
    std::string cfg_path = vm["config"].as<std::string>();
    std::ifstream in(cfg_path);
    if (in) po::store(po::parse_config_file(in, opts), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "vtpm-attest-verifier: " << e.what() << "\n" << opts << "\n";
    return 2;
  }
  cfg.service.default_quote_interval_seconds = quote_interval;
  cfg.service.nonce_ttl = std::chrono::seconds(nonce_ttl);
  cfg.service.stale_grace = std::chrono::seconds(stale_grace);
  cfg.agents.answer_timeout = std::chrono::seconds(answer_timeout);
  cfg.housekeeping.evidence_retention = std::chrono::hours(24 * retention_days);

  // Block the signals before any thread starts; one thread waits for them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto server = vtpm::verifier::VerifierServer::Start(cfg);
  if (!server.ok()) {
    std::cerr << "vtpm-attest-verifier: " << server.status().message() << "\n";
    return 1;
  }
  g_server = server->get();
  std::fprintf(stderr, "vtpm-attest-verifier: listening on port %d\n",
               (*server)->port());
  if (!port_file.empty()) {
    std::ofstream(port_file) << (*server)->port() << "\n";
  }
  std::thread signals(WaitForSignal);
  signals.detach();
  (*server)->Wait();
  return 0;
}
