#include "verifier/store/sqlite_store.h"

#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "verifier/store/store_codec.h"

namespace vtpm::verifier {
namespace {

namespace v1 = vtpm_attest::v1;
using store_internal::LabelsFromJson;
using store_internal::LabelsToJson;
using store_internal::ReasonCodesText;

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// Schema migrations, applied in order; user_version records how many ran.
// Migration 1 is the schema of the first release and must never change.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE identities (
  ek_fingerprint TEXT PRIMARY KEY,
  vm_uuid TEXT NOT NULL,
  hostname TEXT NOT NULL,
  ek_public BLOB NOT NULL,
  ek_certificate BLOB NOT NULL,
  ak_name BLOB NOT NULL DEFAULT x'',
  ak_public BLOB NOT NULL DEFAULT x'',
  policy TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  clock INTEGER,
  reset_count INTEGER,
  restart_count INTEGER
);
CREATE INDEX identities_vm_uuid ON identities(vm_uuid);
CREATE TABLE verdicts (
  verdict_id TEXT PRIMARY KEY,
  ek_fingerprint TEXT NOT NULL,
  vm_uuid TEXT NOT NULL,
  result INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  verdict BLOB NOT NULL
);
CREATE INDEX verdicts_by_identity ON verdicts(ek_fingerprint, created_at);
)sql",
    // 2: fleet state. The verdict table is rebuilt to get a stable seq
    // (an INTEGER PRIMARY KEY survives VACUUM, rowid does not).
    R"sql(
ALTER TABLE identities ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';
ALTER TABLE identities ADD COLUMN enrollment INTEGER NOT NULL DEFAULT 1;
ALTER TABLE identities ADD COLUMN status INTEGER NOT NULL DEFAULT 0;
ALTER TABLE identities ADD COLUMN last_verdict INTEGER NOT NULL DEFAULT 0;
ALTER TABLE identities ADD COLUMN next_due INTEGER NOT NULL DEFAULT 0;
UPDATE identities SET enrollment = 2 WHERE length(ak_name) > 0;
CREATE INDEX identities_status ON identities(status);
CREATE INDEX identities_policy ON identities(policy);
CREATE INDEX identities_due ON identities(next_due) WHERE next_due > 0;
CREATE TABLE verdicts_v2 (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  verdict_id TEXT NOT NULL UNIQUE,
  ek_fingerprint TEXT NOT NULL,
  vm_uuid TEXT NOT NULL,
  result INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  policy TEXT NOT NULL DEFAULT '',
  reasons TEXT NOT NULL DEFAULT '',
  replica TEXT NOT NULL DEFAULT '',
  verdict BLOB NOT NULL
);
INSERT INTO verdicts_v2 (verdict_id, ek_fingerprint, vm_uuid, result,
                         created_at, verdict)
  SELECT verdict_id, ek_fingerprint, vm_uuid, result, created_at, verdict
  FROM verdicts ORDER BY rowid;
DROP TABLE verdicts;
ALTER TABLE verdicts_v2 RENAME TO verdicts;
CREATE INDEX verdicts_by_identity ON verdicts(ek_fingerprint, created_at);
CREATE INDEX verdicts_by_vm ON verdicts(vm_uuid, created_at);
CREATE INDEX verdicts_by_time ON verdicts(created_at);
UPDATE identities SET
  status = coalesce((SELECT v.result FROM verdicts v
                     WHERE v.ek_fingerprint = identities.ek_fingerprint
                     ORDER BY v.created_at DESC, v.seq DESC LIMIT 1), 0),
  last_verdict = coalesce((SELECT max(v.created_at) FROM verdicts v
                     WHERE v.ek_fingerprint = identities.ek_fingerprint), 0);
CREATE TABLE failed_evidence (
  verdict_id TEXT PRIMARY KEY,
  ek_fingerprint TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  hello BLOB NOT NULL,
  quote_response BLOB NOT NULL
);
CREATE INDEX failed_evidence_created ON failed_evidence(created_at);
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE TABLE attest_requests (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  ek_fingerprint TEXT NOT NULL,
  requested_at INTEGER NOT NULL
);
CREATE INDEX attest_requests_time ON attest_requests(requested_at);
CREATE TABLE policies (
  name TEXT PRIMARY KEY,
  json TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  revision INTEGER NOT NULL
);
)sql",
};
constexpr int kSchemaVersion = sizeof(kMigrations) / sizeof(kMigrations[0]);

constexpr char kIdentityColumns[] =
    "ek_fingerprint, vm_uuid, hostname, ek_public, ek_certificate, ak_name,"
    " ak_public, policy, labels, first_seen, last_seen, enrollment, status,"
    " last_verdict, next_due, clock, reset_count, restart_count";

