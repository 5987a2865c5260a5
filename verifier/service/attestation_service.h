// The verifier's attestation logic, free of any transport. The gRPC
// adapter (verifier/grpc) feeds each stream's messages to one
// AttestationSession and writes back what it returns; tests can drive a
// session directly.
//
// Conversation (see proto/vtpm_attest/v1/attest.proto):
//   Hello -> [CredentialChallenge -> ActivationAnswer] -> QuoteRequest
//         -> QuoteResponse -> Verdict [-> QuoteRequest ... in daemon mode]
#ifndef VTPM_VERIFIER_SERVICE_ATTESTATION_SERVICE_H_
#define VTPM_VERIFIER_SERVICE_ATTESTATION_SERVICE_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "verifier/ek/ek_certificate.h"
#include "verifier/ek/trust_store.h"
#include "verifier/policy/policy.h"
#include "verifier/quote/nonce_store.h"
#include "verifier/quote/prepared_ak.h"
#include "verifier/service/observer.h"
#include "verifier/service/peer_limiter.h"
#include "verifier/service/prepared_ak_cache.h"
#include "verifier/store/store.h"
#include "verifier/store/verdict_committer.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::verifier {

struct ServiceOptions {
  // How long a quote nonce stays valid.
  std::chrono::seconds nonce_ttl{120};
  // Seconds between quotes in daemon mode when the policy names none.
  uint32_t default_quote_interval_seconds = 300;
  // Each round is scheduled at the interval times a random factor in
  // [1 - jitter, 1 + jitter], so a fleet that connected at once spreads out.
  double quote_interval_jitter = 0.1;
  // A daemon agent's evidence is due two intervals plus this after its
  // last verdict; after that the identity becomes STALE.
  std::chrono::seconds stale_grace{30};
  // Keep the raw Hello and QuoteResponse of failed attestations.
  bool keep_failed_evidence = true;
  // AKs kept in OpenSSL form between sessions.
  size_t prepared_ak_cache_size = 50000;
  // Names this verifier in verdicts (Verdict.replica).
  std::string replica_name;
  // What a peer that has not proven it holds a TPM may make the verifier
  // do (streams, their rate, audit entries).
  PeerLimits peer_limits;
};

// Where sessions get the current policy set. Called once per Hello; the
// session keeps the returned set for the life of its stream.
using PolicySource = std::function<std::shared_ptr<const PolicySet>()>;

// A PolicySource that always returns `policies`.
PolicySource FixedPolicies(PolicySet policies);

class AttestationSession;

// A verdict judged but not yet stored (see
// AttestationSession::DeferVerdictCommits).
struct UncommittedVerdict {
  std::string ek_fingerprint;
  vtpm_attest::v1::Verdict verdict;
  VerdictWrite write;
  absl::Time received_at;  // when its evidence arrived (latency metric)
};

// Shared by every stream: trust store, policies, storage and nonces.
// Thread-safe.
class AttestationService {
 public:
  // `store` is shared with the rest of the verifier (admin API,
  // housekeeping). `observer` may be null; it must outlive the service.
  AttestationService(TrustStore trust, PolicySource policies,
                     std::shared_ptr<Store> store, ServiceOptions options,
                     ServiceObserver* observer = nullptr);
  ~AttestationService();

  // A session for one agent stream. `peer` is the transport's name of the
  // connection ("ipv4:10.0.0.5:41234"): it names the connection in logs and
  // the audit trail, and its address (PeerAddress) is what PeerLimits count.
  std::unique_ptr<AttestationSession> NewSession(std::string peer);

  Store& store() { return *store_; }
  const ServiceOptions& options() const { return options_; }

  // From now on Commit() stores verdicts through a VerdictCommitter: one
  // writer thread, up to `max_batch` verdicts per transaction. Call before
  // the first Commit(). Without it Commit() writes synchronously.
  void EnableBatchedCommits(size_t max_batch = 512);

