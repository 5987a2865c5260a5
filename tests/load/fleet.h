// Load testing: thousands of simulated daemon-mode agents, each with its
// own SoftTpm identity, talking to a verifier over gRPC with the callback
// API (no thread per stream), so one process can hold tens of thousands
// of streams.
//
// Agent behaviour: connect, send Hello (MODE_DAEMON), answer a
// CredentialChallenge with SoftTpm::ActivateCredential and every
// QuoteRequest at once with SoftTpm::Answer; when the stream ends (verdict
// not PASS, verifier restart, ...) reconnect after an exponential backoff
// (200 ms doubling to 10 s, reset by a PASS) until Stop().
#ifndef VTPM_TESTS_LOAD_FLEET_H_
#define VTPM_TESTS_LOAD_FLEET_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/load/histogram.h"
#include "tests/load/soft_tpm.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::load {

struct FleetOptions {
  std::string target;      // "127.0.0.1:PORT"
  std::string tls_ca_pem;  // CA of the verifier's TLS certificate
  std::string tls_server_name = "localhost";
  // Agents whose streams share one HTTP/2 connection (channel). 1 = every
  // agent has its own connection.
  int streams_per_connection = 1;
  // Agents started per second (0: all at once).
  double connect_rate = 0;
  // Labels put in every Hello.
  std::map<std::string, std::string> labels;
};

// An agent's identity: its TPM and its Hello.
struct AgentIdentity {
  std::unique_ptr<SoftTpm> tpm;
  vtpm_attest::v1::Hello hello;
};

// Generates `count` distinct identities with `threads` threads: a SoftTpm
// each (EK, EK certificate from `ca`, AK) with PCRs 0..7 from `image_seed`,
// and a daemon-mode Hello with vm_uuid/hostname/machine_id derived from
// `run_id` and the agent's index.
absl::StatusOr<std::vector<AgentIdentity>> MakeIdentities(
    const SoftEkCa& ca, int count, int threads, uint64_t run_id,
    uint64_t image_seed, const std::map<std::string, std::string>& labels);

// Measurement phases; samples are kept per phase.
enum class Phase { kEnrollment = 0, kSteady = 1, kDrain = 2 };
inline constexpr int kNumPhases = 3;

struct FleetCounters {
  uint64_t streams_started = 0;
  uint64_t streams_ended = 0;
  uint64_t open_streams = 0;
  uint64_t challenges = 0;
  uint64_t quote_requests = 0;
  uint64_t verdicts_pass = 0;
  uint64_t verdicts_other = 0;
  uint64_t enrolled = 0;      // agents with at least one PASS
  uint64_t agent_errors = 0;  // local failures (soft TPM) sent as AgentError
};

class Fleet {
 public:
  Fleet(FleetOptions options, std::vector<AgentIdentity> identities);
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // Creates the channels and starts every agent (paced by connect_rate).
  // Returns once every agent's first stream was started.
  void Start();
  // Ends every stream (TryCancel), stops reconnecting and waits up to
  // `timeout` for all streams to finish. Returns the number still open.
  uint64_t Stop(std::chrono::milliseconds timeout);

  void SetPhase(Phase phase) { phase_.store(static_cast<int>(phase)); }
  FleetCounters counters() const;
  // From sending a QuoteResponse to receiving its Verdict, per phase.
  const LatencyHistogram& verdict_latency(Phase phase) const {
    return *verdict_latency_[static_cast<int>(phase)];
  }
  // From starting an agent's first stream to its first PASS.
  const LatencyHistogram& enrollment_latency() const {
    return enrollment_latency_;
  }
  // Non-PASS verdicts and stream end statuses by description, with counts.
  std::map<std::string, uint64_t> failures() const;
  std::map<std::string, uint64_t> stream_end_statuses() const;
  size_t size() const { return agents_.size(); }

 private:
  class Agent;
  class Stream;
  friend class Agent;
  friend class Stream;

  void ScheduleReconnect(Agent* agent, std::chrono::milliseconds delay);
  void TimerLoop();
  void NoteFailure(const std::string& what);
  void NoteStreamEnd(const std::string& what);

  FleetOptions options_;
  std::vector<std::unique_ptr<Agent>> agents_;
  std::atomic<int> phase_{0};
  std::atomic<bool> stopping_{false};

  std::atomic<uint64_t> streams_started_{0}, streams_ended_{0},
      open_streams_{0}, challenges_{0}, quote_requests_{0}, verdicts_pass_{0},
      verdicts_other_{0}, enrolled_{0}, agent_errors_{0};
  std::unique_ptr<LatencyHistogram> verdict_latency_[kNumPhases];
  LatencyHistogram enrollment_latency_;

  mutable std::mutex failures_mu_;
  std::map<std::string, uint64_t> failures_;
  std::map<std::string, uint64_t> stream_ends_;

  std::mutex timer_mu_;
  std::condition_variable timer_cv_;
  std::multimap<std::chrono::steady_clock::time_point, Agent*> timers_;
  bool quit_ = false;  // guarded by timer_mu_; set by the destructor
  std::thread timer_thread_;
};

}  // namespace vtpm::load

#endif  // VTPM_TESTS_LOAD_FLEET_H_
