// Durable verifier state behind one interface, shared by every verifier
// replica of a fleet: enrolled identities, every verdict with its evidence
// summary, the raw evidence of failed attestations, operator actions
// (audit), stored policies and requests for immediate attestation.
//
// Backends: SQLite (sqlite_store.h, the embedded default, one file in WAL
// mode) and PostgreSQL (postgres_store.h, several replicas). OpenStore()
// picks one from a URL. Both pass the same suite (tests/store/).
//
// Every method is thread-safe. Errors: NotFound when a method that needs an
// existing identity finds none; Unavailable when the database cannot be
// reached (the caller may retry); Internal/DataLoss for anything else.
// Writes that a retry can repeat are idempotent where noted.
#ifndef VTPM_VERIFIER_STORE_STORE_H_
#define VTPM_VERIFIER_STORE_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "vtpm_attest/v1/admin.pb.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::verifier {

// The TPM clock state of the last verified quote of an identity.
struct ClockState {
  uint64_t clock = 0;
  uint32_t reset_count = 0;
  uint32_t restart_count = 0;
};

struct IdentityRecord {
  std::string ek_fingerprint;  // key: SHA-256 (hex) of the EK SPKI
  std::string vm_uuid;
  std::string hostname;
  std::string ek_public;       // TPM2B_PUBLIC wire format
  std::string ek_certificate;  // DER, empty when the TPM has none
  std::string ak_name;         // name of the activated AK; empty until then
  std::string ak_public;       // TPM2B_PUBLIC of the activated AK
  std::string policy;          // name of the policy last applied
  std::map<std::string, std::string> labels;  // the agent's last Hello
  int64_t first_seen_unix = 0;
  int64_t last_seen_unix = 0;
  vtpm_attest::v1::EnrollmentState enrollment =
      vtpm_attest::v1::ENROLLMENT_PENDING;
  // Result of the last verdict, RESULT_STALE when overdue, UNSPECIFIED
  // before the first verdict.
  vtpm_attest::v1::Result status = vtpm_attest::v1::RESULT_UNSPECIFIED;
  int64_t last_verdict_unix = 0;
  // When the next verdict is due (0: none expected).
  int64_t next_due_unix = 0;
  std::optional<ClockState> clock;
};

// What a verdict changes on its identity, written with it atomically.
struct VerdictWrite {
  // The clock of the verified quote; nullopt leaves the stored clock.
  std::optional<ClockState> clock;
  // When the next verdict is due (0: none expected).
  int64_t next_due_unix = 0;
};

// One verdict of a batch for Store::RecordVerdicts. The pointers must stay
// valid for the call.
struct VerdictToRecord {
  const std::string* ek_fingerprint = nullptr;
  const vtpm_attest::v1::Verdict* verdict = nullptr;
  const VerdictWrite* write = nullptr;
};

struct RecordOutcome {
  // False when a verdict with this id was already stored (a retry): then
  // nothing else changed.
  bool inserted = false;
  // The identity's status before this verdict (UNSPECIFIED if the identity
  // does not exist or had none).
  vtpm_attest::v1::Result previous_status = vtpm_attest::v1::RESULT_UNSPECIFIED;
  int64_t seq = 0;  // position in the verdict feed (VerdictsAfter)
};

// A verdict and its position in the feed of all verdicts. Sequence numbers
// increase with insertion, but on PostgreSQL a lower seq may commit (become
// visible) after a higher one: a reader that polls VerdictsAfter must
// re-read a window below the highest seq it saw and skip seqs it already
// handled, or it can miss a verdict.
struct StoredVerdict {
  int64_t seq = 0;
  vtpm_attest::v1::Verdict verdict;
};

struct VerdictQuery {
  std::string ek_fingerprint;  // empty: any
  std::string vm_uuid;         // empty: any
  int64_t since_unix = 0;      // verified_at_unix >= since_unix
  vtpm_attest::v1::Result result = vtpm_attest::v1::RESULT_UNSPECIFIED;
  int limit = 50;
};