  // Stores a deferred verdict, then calls `send` with the message to send
  // the agent: the verdict, or an ERROR verdict if it could not be stored
  // (never a PASS that is not on record). Also reports it to the observer.
  // With batched commits `send` runs on the committer's thread, later;
  // it must not block.
  void Commit(UncommittedVerdict verdict,
              std::function<void(vtpm_attest::v1::VerifierMessage)> send);

 private:
  friend class AttestationSession;
  // Stores `verdict` on this thread; then as FinishCommit.
  vtpm_attest::v1::VerifierMessage CommitNow(UncommittedVerdict verdict);
  vtpm_attest::v1::VerifierMessage FinishCommit(
      vtpm_attest::v1::Verdict verdict, absl::Time received_at,
      absl::StatusOr<RecordOutcome> recorded);

  TrustStore trust_;
  PolicySource policies_;
  std::shared_ptr<Store> store_;
  ServiceOptions options_;
  ServiceObserver* observer_;
  // Nonces are keyed by session (stream), never by the EK a peer claims:
  // a nonce belongs to the stream that asked for it.
  NonceStore nonces_;
  PeerLimiter peers_;
  std::atomic<uint64_t> next_session_ = 0;
  PreparedAkCache prepared_aks_;
  // Last member: destroyed first, storing what is queued while the store
  // and observer still exist.
  std::unique_ptr<VerdictCommitter> committer_;
};

// One agent's conversation. Not thread-safe: one stream drives it.
class AttestationSession {
 public:
  AttestationSession(AttestationService* service, std::string peer);

  // Admits the stream (PeerLimits): call before reading the first message.
  // A peer over its limits gets a FAIL verdict (RATE_LIMITED) in `out` and
  // done() becomes true. OnMessage calls it if the transport did not.
  void Start(std::vector<vtpm_attest::v1::VerifierMessage>* out);

  // Handles one message from the agent and appends the replies to `out`.
  // Never fails: errors become a FAIL or ERROR Verdict in `out`, after which
  // done() is true.
  void OnMessage(const vtpm_attest::v1::AgentMessage& msg,
                 std::vector<vtpm_attest::v1::VerifierMessage>* out);

  // True when the stream should be closed (once-mode verdict sent, or the
  // conversation failed).
  bool done() const { return state_ == State::kDone; }

  // In daemon mode, after a verdict: true when the verifier should start
  // another quote round (NextRound() returns its request) after
  // NextRoundDelay().
  bool WantsNextRound() const { return state_ == State::kIdle; }
  vtpm_attest::v1::VerifierMessage NextRound();
  std::chrono::seconds quote_interval() const;
  // The quote interval with jitter applied (a fresh draw per call).
  std::chrono::milliseconds NextRoundDelay() const;

  // True after a Hello was accepted from a daemon-mode agent.
  bool daemon() const { return daemon_; }
  // The EK fingerprint the Hello names, once its EK parsed (else empty).
  // Only a claim until proven() is true.
  const std::string& ek_fingerprint() const { return ek_fingerprint_; }
  // True once the peer proved it holds the TPM of that EK: credential
  // activation of a new AK, or a quote by the enrolled AK over a nonce
  // issued to this session. Nothing is written for the identity, no
  // verdict stored under it and no other stream of it displaced before.
  bool proven() const { return proven_; }

  // From now on a verdict for a known EK is not stored inside OnMessage
  // and not appended to `out`: TakeUncommittedVerdict() returns it after
  // the OnMessage that judged it, and the caller passes it to
  // AttestationService::Commit, which sends it once stored. This lets one
  // transaction store many streams' verdicts. (Verdicts before the EK is
  // known are never stored and still go to `out`.)
  void DeferVerdictCommits() { defer_commits_ = true; }
  std::optional<UncommittedVerdict> TakeUncommittedVerdict();

 private:
  enum class State { kAwaitHello, kAwaitActivation, kAwaitQuote, kIdle, kDone };