// Maps an SQLite result code to the Store contract's error codes.
absl::Status SqlStatus(int rc, sqlite3* db, absl::string_view what) {
  std::string msg = absl::StrCat("sqlite: ", what, ": ",
                                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
      return absl::UnavailableError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(msg);
    default:
      return absl::InternalError(msg);
  }
}

// A cached statement in use: reset and unbound when it goes out of scope.
class Query {
 public:
  Query(sqlite3* db, sqlite3_stmt* st) : db_(db), st_(st) {}
  Query(Query&& o) noexcept : db_(o.db_), st_(std::exchange(o.st_, nullptr)) {}
  Query& operator=(Query&&) = delete;
  ~Query() {
    if (st_ == nullptr) return;
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }

  Query& Text(int i, const std::string& s) {
    sqlite3_bind_text(st_, i, s.data(), static_cast<int>(s.size()),
                      SQLITE_STATIC);
    return *this;
  }
  Query& Blob(int i, const std::string& s) {
    // A zero-length blob, not NULL, for empty strings.
    sqlite3_bind_blob(st_, i, s.empty() ? "" : s.data(),
                      static_cast<int>(s.size()), SQLITE_STATIC);
    return *this;
  }
  Query& Int(int i, int64_t v) {
    sqlite3_bind_int64(st_, i, v);
    return *this;
  }

  // True for a row, false when done.
  absl::StatusOr<bool> Step(absl::string_view what) {
    int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqlStatus(rc, db_, what);
  }
  absl::Status Run(absl::string_view what) {
    ASSIGN_OR_RETURN(bool row, Step(what));
    (void)row;
    return absl::OkStatus();
  }

  int64_t ColInt(int i) const { return sqlite3_column_int64(st_, i); }
  bool ColNull(int i) const {
    return sqlite3_column_type(st_, i) == SQLITE_NULL;
  }
  std::string ColText(int i) const {
    const void* p = sqlite3_column_blob(st_, i);
    return p ? std::string(static_cast<const char*>(p),
                           sqlite3_column_bytes(st_, i))
             : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_;
};

class SqliteStore : public Store {
 public:
  explicit SqliteStore(DbPtr db) : db_(std::move(db)) {}

  absl::Status Migrate() {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL"));
    RETURN_IF_ERROR(Exec("PRAGMA synchronous=NORMAL"));
    RETURN_IF_ERROR(Exec("PRAGMA foreign_keys=ON"));
    // Every verdict rewrites its identity's row and index pages, spread
    // over the whole fleet. A page cache that holds them (64 MiB, about
    // 100,000 identities) saves a read per page per write, and checkpoints
    // every 32 MiB of WAL write a page changed many times only once.
    RETURN_IF_ERROR(Exec("PRAGMA cache_size=-65536"));
    RETURN_IF_ERROR(Exec("PRAGMA wal_autocheckpoint=8192"));
    RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    absl::Status s = MigrateLocked();
    if (!s.ok()) {
      (void)Exec("ROLLBACK");
      return s;
    }
    return Exec("COMMIT");
  }

  // --- Identities -----------------------------------------------------------

  absl::StatusOr<std::optional<IdentityRecord>> GetIdentity(
      const std::string& fp) override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(Query q,
                     Cached(absl::StrCat("SELECT ", kIdentityColumns,
                                         " FROM identities"
                                         " WHERE ek_fingerprint = ?1")));
    q.Text(1, fp);
    ASSIGN_OR_RETURN(bool row, q.Step("reading identity"));
    if (!row) return std::optional<IdentityRecord>();
    ASSIGN_OR_RETURN(IdentityRecord r, ReadIdentity(q));
    return std::optional<IdentityRecord>(std::move(r));
  }

