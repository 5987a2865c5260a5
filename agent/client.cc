#include "agent/client.h"

#include <grpcpp/grpcpp.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/backoff.h"
#include "common/status_macros.h"
#include "vtpm_attest/v1/attest.grpc.pb.h"

namespace vtpm::agent {
namespace {

using vtpm_attest::v1::AgentMessage;
using vtpm_attest::v1::VerifierMessage;

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(
    const ClientOptions& o, const std::string& endpoint) {
  grpc::SslCredentialsOptions ssl;
  if (!o.ca_cert.empty()) {
    std::ifstream in(o.ca_cert);
    if (!in) return absl::NotFoundError("cannot read CA bundle " + o.ca_cert);
    std::stringstream ss;
    ss << in.rdbuf();
    ssl.pem_root_certs = ss.str();
  }
  grpc::ChannelArguments args;
  if (!o.tls_server_name.empty()) {
    args.SetSslTargetNameOverride(o.tls_server_name);
  }
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 60000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000);
  // Small, rare messages: bandwidth-delay probing would only add PINGs.
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  return grpc::CreateCustomChannel(endpoint, grpc::SslCredentials(ssl), args);
}

absl::Status FromGrpc(const grpc::Status& s, absl::string_view what) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(what, ": ", s.error_message()));
}

// Runs one stream until it ends; reports each verdict. Returns the last
// verdict, or the transport error that ended the stream first.
absl::StatusOr<vtpm_attest::v1::Verdict> RunStream(
    Attestor& attestor, const ClientOptions& o, const std::string& endpoint,
    vtpm_attest::v1::Hello::Mode mode, grpc::ClientContext* ctx,
    const std::function<void(const vtpm_attest::v1::Verdict&)>& on_verdict) {
  ASSIGN_OR_RETURN(auto channel, MakeChannel(o, endpoint));
  auto stub = vtpm_attest::v1::AgentService::NewStub(channel);
  auto stream = stub->Attest(ctx);
  ASSIGN_OR_RETURN(AgentMessage hello, attestor.MakeHello(mode));
  // A verifier that refuses the stream (this address is over its limits)
  // answers with a verdict without reading the Hello: when the write
  // fails, that verdict may still be there to read.
  const bool sent = stream->Write(hello);
  std::optional<vtpm_attest::v1::Verdict> last;
  VerifierMessage in;
  while (stream->Read(&in)) {
    if (in.has_verdict()) {
      last = in.verdict();
      if (on_verdict) on_verdict(in.verdict());
      if (mode == vtpm_attest::v1::Hello::MODE_ONCE) break;
      continue;
    }
    auto reply = attestor.Handle(in);
    if (reply.has_value() && !stream->Write(*reply)) break;
  }
  stream->WritesDone();
  grpc::Status st = stream->Finish();
  if (last.has_value()) return *last;
  if (!sent) {
    return FromGrpc(st, absl::StrCat("cannot reach verifier ", endpoint));
  }
  if (!st.ok()) return FromGrpc(st, absl::StrCat("verifier ", endpoint));
  return absl::UnavailableError(absl::StrCat(
      "verifier ", endpoint, " closed the stream without a verdict"));
}

}  // namespace

std::vector<std::string> VerifierEndpoints(const std::string& verifier) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(verifier, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (!part.empty()) out.emplace_back(part);
  }
  return out;
}

absl::StatusOr<vtpm_attest::v1::Verdict> AttestOnce(Attestor& attestor,
                                                    const ClientOptions& o) {
  auto endpoints = VerifierEndpoints(o.verifier);
  if (endpoints.empty()) {
    return absl::InvalidArgumentError("no verifier address given");
  }
  auto deadline = std::chrono::system_clock::now() + o.timeout;
  absl::Status last = absl::UnavailableError("no verifier reached");
  // Each replica in turn until one gives a verdict; a verdict (even FAIL)
  // ends the search.
  for (const auto& endpoint : endpoints) {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline);
    auto v = RunStream(attestor, o, endpoint, vtpm_attest::v1::Hello::MODE_ONCE,
                       &ctx, {});
    if (v.ok()) return v;
    last = v.status();
    if (std::chrono::system_clock::now() >= deadline) break;
  }
  return last;
}

void RunDaemon(
    Attestor& attestor, const ClientOptions& o, const std::atomic<bool>& stop,
    const std::function<void(const vtpm_attest::v1::Verdict&)>& on_verdict) {
  Backoff backoff(std::chrono::seconds(1), std::chrono::minutes(5));
  auto endpoints = VerifierEndpoints(o.verifier);
  if (endpoints.empty()) {
    std::fprintf(stderr, "vtpm-attest-agent: no verifier address given\n");
    return;
  }
  size_t next = 0;
  while (!stop) {
    // Replicas in turn: after a stream ends the next one is tried, so a
    // dead replica's agents move to the others.
    const std::string& endpoint = endpoints[next++ % endpoints.size()];
    grpc::ClientContext ctx;
    std::atomic<bool> finished{false};
    // Cancels the stream when asked to stop.
    std::thread watcher([&] {
      while (!stop && !finished) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      if (stop) ctx.TryCancel();
    });
    bool got_verdict = false;
    auto result =
        RunStream(attestor, o, endpoint, vtpm_attest::v1::Hello::MODE_DAEMON,
                  &ctx, [&](const vtpm_attest::v1::Verdict& v) {
                    got_verdict = true;
                    backoff.Reset();
                    if (on_verdict) on_verdict(v);
                  });
    finished = true;
    watcher.join();
    if (stop) break;
    if (!result.ok()) {
      std::fprintf(stderr, "vtpm-attest-agent: %s\n",
                   std::string(result.status().message()).c_str());
    }
    if (got_verdict) backoff.Reset();
    // With several replicas the first retry goes straight to the next one;
    // backoff applies once every replica was tried.
    auto delay = endpoints.size() > 1 && next % endpoints.size() != 0
                     ? std::chrono::milliseconds(100)
                     : backoff.Next();
    std::fprintf(stderr, "vtpm-attest-agent: reconnecting in %lld ms\n",
                 static_cast<long long>(delay.count()));
    auto until = std::chrono::steady_clock::now() + delay;
    while (!stop && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

}  // namespace vtpm::agent
