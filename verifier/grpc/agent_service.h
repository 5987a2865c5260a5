// gRPC adapter: serves vtpm_attest.v1.AgentService by feeding each stream's
// messages to an AttestationSession. No attestation logic lives here.
#ifndef VTPM_VERIFIER_GRPC_AGENT_SERVICE_H_
#define VTPM_VERIFIER_GRPC_AGENT_SERVICE_H_

#include <atomic>

#include "verifier/service/attestation_service.h"
#include "vtpm_attest/v1/attest.grpc.pb.h"

namespace vtpm::verifier {

class AgentServiceImpl final : public vtpm_attest::v1::AgentService::Service {
 public:
  explicit AgentServiceImpl(AttestationService* service) : service_(service) {}

  grpc::Status Attest(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<vtpm_attest::v1::VerifierMessage,
                               vtpm_attest::v1::AgentMessage>* stream) override;

  // Makes idle daemon streams return promptly (call before Server::Shutdown).
  void BeginShutdown() { shutting_down_ = true; }

 private:
  AttestationService* service_;
  std::atomic<bool> shutting_down_{false};
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_GRPC_AGENT_SERVICE_H_