  absl::StatusOr<std::vector<IdentityRecord>> FindIdentitiesByVmUuid(
      const std::string& vm_uuid) override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(Query q,
                     Cached(absl::StrCat("SELECT ", kIdentityColumns,
                                         " FROM identities WHERE vm_uuid = ?1"
                                         " ORDER BY last_seen DESC,"
                                         " ek_fingerprint")));
    q.Text(1, vm_uuid);
    return ReadIdentities(q, "finding identities by VM UUID");
  }

  absl::StatusOr<std::vector<IdentityRecord>> ListIdentities(
      const IdentityQuery& query) override {
    std::string sql =
        absl::StrCat("SELECT ", kIdentityColumns,
                     " FROM identities WHERE ek_fingerprint > ?1");
    if (query.status != v1::RESULT_UNSPECIFIED) sql += " AND status = ?2";
    if (!query.policy.empty()) sql += " AND policy = ?3";
    if (!query.vm_uuid.empty()) sql += " AND vm_uuid = ?4";
    sql += " ORDER BY ek_fingerprint LIMIT ?5";
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(Query q, Cached(sql));
    q.Text(1, query.after_fingerprint);
    if (query.status != v1::RESULT_UNSPECIFIED) q.Int(2, query.status);
    if (!query.policy.empty()) q.Text(3, query.policy);
    if (!query.vm_uuid.empty()) q.Text(4, query.vm_uuid);
    q.Int(5, query.limit > 0 ? query.limit : 100);
    return ReadIdentities(q, "listing identities");
  }

  absl::StatusOr<std::map<v1::Result, int64_t>> CountIdentitiesByStatus()
      override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(
        Query q,
        Cached("SELECT status, count(*) FROM identities GROUP BY status"));
    std::map<v1::Result, int64_t> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step("counting identities"));
      if (!row) break;
      out[static_cast<v1::Result>(q.ColInt(0))] = q.ColInt(1);
    }
    return out;
  }

  absl::Status UpsertIdentity(const IdentityRecord& r) override {
    ASSIGN_OR_RETURN(std::string labels, LabelsToJson(r.labels));
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(
        Query q,
        Cached("INSERT INTO identities (ek_fingerprint, vm_uuid, hostname,"
               " ek_public, ek_certificate, policy, labels, first_seen,"
               " last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)"
               " ON CONFLICT(ek_fingerprint) DO UPDATE SET"
               " vm_uuid = ?2, hostname = ?3, ek_public = ?4,"
               " ek_certificate = ?5, policy = ?6, labels = ?7,"
               " last_seen = ?8"));
    q.Text(1, r.ek_fingerprint)
        .Text(2, r.vm_uuid)
        .Text(3, r.hostname)
        .Blob(4, r.ek_public)
        .Blob(5, r.ek_certificate)
        .Text(6, r.policy)
        .Text(7, labels)
        .Int(8, r.last_seen_unix);
    return q.Run("writing identity");
  }

  absl::Status SetActivatedAk(const std::string& fp, const std::string& name,
                              const std::string& pub) override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(
        Query q, Cached("UPDATE identities SET ak_name = ?2, ak_public = ?3,"
                        " enrollment = ?4 WHERE ek_fingerprint = ?1"));
    q.Text(1, fp).Blob(2, name).Blob(3, pub).Int(4, v1::ENROLLMENT_ACTIVE);
    RETURN_IF_ERROR(q.Run("recording activated AK"));
    return ExpectOneRow(fp);
  }

  absl::Status SetEnrollment(const std::string& fp,
                             v1::EnrollmentState state) override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(
        Query q,
        Cached("UPDATE identities SET enrollment = ?2,"
               " ak_name = CASE WHEN ?3 THEN x'' ELSE ak_name END,"
               " ak_public = CASE WHEN ?3 THEN x'' ELSE ak_public END,"
               " clock = CASE WHEN ?3 THEN NULL ELSE clock END,"
               " reset_count = CASE WHEN ?3 THEN NULL ELSE reset_count END,"
               " restart_count = CASE WHEN ?3 THEN NULL ELSE restart_count END"
               " WHERE ek_fingerprint = ?1"));
    q.Text(1, fp).Int(2, state).Int(3, state == v1::ENROLLMENT_REENROLL);
    RETURN_IF_ERROR(q.Run("setting enrollment"));
    return ExpectOneRow(fp);
  }

  absl::Status ForgetIdentity(const std::string& fp) override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(
        Query q, Cached("DELETE FROM identities WHERE ek_fingerprint = ?1"));
    q.Text(1, fp);
    RETURN_IF_ERROR(q.Run("forgetting identity"));
    return ExpectOneRow(fp);
  }

  absl::StatusOr<std::vector<IdentityRecord>> MarkStale(int64_t now_unix,
                                                        int limit) override {
    std::vector<IdentityRecord> out;
    if (limit <= 0) return out;
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(InTransaction([&]() -> absl::Status {
      {
        ASSIGN_OR_RETURN(Query q,
                         Cached(absl::StrCat(
                             "SELECT ", kIdentityColumns,
                             " FROM identities WHERE next_due > 0"
                             " AND next_due < ?1 AND status IN (?2, ?3, ?4)"
                             " ORDER BY next_due, ek_fingerprint LIMIT ?5")));
        q.Int(1, now_unix)
            .Int(2, v1::RESULT_PASS)
            .Int(3, v1::RESULT_FAIL)
            .Int(4, v1::RESULT_ERROR)
            .Int(5, limit);
        ASSIGN_OR_RETURN(out, ReadIdentities(q, "finding overdue identities"));
      }
      for (const IdentityRecord& r : out) {
        ASSIGN_OR_RETURN(Query q, Cached("UPDATE identities SET status = ?2"
                                         " WHERE ek_fingerprint = ?1"));
        q.Text(1, r.ek_fingerprint).Int(2, v1::RESULT_STALE);
        RETURN_IF_ERROR(q.Run("marking identity stale"));
      }
      return absl::OkStatus();
    }));
    return out;
  }

  // --- Verdicts -------------------------------------------------------------

  // RecordVerdict uses group commit (as leveldb's writers do): callers
  // queue their verdict; the caller at the head of the queue writes every
  // queued verdict in one transaction and wakes the others. One commit (one
  // set of WAL frames) then serves many attestations.
  absl::StatusOr<RecordOutcome> RecordVerdict(
      const std::string& fp, const v1::Verdict& v,
      const VerdictWrite& write) override {
    if (v.verdict_id().empty()) {
      return absl::InvalidArgumentError("verdict has no id");
    }
    PendingVerdict p;
    p.Prepare({&fp, &v, &write});
    std::unique_lock<std::mutex> qlock(queue_mu_);
    queue_.push_back(&p);
    queue_cv_.wait(qlock, [&] { return p.done || queue_.front() == &p; });
    if (p.done) return p.result;

    // Leader: write a batch from the head of the queue.
    constexpr size_t kMaxBatch = 256;
    std::vector<PendingVerdict*> batch(
        queue_.begin(), queue_.begin() + std::min(queue_.size(), kMaxBatch));
    qlock.unlock();
    WriteBatch(batch);
    qlock.lock();
    for (size_t i = 0; i < batch.size(); ++i) {
      queue_.pop_front();
      batch[i]->done = true;
    }
    queue_cv_.notify_all();
    return p.result;
  }

  // The whole batch in one transaction, outside the group-commit queue
  // (the caller already batched).
  std::vector<absl::StatusOr<RecordOutcome>> RecordVerdicts(
      const std::vector<VerdictToRecord>& batch) override {
    std::vector<PendingVerdict> pending(batch.size());
    std::vector<PendingVerdict*> todo;
    std::vector<absl::StatusOr<RecordOutcome>> out(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      const VerdictToRecord& v = batch[i];
      if (v.verdict->verdict_id().empty()) {
        out[i] = absl::InvalidArgumentError("verdict has no id");
        continue;
      }
      pending[i].Prepare(v);
      todo.push_back(&pending[i]);
    }
    if (!todo.empty()) WriteBatch(todo);
    for (size_t i = 0; i < batch.size(); ++i) {
      if (pending[i].fp != nullptr) out[i] = std::move(pending[i].result);
    }
    return out;
  }

  absl::StatusOr<std::vector<v1::Verdict>> QueryVerdicts(
      const VerdictQuery& query) override {
    std::string sql = "SELECT verdict FROM verdicts WHERE created_at >= ?1";
    if (!query.ek_fingerprint.empty()) sql += " AND ek_fingerprint = ?2";
    if (!query.vm_uuid.empty()) sql += " AND vm_uuid = ?3";
    if (query.result != v1::RESULT_UNSPECIFIED) sql += " AND result = ?4";
    sql += " ORDER BY created_at DESC, seq DESC LIMIT ?5";
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(Query q, Cached(sql));
    q.Int(1, query.since_unix);
    if (!query.ek_fingerprint.empty()) q.Text(2, query.ek_fingerprint);
    if (!query.vm_uuid.empty()) q.Text(3, query.vm_uuid);
    if (query.result != v1::RESULT_UNSPECIFIED) q.Int(4, query.result);
    q.Int(5, query.limit > 0 ? query.limit : 50);
    std::vector<v1::Verdict> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step("querying verdicts"));
      if (!row) break;
      ASSIGN_OR_RETURN(v1::Verdict v, ParseVerdict(q.ColText(0)));
      out.push_back(std::move(v));
    }
    return out;
  }

  absl::StatusOr<std::vector<StoredVerdict>> VerdictsAfter(int64_t after_seq,
                                                           int limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(Query q, Cached("SELECT seq, verdict FROM verdicts"
                                     " WHERE seq > ?1 ORDER BY seq LIMIT ?2"));
    q.Int(1, after_seq).Int(2, limit);
    std::vector<StoredVerdict> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step("reading the verdict feed"));
      if (!row) break;
      StoredVerdict sv;
      sv.seq = q.ColInt(0);
      ASSIGN_OR_RETURN(sv.verdict, ParseVerdict(q.ColText(1)));
      out.push_back(std::move(sv));
    }
    return out;
  }

  absl::StatusOr<int64_t> LastVerdictSeq() override {
    return SingleInt("SELECT coalesce(max(seq), 0) FROM verdicts",
                     "reading the last verdict seq");
  }

  // --- Failed evidence
  // --------------------------------------------------------

  absl::Status RecordFailedEvidence(const FailedEvidence& e) override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(
        Query q,
        Cached("INSERT INTO failed_evidence (verdict_id, ek_fingerprint,"
               " created_at, hello, quote_response)"
               " VALUES (?1, ?2, ?3, ?4, ?5)"
               " ON CONFLICT(verdict_id) DO NOTHING"));
    q.Text(1, e.verdict_id)
        .Text(2, e.ek_fingerprint)
        .Int(3, e.created_unix)
        .Blob(4, e.hello)
        .Blob(5, e.quote_response);
    return q.Run("writing failed evidence");
  }

  absl::StatusOr<std::optional<FailedEvidence>> GetFailedEvidence(
      const std::string& verdict_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(
        Query q, Cached("SELECT verdict_id, ek_fingerprint, created_at, hello,"
                        " quote_response FROM failed_evidence"
                        " WHERE verdict_id = ?1"));
    q.Text(1, verdict_id);
    ASSIGN_OR_RETURN(bool row, q.Step("reading failed evidence"));
    if (!row) return std::optional<FailedEvidence>();
    FailedEvidence e;
    e.verdict_id = q.ColText(0);
    e.ek_fingerprint = q.ColText(1);
    e.created_unix = q.ColInt(2);
    e.hello = q.ColText(3);
    e.quote_response = q.ColText(4);
    return std::optional<FailedEvidence>(std::move(e));
  }

  absl::StatusOr<int64_t> PruneFailedEvidence(int64_t before_unix) override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(
        Query q, Cached("DELETE FROM failed_evidence WHERE created_at < ?1"));
    q.Int(1, before_unix);
    RETURN_IF_ERROR(q.Run("pruning failed evidence"));
    return static_cast<int64_t>(sqlite3_changes(db_.get()));
  }

  // --- Audit
  // ------------------------------------------------------------------

  absl::StatusOr<int64_t> AppendAudit(const AuditRecord& e) override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(
        Query q, Cached("INSERT INTO audit (at, actor, action, target, detail)"
                        " VALUES (?1, ?2, ?3, ?4, ?5)"));
    q.Int(1, e.at_unix)
        .Text(2, e.actor)
        .Text(3, e.action)
        .Text(4, e.target)
        .Text(5, e.detail);
    RETURN_IF_ERROR(q.Run("appending to the audit trail"));
    return static_cast<int64_t>(sqlite3_last_insert_rowid(db_.get()));
  }

  absl::StatusOr<std::vector<AuditRecord>> ListAudit(int limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(Query q,
                     Cached("SELECT seq, at, actor, action, target, detail"
                            " FROM audit ORDER BY seq DESC LIMIT ?1"));
    q.Int(1, limit);
    std::vector<AuditRecord> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step("reading the audit trail"));
      if (!row) break;
      AuditRecord a;
      a.seq = q.ColInt(0);
      a.at_unix = q.ColInt(1);
      a.actor = q.ColText(2);
      a.action = q.ColText(3);
      a.target = q.ColText(4);
      a.detail = q.ColText(5);
      out.push_back(std::move(a));
    }
    return out;
  }

  // --- Attest-now requests
  // ----------------------------------------------------

  absl::StatusOr<int64_t> RequestAttestation(const std::string& fp,
                                             int64_t now_unix) override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(Query q,
                     Cached("INSERT INTO attest_requests (ek_fingerprint,"
                            " requested_at) VALUES (?1, ?2)"));
    q.Text(1, fp).Int(2, now_unix);
    RETURN_IF_ERROR(q.Run("queueing an attestation request"));
    return static_cast<int64_t>(sqlite3_last_insert_rowid(db_.get()));
  }

  absl::StatusOr<std::vector<AttestRequest>> AttestRequestsAfter(
      int64_t after_seq, int limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(Query q, Cached("SELECT seq, ek_fingerprint, requested_at"
                                     " FROM attest_requests WHERE seq > ?1"
                                     " ORDER BY seq LIMIT ?2"));
    q.Int(1, after_seq).Int(2, limit);
    std::vector<AttestRequest> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step("reading attestation requests"));
      if (!row) break;
      out.push_back({q.ColInt(0), q.ColText(1), q.ColInt(2)});
    }
    return out;
  }

  absl::StatusOr<int64_t> LastAttestRequestSeq() override {
    return SingleInt("SELECT coalesce(max(seq), 0) FROM attest_requests",
                     "reading the last request seq");
  }

  absl::Status PruneAttestRequests(int64_t before_unix) override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(
        Query q, Cached("DELETE FROM attest_requests WHERE requested_at < ?1"));
    q.Int(1, before_unix);
    return q.Run("pruning attestation requests");
  }

  // --- Policies
  // ---------------------------------------------------------------

  absl::StatusOr<int64_t> PutPolicy(const StoredPolicy& p) override {
    int64_t revision = 0;
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(InTransaction([&]() -> absl::Status {
      {
        ASSIGN_OR_RETURN(
            Query q,
            Cached("SELECT coalesce(max(revision), 0) + 1 FROM policies"));
        ASSIGN_OR_RETURN(bool row, q.Step("reading the policy revision"));
        if (row) revision = q.ColInt(0);
      }
      ASSIGN_OR_RETURN(
          Query q, Cached("INSERT INTO policies (name, json, updated_at, actor,"
                          " revision) VALUES (?1, ?2, ?3, ?4, ?5)"
                          " ON CONFLICT(name) DO UPDATE SET json = ?2,"
                          " updated_at = ?3, actor = ?4, revision = ?5"));
      q.Text(1, p.name)
          .Text(2, p.json)
          .Int(3, p.updated_unix)
          .Text(4, p.actor)
          .Int(5, revision);
      return q.Run("storing policy");
    }));
    return revision;
  }

  absl::StatusOr<std::vector<StoredPolicy>> ListStoredPolicies() override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(Query q,
                     Cached("SELECT name, json, updated_at, actor, revision"
                            " FROM policies ORDER BY name"));
    std::vector<StoredPolicy> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step("listing policies"));
      if (!row) break;
      StoredPolicy p;
      p.name = q.ColText(0);
      p.json = q.ColText(1);
      p.updated_unix = q.ColInt(2);
      p.actor = q.ColText(3);
      p.revision = q.ColInt(4);
      out.push_back(std::move(p));
    }
    return out;
  }

  absl::StatusOr<int64_t> PolicyRevision() override {
    return SingleInt("SELECT coalesce(max(revision), 0) FROM policies",
                     "reading the policy revision");
  }

 private:
  absl::Status MigrateLocked() {
    int version = 0;
    {
      ASSIGN_OR_RETURN(Query q, Cached("PRAGMA user_version"));
      ASSIGN_OR_RETURN(bool row, q.Step("reading schema version"));
      if (row) version = static_cast<int>(q.ColInt(0));
    }
    if (version > kSchemaVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          "database schema version ", version,
          " is newer than this verifier understands (", kSchemaVersion, ")"));
    }
    for (int v = version; v < kSchemaVersion; ++v) {
      RETURN_IF_ERROR_CTX(Exec(kMigrations[v]),
                          absl::StrCat("schema migration ", v + 1));
      if (v + 1 == 2) {
        RETURN_IF_ERROR_CTX(BackfillVerdictColumns(), "schema migration 2");
      }
    }
    // PRAGMA statements cannot be cached across schema changes: run it once.
    return Exec(absl::StrCat("PRAGMA user_version=", kSchemaVersion));
  }

  // Verdicts written before migration 2 get their queryable columns from
  // the serialized verdict.
  absl::Status BackfillVerdictColumns() {
    std::vector<std::pair<int64_t, v1::Verdict>> rows;
    {
      ASSIGN_OR_RETURN(Query q, Cached("SELECT seq, verdict FROM verdicts"));
      while (true) {
        ASSIGN_OR_RETURN(bool row, q.Step("reading old verdicts"));
        if (!row) break;
        ASSIGN_OR_RETURN(v1::Verdict v, ParseVerdict(q.ColText(1)));
        rows.emplace_back(q.ColInt(0), std::move(v));
      }
    }
    for (const auto& [seq, v] : rows) {
      std::string reasons = ReasonCodesText(v);
      ASSIGN_OR_RETURN(Query q,
                       Cached("UPDATE verdicts SET policy = ?2, reasons = ?3,"
                              " replica = ?4 WHERE seq = ?1"));
      q.Int(1, seq).Text(2, v.policy()).Text(3, reasons).Text(4, v.replica());
      RETURN_IF_ERROR(q.Run("filling verdict columns"));
    }
    return absl::OkStatus();
  }

  absl::Status Exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      return SqlStatus(rc, nullptr, msg);
    }
    return absl::OkStatus();
  }

  // A statement prepared once per store and reused; the caller holds mu_.
  absl::StatusOr<Query> Cached(const std::string& sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
      sqlite3_stmt* st = nullptr;
      int rc = sqlite3_prepare_v3(db_.get(), sql.c_str(),
                                  static_cast<int>(sql.size()),
                                  SQLITE_PREPARE_PERSISTENT, &st, nullptr);
      if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        return SqlStatus(rc, db_.get(), "preparing statement");
      }
      it = cache_.emplace(sql, StmtPtr(st)).first;
    }
    return Query(db_.get(), it->second.get());
  }

  struct PendingVerdict {
    // Points at `v`'s parts and encodes the verdict's columns.
    void Prepare(const VerdictToRecord& v) {
      fp = v.ek_fingerprint;
      verdict = v.verdict;
      write = v.write;
      blob = v.verdict->SerializeAsString();
      reasons = ReasonCodesText(*v.verdict);
    }

    const std::string* fp = nullptr;
    const v1::Verdict* verdict = nullptr;
    const VerdictWrite* write = nullptr;
    std::string blob;
    std::string reasons;
    absl::StatusOr<RecordOutcome> result;
    bool done = false;
  };

  // Writes `batch` in one transaction. If that fails, each verdict is
  // retried in its own transaction so one bad write cannot fail the rest.
  void WriteBatch(const std::vector<PendingVerdict*>& batch) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<RecordOutcome> outs(batch.size());
    absl::Status s = InTransaction([&]() -> absl::Status {
      for (size_t i = 0; i < batch.size(); ++i) {
        RETURN_IF_ERROR(RecordOneLocked(*batch[i], &outs[i]));
      }
      return absl::OkStatus();
    });
    if (s.ok()) {
      for (size_t i = 0; i < batch.size(); ++i) batch[i]->result = outs[i];
      return;
    }
    for (auto* p : batch) {
      RecordOutcome out;
      absl::Status one = InTransaction(
          [&]() -> absl::Status { return RecordOneLocked(*p, &out); });
      if (one.ok()) {
        p->result = out;
      } else {
        p->result = one;
      }
    }
  }

  // One verdict's statements; the caller holds mu_ inside a transaction.
  absl::Status RecordOneLocked(const PendingVerdict& p, RecordOutcome* out) {
    {
      ASSIGN_OR_RETURN(
          Query q,
          Cached("INSERT INTO verdicts (verdict_id, ek_fingerprint, vm_uuid,"
                 " result, created_at, policy, reasons, replica, verdict)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                 " ON CONFLICT(verdict_id) DO NOTHING"));
      q.Text(1, p.verdict->verdict_id())
          .Text(2, *p.fp)
          .Text(3, p.verdict->identity().vm_uuid())
          .Int(4, p.verdict->result())
          .Int(5, p.verdict->verified_at_unix())
          .Text(6, p.verdict->policy())
          .Text(7, p.reasons)
          .Text(8, p.verdict->replica())
          .Blob(9, p.blob);
      RETURN_IF_ERROR(q.Run("writing verdict"));
      out->inserted = sqlite3_changes(db_.get()) == 1;
    }
    if (out->inserted) {
      out->seq = sqlite3_last_insert_rowid(db_.get());
    } else {
      ASSIGN_OR_RETURN(
          Query q, Cached("SELECT seq FROM verdicts WHERE verdict_id = ?1"));
      q.Text(1, p.verdict->verdict_id());
      ASSIGN_OR_RETURN(bool row, q.Step("reading verdict seq"));
      if (row) out->seq = q.ColInt(0);
    }
    bool exists = false;
    {
      ASSIGN_OR_RETURN(Query q, Cached("SELECT status FROM identities"
                                       " WHERE ek_fingerprint = ?1"));
      q.Text(1, *p.fp);
      ASSIGN_OR_RETURN(exists, q.Step("reading identity status"));
      if (exists) out->previous_status = static_cast<v1::Result>(q.ColInt(0));
    }
    if (!out->inserted || !exists || p.verdict->result() == v1::RESULT_STALE) {
      return absl::OkStatus();
    }
    // An unchanged status is not SET: SQLite then leaves the status index
    // alone (it updates the indexes of the columns an UPDATE names).
    const bool status_changes = out->previous_status != p.verdict->result();
#define VTPM_SQLITE_MOVE_IDENTITY                                \
  " last_verdict = ?3, next_due = ?4,"                           \
  " clock = CASE WHEN ?5 THEN ?6 ELSE clock END,"                \
  " reset_count = CASE WHEN ?5 THEN ?7 ELSE reset_count END,"    \
  " restart_count = CASE WHEN ?5 THEN ?8 ELSE restart_count END" \
  " WHERE ek_fingerprint = ?1"
    ASSIGN_OR_RETURN(
        Query q,
        Cached(
            status_changes
                ? "UPDATE identities SET status = ?2," VTPM_SQLITE_MOVE_IDENTITY
                : "UPDATE identities SET" VTPM_SQLITE_MOVE_IDENTITY));
#undef VTPM_SQLITE_MOVE_IDENTITY
    q.Text(1, *p.fp)
        .Int(3, p.verdict->verified_at_unix())
        .Int(4, p.write->next_due_unix)
        .Int(5, p.write->clock.has_value());
    if (status_changes) q.Int(2, p.verdict->result());
    if (p.write->clock) {
      q.Int(6, static_cast<int64_t>(p.write->clock->clock))
          .Int(7, p.write->clock->reset_count)
          .Int(8, p.write->clock->restart_count);
    }
    return q.Run("updating identity status");
  }

  // Runs `body` in a write transaction; the caller holds mu_.
  absl::Status InTransaction(const std::function<absl::Status()>& body) {
    {
      ASSIGN_OR_RETURN(Query q, Cached("BEGIN IMMEDIATE"));
      RETURN_IF_ERROR(q.Run("starting a transaction"));
    }
    absl::Status s = body();
    if (s.ok()) {
      ASSIGN_OR_RETURN(Query q, Cached("COMMIT"));
      s = q.Run("committing");
      if (s.ok()) return s;
    }
    if (!sqlite3_get_autocommit(db_.get())) {
      (void)Exec("ROLLBACK");
    }
    return s;
  }

  absl::StatusOr<int64_t> SingleInt(const char* sql, const char* what) {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(Query q, Cached(sql));
    ASSIGN_OR_RETURN(bool row, q.Step(what));
    return row ? q.ColInt(0) : 0;
  }

  absl::Status ExpectOneRow(const std::string& fp) {
    if (sqlite3_changes(db_.get()) != 1) {
      return absl::NotFoundError(absl::StrCat("no identity ", fp));
    }
    return absl::OkStatus();
  }

  static absl::StatusOr<v1::Verdict> ParseVerdict(const std::string& blob) {
    v1::Verdict v;
    if (!v.ParseFromString(blob)) {
      return absl::DataLossError("stored verdict does not parse");
    }
    return v;
  }

  static absl::StatusOr<std::vector<IdentityRecord>> ReadIdentities(
      Query& q, absl::string_view what) {
    std::vector<IdentityRecord> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step(what));
      if (!row) break;
      ASSIGN_OR_RETURN(IdentityRecord r, ReadIdentity(q));
      out.push_back(std::move(r));
    }
    return out;
  }

  // One row of kIdentityColumns.
  static absl::StatusOr<IdentityRecord> ReadIdentity(const Query& q) {
    IdentityRecord r;
    r.ek_fingerprint = q.ColText(0);
    r.vm_uuid = q.ColText(1);
    r.hostname = q.ColText(2);
    r.ek_public = q.ColText(3);
    r.ek_certificate = q.ColText(4);
    r.ak_name = q.ColText(5);
    r.ak_public = q.ColText(6);
    r.policy = q.ColText(7);
    ASSIGN_OR_RETURN(r.labels, LabelsFromJson(q.ColText(8)));
    r.first_seen_unix = q.ColInt(9);
    r.last_seen_unix = q.ColInt(10);
    r.enrollment = static_cast<v1::EnrollmentState>(q.ColInt(11));
    r.status = static_cast<v1::Result>(q.ColInt(12));
    r.last_verdict_unix = q.ColInt(13);
    r.next_due_unix = q.ColInt(14);
    if (!q.ColNull(15)) {
      r.clock = ClockState{static_cast<uint64_t>(q.ColInt(15)),
                           static_cast<uint32_t>(q.ColInt(16)),
                           static_cast<uint32_t>(q.ColInt(17))};
    }
    return r;
  }

  std::mutex mu_;
  // Group commit queue of RecordVerdict (see there).
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<PendingVerdict*> queue_;
  DbPtr db_;
  std::unordered_map<std::string, StmtPtr> cache_;  // guarded by mu_
};

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(
    const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &raw,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
      nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    return absl::UnavailableError(
        absl::StrCat("cannot open database ", path, ": ",
                     raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db.get(), 5000);
  auto store = std::make_unique<SqliteStore>(std::move(db));
  RETURN_IF_ERROR_CTX(store->Migrate(), absl::StrCat("database ", path));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace vtpm::verifier