  absl::Status HandleHello(const vtpm_attest::v1::Hello& hello,
                           std::vector<vtpm_attest::v1::VerifierMessage>* out);
  // What the fleet knows about this EK and VM, read (never written) at the
  // Hello: whether the stored AK may be trusted (else credential
  // activation runs) and which identities a successful activation retires
  // (session_identity.cc).
  absl::Status PlanIdentity();
  // The identity rules, once possession is proven: a known EK under
  // another VM UUID (EK_VM_UUID_CHANGED), a retired EK or a known VM with
  // another EK (EK_CHANGED). Then records the identity (descriptive
  // fields, and with `activated_ak` the AK and retirements).
  absl::Status JudgeAndRecordIdentity(bool activated_ak);
  // The identity record this Hello describes.
  IdentityRecord HelloRecord() const;
  // Possession proven: releases the unproven-stream ticket.
  void MarkProven();
  // A failure before proof: counted, audited (rate-limited per peer),
  // never recorded against the identity.
  void RecordUnauthenticatedAttempt(const vtpm_attest::v1::Reason& reason);
  absl::Status HandleActivation(
      const vtpm_attest::v1::ActivationAnswer& answer,
      std::vector<vtpm_attest::v1::VerifierMessage>* out);
  absl::Status HandleQuote(const vtpm_attest::v1::QuoteResponse& quote,
                           std::vector<vtpm_attest::v1::VerifierMessage>* out);
  vtpm_attest::v1::VerifierMessage MakeQuoteRequest();
  // Classifies a quote whose nonce did not match: replayed, expired or
  // simply wrong.
  absl::Status ClassifyNonceFailure(const std::string& attest,
                                    const absl::Status& mismatch);
  // Records and emits a verdict; `reasons` empty means PASS. `boot_state`
  // (may be null) is what the verified event log said.
  void EmitVerdict(std::vector<vtpm_attest::v1::Reason> reasons,
                   std::vector<vtpm_attest::v1::VerifierMessage>* out,
                   const vtpm_attest::v1::BootState* boot_state = nullptr,
                   const vtpm_attest::v1::EvidenceSummary* evidence = nullptr,
                   std::optional<ClockState> verified_clock = std::nullopt);
  // Unix time when the next verdict is due (0 outside daemon mode).
  int64_t NextDueUnix() const;
  void Fail(const absl::Status& status,
            std::vector<vtpm_attest::v1::VerifierMessage>* out);

  AttestationService* service_;
  std::shared_ptr<const PolicySet> policies_;
  std::string peer_;
  std::string peer_address_;  // PeerAddress(peer_)
  // This session's key in the nonce store.
  std::string session_key_;
  State state_ = State::kAwaitHello;
  bool daemon_ = false;
  bool started_ = false;
  bool proven_ = false;
  PeerLimiter::Ticket ticket_;

  // Verified state gathered along the conversation.
  vtpm_attest::v1::Hello hello_;
  const Policy* policy_ = nullptr;
  std::string ek_fingerprint_;
  TPMT_PUBLIC ek_public_ = {};
  std::optional<VerifiedEkCert> ek_cert_;
  // Accepted only because the policy opts in; on every verdict.
  std::vector<vtpm_attest::v1::Reason> findings_;
  TPMT_PUBLIC ak_public_ = {};
  std::shared_ptr<const PreparedAk> prepared_ak_;
  std::string expected_secret_;
  std::string nonce_;
  absl::Time nonce_issued_at_;
  std::optional<ClockState> clock_;
  bool defer_commits_ = false;
  std::optional<UncommittedVerdict> uncommitted_;
  // PlanIdentity's reading of the store.
  std::optional<IdentityRecord> known_;
  std::vector<IdentityRecord> same_vm_;
  bool force_activation_ = false;
  // Identities of this VM that a successful activation retires (the
  // operator re-enrolled the VM with a new EK).
  std::vector<std::string> retire_on_activation_;
  // The QuoteResponse being handled (for the raw evidence of a failure).
  const vtpm_attest::v1::QuoteResponse* current_quote_ = nullptr;
  // When the evidence being judged arrived (verification latency).
  absl::Time received_at_;
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_SERVICE_ATTESTATION_SERVICE_H_
