// gRPC transport for the Attestor: one bidirectional stream to the
// verifier over TLS. The attestation logic lives in Attestor.
#ifndef VTPM_AGENT_CLIENT_H_
#define VTPM_AGENT_CLIENT_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/attestor.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::agent {

struct ClientOptions {
  // host:port, or several replicas as "host1:port,host2:port" (tried in
  // turn; a DNS name with several addresses also works).
  std::string verifier;
  std::string ca_cert;          // PEM bundle that signs the verifier's cert
  std::string tls_server_name;  // override the name checked in its cert
  std::chrono::seconds timeout{120};  // once mode: whole conversation
};

// Splits ClientOptions.verifier into its endpoints.
std::vector<std::string> VerifierEndpoints(const std::string& verifier);

// Once mode: one stream, ends at the first verdict. Errors are transport
// or TPM failures (no verdict was reached).
absl::StatusOr<vtpm_attest::v1::Verdict> AttestOnce(
    Attestor& attestor, const ClientOptions& options);

// Daemon mode: keeps a stream open and answers every challenge; reconnects
// with exponential backoff and jitter when the stream ends, until `stop`
// becomes true. `on_verdict` is called for every verdict received.
void RunDaemon(
    Attestor& attestor, const ClientOptions& options,
    const std::atomic<bool>& stop,
    const std::function<void(const vtpm_attest::v1::Verdict&)>& on_verdict);

}  // namespace vtpm::agent

#endif  // VTPM_AGENT_CLIENT_H_
