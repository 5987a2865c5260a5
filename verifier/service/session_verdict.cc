// AttestationSession's verdicts and AttestationService's commit path: a
// verdict about a proven identity is stored before it is sent; one before
// proof is sent to the peer only, counted and audited as an
// unauthenticated attempt.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/reason.h"
#include "verifier/service/attestation_service.h"
#include "verifier/service/limits.h"
#include "verifier/service/verdict_id.h"

namespace vtpm::verifier {
namespace {

using vtpm_attest::v1::Reason;
using vtpm_attest::v1::VerifierMessage;

// The QuoteResponse to keep as raw evidence: whole when small, else
// without its event log (the verdict's summary keeps the log's SHA-256).
std::string KeptQuoteResponse(const vtpm_attest::v1::QuoteResponse& q) {
  if (q.ByteSizeLong() <= kMaxKeptEvidenceBytes) return q.SerializeAsString();
  vtpm_attest::v1::QuoteResponse copy = q;
  copy.clear_event_log();
  return copy.SerializeAsString();
}

}  // namespace

void AttestationSession::MarkProven() {
  proven_ = true;
  ticket_.Proven();
}

void AttestationSession::RecordUnauthenticatedAttempt(const Reason& reason) {
  if (service_->observer_ != nullptr) {
    service_->observer_->OnUnauthenticatedAttempt(reason.code());
  }
  if (!service_->peers_.AllowAudit(peer_address_)) return;
  AuditRecord a;
  a.at_unix = absl::ToUnixSeconds(absl::Now());
  a.actor = absl::StrCat("peer ", peer_);
  a.action = "unauthenticated-attempt";
  a.target = ek_fingerprint_.empty()
                 ? std::string("(no EK)")
                 : absl::StrCat("claimed EK ", ek_fingerprint_);
  std::string detail = absl::StrCat(
      vtpm_attest::v1::ReasonCode_Name(reason.code()), ": ", reason.message());
  if (!hello_.host().vm_uuid().empty()) {
    absl::StrAppend(&detail, " (claimed VM ", hello_.host().vm_uuid(), ")");
  }
  if (detail.size() > 1024) detail = detail.substr(0, 1024) + "...";
  a.detail = std::move(detail);
  // Diagnosis data: losing it must not change the verdict.
  (void)service_->store_->AppendAudit(a);
}

void AttestationSession::EmitVerdict(
    std::vector<Reason> reasons, std::vector<VerifierMessage>* out,
    const vtpm_attest::v1::BootState* boot_state,
    const vtpm_attest::v1::EvidenceSummary* evidence,
    std::optional<ClockState> verified_clock) {
  vtpm_attest::v1::Verdict v;
  if (!proven_ && !reasons.empty()) {
    RecordUnauthenticatedAttempt(reasons.front());
    Reason r;
    r.set_code(vtpm_attest::v1::UNAUTHENTICATED_ATTEMPT);
    r.set_message(
        ek_fingerprint_.empty()
            ? std::string("nothing was recorded: the peer did not name a "
                          "usable EK")
            : absl::StrCat("nothing was recorded for EK ", ek_fingerprint_,
                           ": the peer has not proven that it holds its "
                           "TPM"));
    reasons.push_back(std::move(r));
  }
  bool error = false;
  for (const auto& r : reasons) {
    if (r.code() == vtpm_attest::v1::INTERNAL_ERROR) error = true;
  }
  v.set_result(reasons.empty() ? vtpm_attest::v1::RESULT_PASS
               : error         ? vtpm_attest::v1::RESULT_ERROR
                               : vtpm_attest::v1::RESULT_FAIL);
  v.mutable_identity()->set_vm_uuid(hello_.host().vm_uuid());
  v.mutable_identity()->set_ek_fingerprint(ek_fingerprint_);
  v.mutable_identity()->set_hostname(hello_.host().hostname());
  for (auto& r : reasons) *v.add_reasons() = std::move(r);
  for (const auto& f : findings_) *v.add_findings() = f;
  if (boot_state != nullptr) *v.mutable_boot_state() = *boot_state;
  if (evidence != nullptr) *v.mutable_evidence() = *evidence;
  if (policy_ != nullptr) v.set_policy(policy_->name());
  v.set_replica(service_->options_.replica_name);
  v.set_verified_at_unix(absl::ToUnixSeconds(absl::Now()));
  v.set_verdict_id(NewVerdictId());
  // Daemon mode keeps attesting after a verdict, whatever it says; Fail()
  // ends the stream for failures that make further rounds meaningless.
  state_ = daemon_ ? State::kIdle : State::kDone;
  if (!proven_) {
    // Public data proves nothing: a peer that has not shown it holds the
    // TPM gets its verdict, and no identity record changes because of it.
    state_ = State::kDone;
    VerifierMessage m;
    *m.mutable_verdict() = std::move(v);
    out->push_back(std::move(m));
    return;
  }
  if (v.result() != vtpm_attest::v1::RESULT_PASS &&
      service_->options_.keep_failed_evidence) {
    FailedEvidence raw;
    raw.verdict_id = v.verdict_id();
    raw.ek_fingerprint = ek_fingerprint_;
    raw.created_unix = v.verified_at_unix();
    raw.hello = hello_.SerializeAsString();  // at most kMaxHelloBytes
    if (current_quote_ != nullptr) {
      raw.quote_response = KeptQuoteResponse(*current_quote_);
    }
    // Diagnosis data: losing it must not change the verdict.
    (void)service_->store_->RecordFailedEvidence(raw);
  }
  UncommittedVerdict u;
  u.ek_fingerprint = ek_fingerprint_;
  u.verdict = std::move(v);
  // A daemon agent keeps attesting (after a failure it reconnects), so its
  // next evidence is due whatever this verdict says.
  u.write.next_due_unix = NextDueUnix();
  u.write.clock = verified_clock;
  u.received_at = received_at_;
  if (defer_commits_) {
    uncommitted_ = std::move(u);
    return;
  }
  out->push_back(service_->CommitNow(std::move(u)));
}

std::optional<UncommittedVerdict> AttestationSession::TakeUncommittedVerdict() {
  std::optional<UncommittedVerdict> u = std::move(uncommitted_);
  uncommitted_.reset();
  return u;
}

void AttestationSession::Fail(const absl::Status& status,
                              std::vector<VerifierMessage>* out) {
  EmitVerdict({ToReason(status)}, out);
  state_ = State::kDone;
}

VerifierMessage AttestationService::FinishCommit(
    vtpm_attest::v1::Verdict v, absl::Time received_at,
    absl::StatusOr<RecordOutcome> recorded) {
  if (!recorded.ok()) {
    // A verdict that cannot be recorded is not delivered as PASS.
    v.set_result(vtpm_attest::v1::RESULT_ERROR);
    Reason* r = v.add_reasons();
    r->set_code(vtpm_attest::v1::INTERNAL_ERROR);
    r->set_message(
        absl::StrCat("cannot record verdict: ", recorded.status().message()));
  } else if (recorded->inserted && observer_ != nullptr) {
    observer_->OnVerdict(v, recorded->previous_status,
                         absl::Now() - received_at);
  }
  VerifierMessage m;
  *m.mutable_verdict() = std::move(v);
  return m;
}

VerifierMessage AttestationService::CommitNow(UncommittedVerdict u) {
  auto recorded = store_->RecordVerdict(u.ek_fingerprint, u.verdict, u.write);
  return FinishCommit(std::move(u.verdict), u.received_at, std::move(recorded));
}

void AttestationService::EnableBatchedCommits(size_t max_batch) {
  committer_ = std::make_unique<VerdictCommitter>(store_.get(), max_batch);
}

void AttestationService::Commit(UncommittedVerdict u,
                                std::function<void(VerifierMessage)> send) {
  if (committer_ == nullptr) {
    send(CommitNow(std::move(u)));
    return;
  }
  committer_->Submit(
      std::move(u.ek_fingerprint), std::move(u.verdict), u.write,
      [this, received_at = u.received_at, send = std::move(send)](
          vtpm_attest::v1::Verdict v, absl::StatusOr<RecordOutcome> recorded) {
        send(FinishCommit(std::move(v), received_at, std::move(recorded)));
      });
}

}  // namespace vtpm::verifier