struct IdentityQuery {
  vtpm_attest::v1::Result status = vtpm_attest::v1::RESULT_UNSPECIFIED;
  std::string policy;             // empty: any
  std::string vm_uuid;            // empty: any
  std::string after_fingerprint;  // page token: fingerprints > this
  int limit = 100;
};

struct AttestRequest {
  int64_t seq = 0;
  std::string ek_fingerprint;
  int64_t requested_unix = 0;
};

struct AuditRecord {
  int64_t seq = 0;  // assigned by AppendAudit
  int64_t at_unix = 0;
  std::string actor;
  std::string action;
  std::string target;
  std::string detail;
};

// Raw evidence of a failed attestation, kept for diagnosis.
struct FailedEvidence {
  std::string verdict_id;
  std::string ek_fingerprint;
  int64_t created_unix = 0;
  std::string hello;           // serialized vtpm_attest.v1.Hello
  std::string quote_response;  // serialized QuoteResponse (may be empty)
};

struct StoredPolicy {
  std::string name;
  std::string json;
  int64_t updated_unix = 0;
  std::string actor;
  int64_t revision = 0;  // assigned by PutPolicy; increases fleet-wide
};

class Store {
 public:
  virtual ~Store() = default;

  // --- Identities ---------------------------------------------------------

  // The identity with this EK fingerprint, or nullopt.
  virtual absl::StatusOr<std::optional<IdentityRecord>> GetIdentity(
      const std::string& ek_fingerprint) = 0;

  // Identities whose last Hello named `vm_uuid`, most recently seen first.
  virtual absl::StatusOr<std::vector<IdentityRecord>> FindIdentitiesByVmUuid(
      const std::string& vm_uuid) = 0;

  // A page of identities matching `query`, ordered by fingerprint.
  virtual absl::StatusOr<std::vector<IdentityRecord>> ListIdentities(
      const IdentityQuery& query) = 0;

  // Number of identities per status (for metrics).
  virtual absl::StatusOr<std::map<vtpm_attest::v1::Result, int64_t>>
  CountIdentitiesByStatus() = 0;

  // Inserts or updates the descriptive fields (vm_uuid, hostname, EK,
  // policy, labels, last_seen). A new identity is ENROLLMENT_PENDING with
  // first_seen = last_seen. Keeps first_seen, enrollment, the activated AK,
  // status, due time and clock of an existing one. Idempotent.
  virtual absl::Status UpsertIdentity(const IdentityRecord& record) = 0;

  // Records that `ak_name` was proven (by credential activation) to live on
  // the TPM of this EK, and sets ENROLLMENT_ACTIVE. NotFound if unknown.
  virtual absl::Status SetActivatedAk(const std::string& ek_fingerprint,
                                      const std::string& ak_name,
                                      const std::string& ak_public) = 0;

  // Sets the enrollment state. ENROLLMENT_REENROLL also clears the
  // activated AK and the clock. NotFound if unknown.
  virtual absl::Status SetEnrollment(
      const std::string& ek_fingerprint,
      vtpm_attest::v1::EnrollmentState state) = 0;

  // Deletes the identity; its verdicts stay. NotFound if unknown.
  virtual absl::Status ForgetIdentity(const std::string& ek_fingerprint) = 0;

  // Atomically moves every identity whose next_due_unix is set and earlier
  // than `now_unix` and whose status is PASS, FAIL or ERROR to
  // RESULT_STALE, and returns them as they were before (at most `limit`).
  // When replicas race, each identity is returned to exactly one caller.
  virtual absl::StatusOr<std::vector<IdentityRecord>> MarkStale(
      int64_t now_unix, int limit) = 0;

  // --- Verdicts -----------------------------------------------------------

