#include "verifier/grpc/agent_service.h"

#include <chrono>
#include <thread>
#include <vector>

namespace vtpm::verifier {

using vtpm_attest::v1::AgentMessage;
using vtpm_attest::v1::VerifierMessage;

grpc::Status AgentServiceImpl::Attest(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<VerifierMessage, AgentMessage>* stream) {
  auto session = service_->NewSession(context->peer());
  AgentMessage in;
  std::vector<VerifierMessage> out;
  while (true) {
    if (session->WantsNextRound()) {
      // Daemon mode: the agent speaks only when asked, so wait for the
      // next round without reading.
      auto deadline =
          std::chrono::steady_clock::now() + session->quote_interval();
      while (std::chrono::steady_clock::now() < deadline) {
        if (context->IsCancelled() || shutting_down_) return grpc::Status::OK;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      if (!stream->Write(session->NextRound())) return grpc::Status::OK;
    }
    if (!stream->Read(&in)) break;
    out.clear();
    session->OnMessage(in, &out);
    for (const auto& m : out) {
      if (!stream->Write(m)) return grpc::Status::OK;
    }
    if (session->done()) break;
  }
  return grpc::Status::OK;
}

}  // namespace vtpm::verifier
