// gRPC adapter: serves vtpm_attest.v1.AgentService with gRPC's callback
// API. Each stream is a reactor that feeds the agent's messages to one
// AttestationSession and writes back what it returns; no attestation logic
// lives here. Between daemon rounds a stream holds no thread: the next
// round is a RoundScheduler entry, so one process keeps tens of thousands
// of agents connected.
#ifndef VTPM_VERIFIER_GRPC_AGENT_SERVICE_H_
#define VTPM_VERIFIER_GRPC_AGENT_SERVICE_H_

#include <atomic>
#include <chrono>

#include "verifier/service/attestation_service.h"
#include "verifier/service/round_scheduler.h"
#include "verifier/service/stream_registry.h"
#include "verifier/service/worker_pool.h"
#include "vtpm_attest/v1/attest.grpc.pb.h"

namespace vtpm::verifier {

struct AgentServiceOptions {
  // A stream that owes the verifier an answer (activation or quote) for
  // longer than this is ended; the agent reconnects.
  std::chrono::seconds answer_timeout{120};
  // Threads that run attestation work (0: WorkerPool::DefaultThreads();
  // negative: none, the work runs on gRPC's own callback threads).
  int workers = 0;
};

class AgentServiceImpl final
    : public vtpm_attest::v1::AgentService::CallbackService {
 public:
  // `service` and `registry` must outlive this object and every stream.
  AgentServiceImpl(AttestationService* service, StreamRegistry* registry,
                   AgentServiceOptions options = {});
  ~AgentServiceImpl() override;

  grpc::ServerBidiReactor<vtpm_attest::v1::AgentMessage,
                          vtpm_attest::v1::VerifierMessage>*
  Attest(grpc::CallbackServerContext* context) override;

  // Ends every open stream with UNAVAILABLE so agents reconnect (to another
  // replica); new streams are refused. Call before Server::Shutdown.
  void BeginShutdown();

  RoundScheduler& scheduler() { return scheduler_; }
  WorkerPool& workers() { return workers_; }
  bool inline_work() const { return options_.workers < 0; }
  bool shutting_down() const { return shutting_down_; }

 private:
  AttestationService* service_;
  StreamRegistry* registry_;
  AgentServiceOptions options_;
  std::atomic<bool> shutting_down_{false};
  RoundScheduler scheduler_;
  WorkerPool workers_;
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_GRPC_AGENT_SERVICE_H_