  // Appends a verdict; `verdict.verdict_id()` must be set. In the same
  // transaction, if the identity exists and the verdict is not
  // RESULT_STALE: status = verdict.result, last_verdict = verified_at,
  // next_due and (if set) the clock from `write`. A RESULT_STALE verdict
  // only appends (MarkStale already moved the status). Writing an id that
  // is already stored changes nothing and returns inserted = false.
  virtual absl::StatusOr<RecordOutcome> RecordVerdict(
      const std::string& ek_fingerprint,
      const vtpm_attest::v1::Verdict& verdict, const VerdictWrite& write) = 0;

  // RecordVerdict for each of `batch`, in order; element i of the result is
  // batch[i]'s outcome. Backends write the batch in one transaction (one
  // commit for many attestations); if that fails, each verdict is retried
  // alone, so one bad verdict does not fail the others. The default
  // implementation calls RecordVerdict once per verdict.
  virtual std::vector<absl::StatusOr<RecordOutcome>> RecordVerdicts(
      const std::vector<VerdictToRecord>& batch);

  // Newest first, at most `query.limit`.
  virtual absl::StatusOr<std::vector<vtpm_attest::v1::Verdict>> QueryVerdicts(
      const VerdictQuery& query) = 0;

  // Verdicts with seq > `after_seq`, oldest first, at most `limit`.
  virtual absl::StatusOr<std::vector<StoredVerdict>> VerdictsAfter(
      int64_t after_seq, int limit) = 0;

  // The highest verdict seq (0 when there is none).
  virtual absl::StatusOr<int64_t> LastVerdictSeq() = 0;

  // --- Raw evidence of failures ---------------------------------------------

  // Keeps the raw evidence of a failed attestation. Idempotent per id.
  virtual absl::Status RecordFailedEvidence(const FailedEvidence& e) = 0;
  virtual absl::StatusOr<std::optional<FailedEvidence>> GetFailedEvidence(
      const std::string& verdict_id) = 0;
  // Deletes evidence created before `before_unix`; returns how many.
  virtual absl::StatusOr<int64_t> PruneFailedEvidence(int64_t before_unix) = 0;

  // --- Operator actions
  // -------------------------------------------------------

  // Appends to the audit trail; returns the entry's seq.
  virtual absl::StatusOr<int64_t> AppendAudit(const AuditRecord& entry) = 0;
  // Newest first.
  virtual absl::StatusOr<std::vector<AuditRecord>> ListAudit(int limit) = 0;

  // --- Immediate attestation requests (attest-now)
  // ----------------------------

  // Queues a request; returns its seq.
  virtual absl::StatusOr<int64_t> RequestAttestation(
      const std::string& ek_fingerprint, int64_t now_unix) = 0;
  // Requests with seq > `after_seq`, oldest first.
  virtual absl::StatusOr<std::vector<AttestRequest>> AttestRequestsAfter(
      int64_t after_seq, int limit) = 0;
  // The highest request seq (0 when there is none).
  virtual absl::StatusOr<int64_t> LastAttestRequestSeq() = 0;
  // Deletes requests made before `before_unix`.
  virtual absl::Status PruneAttestRequests(int64_t before_unix) = 0;

  // --- Policies applied through the admin API
  // ---------------------------------

  // Stores (or replaces, by name) a policy; returns its new revision,
  // higher than every revision before it.
  virtual absl::StatusOr<int64_t> PutPolicy(const StoredPolicy& policy) = 0;
  // All stored policies, by name.
  virtual absl::StatusOr<std::vector<StoredPolicy>> ListStoredPolicies() = 0;
  // The highest policy revision (0 when none was stored): replicas poll it
  // to notice a change cheaply.
  virtual absl::StatusOr<int64_t> PolicyRevision() = 0;
};

// Opens the store a URL names, applying schema migrations:
//   "sqlite:/path/verifier.db", "sqlite:///path/verifier.db" or a plain
//   path: SQLite;
//   "postgresql://user@host:port/db?..." or "postgres://...": PostgreSQL
//   (libpq connection URI).
// Migrations are safe when several replicas start at once.
absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& url);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_STORE_STORE_H_
