#include "verifier/store/postgres_store.h"

#include <libpq-fe.h>

#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <random>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "verifier/store/store_codec.h"

namespace vtpm::verifier {
namespace {

namespace v1 = vtpm_attest::v1;
using store_internal::LabelsFromJson;
using store_internal::LabelsToJson;
using store_internal::ReasonCodesText;

struct ConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultClearer {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnCloser>;
using ResultPtr = std::unique_ptr<PGresult, ResultClearer>;

// Held (transaction-scoped) while migrating: "vtpm-mig" in ASCII.
constexpr int64_t kMigrationLockKey = 0x7674706d2d6d6967;

// Schema migrations, applied in order; schema_migrations lists the applied
// versions. Text keys use the "C" collation so that ordering and paging
// by fingerprint are bytewise, as in SQLite.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE identities (
  ek_fingerprint text COLLATE "C" PRIMARY KEY,
  vm_uuid text NOT NULL,
  hostname text NOT NULL,
  ek_public bytea NOT NULL,
  ek_certificate bytea NOT NULL,
  ak_name bytea NOT NULL DEFAULT '',
  ak_public bytea NOT NULL DEFAULT '',
  policy text NOT NULL,
  labels jsonb NOT NULL DEFAULT '{}',
  first_seen bigint NOT NULL,
  last_seen bigint NOT NULL,
  enrollment integer NOT NULL DEFAULT 1,
  status integer NOT NULL DEFAULT 0,
  last_verdict bigint NOT NULL DEFAULT 0,
  next_due bigint NOT NULL DEFAULT 0,
  clock bigint,
  reset_count bigint,
  restart_count bigint
);
CREATE INDEX identities_vm_uuid ON identities(vm_uuid, last_seen);
CREATE INDEX identities_status ON identities(status);
CREATE INDEX identities_policy ON identities(policy);
CREATE INDEX identities_due ON identities(next_due)
  WHERE next_due > 0 AND status IN (1, 2, 3);
CREATE TABLE verdicts (
  seq bigserial PRIMARY KEY,
  verdict_id text NOT NULL UNIQUE,
  ek_fingerprint text COLLATE "C" NOT NULL,
  vm_uuid text NOT NULL,
  result integer NOT NULL,
  created_at bigint NOT NULL,
  policy text NOT NULL,
  reasons text NOT NULL,
  replica text NOT NULL,
  verdict bytea NOT NULL
);
CREATE INDEX verdicts_by_identity ON verdicts(ek_fingerprint, created_at);
CREATE INDEX verdicts_by_vm ON verdicts(vm_uuid, created_at);
CREATE INDEX verdicts_by_time ON verdicts(created_at);
CREATE TABLE failed_evidence (
  verdict_id text PRIMARY KEY,
  ek_fingerprint text NOT NULL,
  created_at bigint NOT NULL,
  hello bytea NOT NULL,
  quote_response bytea NOT NULL
);
CREATE INDEX failed_evidence_created ON failed_evidence(created_at);
CREATE TABLE audit (
  seq bigserial PRIMARY KEY,
  op_id text NOT NULL UNIQUE,
  at bigint NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  target text NOT NULL,
  detail text NOT NULL
);
CREATE TABLE attest_requests (
  seq bigserial PRIMARY KEY,
  op_id text NOT NULL UNIQUE,
  ek_fingerprint text NOT NULL,
  requested_at bigint NOT NULL
);
CREATE INDEX attest_requests_time ON attest_requests(requested_at);
CREATE TABLE policies (
  name text COLLATE "C" PRIMARY KEY,
  json text NOT NULL,
  updated_at bigint NOT NULL,
  actor text NOT NULL,
  revision bigint NOT NULL
);
CREATE TABLE policy_revision (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  revision bigint NOT NULL
);
INSERT INTO policy_revision (revision) VALUES (0);
)sql",
};
constexpr int kSchemaVersion = sizeof(kMigrations) / sizeof(kMigrations[0]);

#define VTPM_PG_IDENTITY_COLUMNS                                           \
  "ek_fingerprint, vm_uuid, hostname, ek_public, ek_certificate, ak_name," \
  " ak_public, policy, labels, first_seen, last_seen, enrollment, status," \
  " last_verdict, next_due, clock, reset_count, restart_count"

// Statements prepared on every connection (on first use).
enum StmtId {
  kGetIdentity,
  kFindByVmUuid,
  kCountByStatus,
  kUpsertIdentity,
  kSetActivatedAk,
  kSetEnrollment,
  kForgetIdentity,
  kMarkStale,
  kRecordVerdict,
  kVerdictsAfter,
  kLastVerdictSeq,
  kRecordFailedEvidence,
  kGetFailedEvidence,
  kPruneFailedEvidence,
  kAppendAudit,
  kListAudit,
  kRequestAttestation,
  kAttestRequestsAfter,
  kLastAttestRequestSeq,
  kPruneAttestRequests,
  kPutPolicy,
  kListPolicies,
  kPolicyRevision,
  kStmtCount,
};

struct StmtDef {
  StmtId id;
  const char* name;
  const char* sql;
};

// Indexed by StmtId.
constexpr StmtDef kStatements[] = {
    {kGetIdentity, "get_identity",
     "SELECT " VTPM_PG_IDENTITY_COLUMNS
     " FROM identities WHERE ek_fingerprint = $1"},
    {kFindByVmUuid, "find_by_vm_uuid",
     "SELECT " VTPM_PG_IDENTITY_COLUMNS " FROM identities WHERE vm_uuid = $1"
     " ORDER BY last_seen DESC, ek_fingerprint"},
    {kCountByStatus, "count_by_status",
     "SELECT status, count(*) FROM identities GROUP BY status"},
    {kUpsertIdentity, "upsert_identity",
     "INSERT INTO identities (ek_fingerprint, vm_uuid, hostname, ek_public,"
     " ek_certificate, policy, labels, first_seen, last_seen)"
     " VALUES ($1, $2, $3, $4::bytea, $5::bytea, $6, $7::jsonb, $8::bigint,"
     " $8::bigint)"
     " ON CONFLICT (ek_fingerprint) DO UPDATE SET"
     " vm_uuid = EXCLUDED.vm_uuid, hostname = EXCLUDED.hostname,"
     " ek_public = EXCLUDED.ek_public,"
     " ek_certificate = EXCLUDED.ek_certificate, policy = EXCLUDED.policy,"
     " labels = EXCLUDED.labels, last_seen = EXCLUDED.last_seen"},
    {kSetActivatedAk, "set_activated_ak",
     "UPDATE identities SET ak_name = $2::bytea, ak_public = $3::bytea,"
     " enrollment = $4::integer WHERE ek_fingerprint = $1"},
    {kSetEnrollment, "set_enrollment",
     "UPDATE identities SET enrollment = $2::integer,"
     " ak_name = CASE WHEN $3::boolean THEN ''::bytea ELSE ak_name END,"
     " ak_public = CASE WHEN $3::boolean THEN ''::bytea ELSE ak_public END,"
     " clock = CASE WHEN $3::boolean THEN NULL ELSE clock END,"
     " reset_count = CASE WHEN $3::boolean THEN NULL ELSE reset_count END,"
     " restart_count = CASE WHEN $3::boolean THEN NULL ELSE restart_count END"
     " WHERE ek_fingerprint = $1"},
    {kForgetIdentity, "forget_identity",
     "DELETE FROM identities WHERE ek_fingerprint = $1"},
    // Rows another replica holds are skipped; a row it already made stale
    // no longer matches when re-checked after its lock is released.
    {kMarkStale, "mark_stale",
     "UPDATE identities i SET status = 4"
     " FROM (SELECT ek_fingerprint, status FROM identities"
     "       WHERE next_due > 0 AND next_due < $1::bigint"
     "       AND status IN (1, 2, 3)"
     "       ORDER BY next_due, ek_fingerprint LIMIT $2::integer"
     "       FOR UPDATE SKIP LOCKED) old"
     " WHERE i.ek_fingerprint = old.ek_fingerprint"
     " RETURNING i.ek_fingerprint, i.vm_uuid, i.hostname, i.ek_public,"
     " i.ek_certificate, i.ak_name, i.ak_public, i.policy, i.labels,"
     " i.first_seen, i.last_seen, i.enrollment, old.status, i.last_verdict,"
     " i.next_due, i.clock, i.reset_count, i.restart_count"},
    // One round trip: append the verdict unless its id is stored, and
    // only then move the identity (locked, giving its previous status).
    {kRecordVerdict, "record_verdict",
     "WITH ins AS ("
     "  INSERT INTO verdicts (verdict_id, ek_fingerprint, vm_uuid, result,"
     "    created_at, policy, reasons, replica, verdict)"
     "  VALUES ($1, $2, $3, $4::integer, $5::bigint, $6, $7, $8, $9::bytea)"
     "  ON CONFLICT (verdict_id) DO NOTHING RETURNING seq),"
     " old AS ("
     "  SELECT ek_fingerprint, status FROM identities"
     "  WHERE ek_fingerprint = $2 FOR UPDATE),"
     " upd AS ("
     "  UPDATE identities i SET status = $4::integer,"
     "    last_verdict = $5::bigint, next_due = $10::bigint,"
     "    clock = CASE WHEN $11::boolean THEN $12::bigint ELSE i.clock END,"
     "    reset_count = CASE WHEN $11::boolean THEN $13::bigint"
     "      ELSE i.reset_count END,"
     "    restart_count = CASE WHEN $11::boolean THEN $14::bigint"
     "      ELSE i.restart_count END"
     "  FROM old WHERE i.ek_fingerprint = old.ek_fingerprint"
     "  AND $4::integer <> 4 AND EXISTS (SELECT 1 FROM ins)"
     "  RETURNING 1)"
     " SELECT (SELECT seq FROM ins), (SELECT status FROM old),"
     " (SELECT seq FROM verdicts WHERE verdict_id = $1)"},
    {kVerdictsAfter, "verdicts_after",
     "SELECT seq, verdict FROM verdicts WHERE seq > $1::bigint"
     " ORDER BY seq LIMIT $2::integer"},
    {kLastVerdictSeq, "last_verdict_seq",
     "SELECT coalesce(max(seq), 0) FROM verdicts"},
    {kRecordFailedEvidence, "record_failed_evidence",
     "INSERT INTO failed_evidence (verdict_id, ek_fingerprint, created_at,"
     " hello, quote_response)"
     " VALUES ($1, $2, $3::bigint, $4::bytea, $5::bytea)"
     " ON CONFLICT (verdict_id) DO NOTHING"},
    {kGetFailedEvidence, "get_failed_evidence",
     "SELECT verdict_id, ek_fingerprint, created_at, hello, quote_response"
     " FROM failed_evidence WHERE verdict_id = $1"},
    {kPruneFailedEvidence, "prune_failed_evidence",
     "DELETE FROM failed_evidence WHERE created_at < $1::bigint"},
    // op_id makes a retried append land once.
    {kAppendAudit, "append_audit",
     "WITH ins AS (INSERT INTO audit (op_id, at, actor, action, target,"
     " detail) VALUES ($1, $2::bigint, $3, $4, $5, $6)"
     " ON CONFLICT (op_id) DO NOTHING RETURNING seq)"
     " SELECT seq FROM ins UNION ALL"
     " SELECT seq FROM audit WHERE op_id = $1"},
    {kListAudit, "list_audit",
     "SELECT seq, at, actor, action, target, detail FROM audit"
     " ORDER BY seq DESC LIMIT $1::integer"},
    {kRequestAttestation, "request_attestation",
     "WITH ins AS (INSERT INTO attest_requests (op_id, ek_fingerprint,"
     " requested_at) VALUES ($1, $2, $3::bigint)"
     " ON CONFLICT (op_id) DO NOTHING RETURNING seq)"
     " SELECT seq FROM ins UNION ALL"
     " SELECT seq FROM attest_requests WHERE op_id = $1"},
    {kAttestRequestsAfter, "attest_requests_after",
     "SELECT seq, ek_fingerprint, requested_at FROM attest_requests"
     " WHERE seq > $1::bigint ORDER BY seq LIMIT $2::integer"},
    {kLastAttestRequestSeq, "last_attest_request_seq",
     "SELECT coalesce(max(seq), 0) FROM attest_requests"},
    {kPruneAttestRequests, "prune_attest_requests",
     "DELETE FROM attest_requests WHERE requested_at < $1::bigint"},
    // The counter row serializes writers, so revisions increase in commit
    // order (a sequence would not: a poller could miss a change).
    {kPutPolicy, "put_policy",
     "WITH rev AS (UPDATE policy_revision SET revision = revision + 1"
     " RETURNING revision)"
     " INSERT INTO policies (name, json, updated_at, actor, revision)"
     " SELECT $1, $2, $3::bigint, $4, revision FROM rev"
     " ON CONFLICT (name) DO UPDATE SET json = EXCLUDED.json,"
     " updated_at = EXCLUDED.updated_at, actor = EXCLUDED.actor,"
     " revision = EXCLUDED.revision RETURNING revision"},
    {kListPolicies, "list_policies",
     "SELECT name, json, updated_at, actor, revision FROM policies"
     " ORDER BY name"},
    {kPolicyRevision, "policy_revision",
     "SELECT revision FROM policy_revision"},
};
static_assert(sizeof(kStatements) / sizeof(kStatements[0]) == kStmtCount);

// Query parameters: text, or binary for bytea.
class Params {
 public:
  Params& Text(std::string s) { return Add(std::move(s), 0); }
  Params& Int(int64_t v) { return Add(absl::StrCat(v), 0); }
  Params& Bool(bool b) { return Add(b ? "t" : "f", 0); }
  Params& Bytes(std::string s) { return Add(std::move(s), 1); }
  Params& Null() {
    values_.emplace_back();
    null_.push_back(true);
    formats_.push_back(0);
    return *this;
  }

  int size() const { return static_cast<int>(values_.size()); }
  // Arrays for PQexecPrepared/PQexecParams; valid while *this is.
  void Arrays(std::vector<const char*>& values, std::vector<int>& lengths,
              std::vector<int>& formats) const {
    for (size_t i = 0; i < values_.size(); ++i) {
      values.push_back(null_[i] ? nullptr : values_[i].data());
      lengths.push_back(static_cast<int>(values_[i].size()));
      formats.push_back(formats_[i]);
    }
  }

 private:
  Params& Add(std::string s, int format) {
    values_.push_back(std::move(s));
    null_.push_back(false);
    formats_.push_back(format);
    return *this;
  }
  std::vector<std::string> values_;
  std::vector<bool> null_;
  std::vector<int> formats_;
};

// A result in text format.
class Rows {
 public:
  explicit Rows(ResultPtr r) : r_(std::move(r)) {}
  int count() const { return PQntuples(r_.get()); }
  int64_t affected() const {
    int64_t n = 0;
    (void)absl::SimpleAtoi(PQcmdTuples(r_.get()), &n);
    return n;
  }
  bool Null(int row, int col) const {
    return PQgetisnull(r_.get(), row, col) != 0;
  }
  std::string Text(int row, int col) const {
    return std::string(PQgetvalue(r_.get(), row, col),
                       PQgetlength(r_.get(), row, col));
  }
  int64_t Int(int row, int col) const {
    int64_t v = 0;
    if (!Null(row, col)) (void)absl::SimpleAtoi(Text(row, col), &v);
    return v;
  }
  absl::StatusOr<std::string> Bytes(int row, int col) const {
    size_t n = 0;
    unsigned char* raw = PQunescapeBytea(
        reinterpret_cast<const unsigned char*>(PQgetvalue(r_.get(), row, col)),
        &n);
    if (raw == nullptr) return absl::DataLossError("bad bytea value");
    std::string out(reinterpret_cast<const char*>(raw), n);
    PQfreemem(raw);
    return out;
  }

 private:
  ResultPtr r_;
};

bool IsConnectionState(const char* state) {
  return state != nullptr &&
         (std::strncmp(state, "08", 2) == 0 ||  // connection exception
          std::strcmp(state, "57P01") == 0 ||   // admin shutdown
          std::strcmp(state, "57P02") == 0 ||   // crash shutdown
          std::strcmp(state, "57P03") == 0 ||   // cannot connect now
          std::strcmp(state, "40001") == 0 ||   // serialization failure
          std::strcmp(state, "40P01") == 0);    // deadlock
}

// One connection and the statements prepared on it.
class Connection {
 public:
  explicit Connection(ConnPtr c) : conn_(std::move(c)), prepared_(kStmtCount) {}

  bool ok() const { return PQstatus(conn_.get()) == CONNECTION_OK; }

  // Reconnects with the same parameters. Unavailable if that fails.
  absl::Status Reset() {
    PQreset(conn_.get());
    prepared_.assign(kStmtCount, false);
    if (!ok()) {
      return absl::UnavailableError(absl::StrCat("PostgreSQL unreachable: ",
                                                 PQerrorMessage(conn_.get())));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Rows> Run(StmtId id, const Params& p) {
    const StmtDef& def = kStatements[id];
    if (!prepared_[id]) {
      ResultPtr r(PQprepare(conn_.get(), def.name, def.sql, 0, nullptr));
      RETURN_IF_ERROR_CTX(Check(r.get(), PGRES_COMMAND_OK),
                          absl::StrCat("preparing ", def.name));
      prepared_[id] = true;
    }
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    p.Arrays(values, lengths, formats);
    ResultPtr r(PQexecPrepared(conn_.get(), def.name, p.size(), values.data(),
                               lengths.data(), formats.data(), 0));
    RETURN_IF_ERROR_CTX(Check(r.get(), PGRES_TUPLES_OK), def.name);
    return Rows(std::move(r));
  }

  // An unprepared statement (for queries built from filters).
  absl::StatusOr<Rows> RunSql(const std::string& sql, const Params& p) {
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    p.Arrays(values, lengths, formats);
    ResultPtr r(PQexecParams(conn_.get(), sql.c_str(), p.size(), nullptr,
                             values.data(), lengths.data(), formats.data(), 0));
    RETURN_IF_ERROR(Check(r.get(), PGRES_TUPLES_OK));
    return Rows(std::move(r));
  }

  // Runs parameterless SQL (may hold several statements).
  absl::Status Exec(const char* sql) {
    ResultPtr r(PQexec(conn_.get(), sql));
    return Check(r.get(), PGRES_COMMAND_OK);
  }

 private:
  // OK for `want` (or COMMAND_OK / TUPLES_OK interchangeably), Unavailable
  // for a lost connection or a transient conflict, Internal otherwise.
  absl::Status Check(const PGresult* r, ExecStatusType want) {
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == want || st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
      return absl::OkStatus();
    }
    std::string msg = r ? PQresultErrorMessage(r) : "";
    if (msg.empty()) msg = PQerrorMessage(conn_.get());
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    // No SQLSTATE: libpq's own error (the socket broke, or the server
    // closed it).
    if (!ok() || state == nullptr || IsConnectionState(state)) {
      return absl::UnavailableError(absl::StrCat("PostgreSQL: ", msg));
    }
    return absl::InternalError(absl::StrCat("PostgreSQL (", state, "): ", msg));
  }

  ConnPtr conn_;
  std::vector<bool> prepared_;
};

// A fixed-size set of connections opened on demand.
class Pool {
 public:
  Pool(std::string uri, int size) : uri_(std::move(uri)), size_(size) {}

  // A connection (waits while all are in use). Unavailable when a new one
  // cannot be opened.
  absl::StatusOr<std::unique_ptr<Connection>> Acquire() {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
      ++open_;
    }
    auto c = Connect();
    if (!c.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      --open_;
      cv_.notify_one();
    }
    return c;
  }

  void Release(std::unique_ptr<Connection> c) {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(std::move(c));
    cv_.notify_one();
  }

 private:
  absl::StatusOr<std::unique_ptr<Connection>> Connect() {
    // The URI's own settings win over these defaults (later keywords
    // override earlier ones; dbname is expanded in place).
    const char* keys[] = {"connect_timeout", "application_name", "dbname",
                          nullptr};
    const char* values[] = {"10", "vtpm-attest-verifier", uri_.c_str(),
                            nullptr};
    ConnPtr c(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
    if (c == nullptr) return absl::ResourceExhaustedError("libpq: no memory");
    if (PQstatus(c.get()) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(c.get());
      while (!msg.empty() && msg.back() == '\n') msg.pop_back();
      return absl::UnavailableError(
          absl::StrCat("PostgreSQL unreachable: ", msg));
    }
    // Server notices (e.g. "already exists, skipping") are not errors.
    PQsetNoticeProcessor(
        c.get(), [](void*, const char*) {}, nullptr);
    return std::make_unique<Connection>(std::move(c));
  }

  const std::string uri_;
  const int size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;  // connections in idle_ or lent out
};

class PostgresStore : public Store {
 public:
  PostgresStore(std::string uri, int pool_size)
      : pool_(std::move(uri), pool_size) {}

  absl::Status Migrate() {
    return WithConnection([](Connection& c) -> absl::Status {
      RETURN_IF_ERROR(c.Exec("BEGIN"));
      absl::Status s = MigrateInTransaction(c);
      if (!s.ok()) {
        (void)c.Exec("ROLLBACK");
        return s;
      }
      return c.Exec("COMMIT");
    });
  }

  // --- Identities -----------------------------------------------------------

  absl::StatusOr<std::optional<IdentityRecord>> GetIdentity(
      const std::string& fp) override {
    ASSIGN_OR_RETURN(Rows rows, Run(kGetIdentity, Params().Text(fp)));
    if (rows.count() == 0) return std::optional<IdentityRecord>();
    ASSIGN_OR_RETURN(IdentityRecord r, ReadIdentity(rows, 0));
    return std::optional<IdentityRecord>(std::move(r));
  }

  absl::StatusOr<std::vector<IdentityRecord>> FindIdentitiesByVmUuid(
      const std::string& vm_uuid) override {
    ASSIGN_OR_RETURN(Rows rows, Run(kFindByVmUuid, Params().Text(vm_uuid)));
    return ReadIdentities(rows);
  }

  absl::StatusOr<std::vector<IdentityRecord>> ListIdentities(
      const IdentityQuery& query) override {
    Params p;
    p.Text(query.after_fingerprint);
    std::string sql = "SELECT " VTPM_PG_IDENTITY_COLUMNS
                      " FROM identities WHERE ek_fingerprint > $1";
    if (query.status != v1::RESULT_UNSPECIFIED) {
      p.Int(query.status);
      absl::StrAppend(&sql, " AND status = $", p.size(), "::integer");
    }
    if (!query.policy.empty()) {
      p.Text(query.policy);
      absl::StrAppend(&sql, " AND policy = $", p.size());
    }
    if (!query.vm_uuid.empty()) {
      p.Text(query.vm_uuid);
      absl::StrAppend(&sql, " AND vm_uuid = $", p.size());
    }
    p.Int(query.limit > 0 ? query.limit : 100);
    absl::StrAppend(&sql, " ORDER BY ek_fingerprint LIMIT $", p.size(),
                    "::integer");
    ASSIGN_OR_RETURN(Rows rows, RunSql(sql, p));
    return ReadIdentities(rows);
  }

  absl::StatusOr<std::map<v1::Result, int64_t>> CountIdentitiesByStatus()
      override {
    ASSIGN_OR_RETURN(Rows rows, Run(kCountByStatus, Params()));
    std::map<v1::Result, int64_t> out;
    for (int i = 0; i < rows.count(); ++i) {
      out[static_cast<v1::Result>(rows.Int(i, 0))] = rows.Int(i, 1);
    }
    return out;
  }

  absl::Status UpsertIdentity(const IdentityRecord& r) override {
    ASSIGN_OR_RETURN(std::string labels, LabelsToJson(r.labels));
    return Run(kUpsertIdentity, Params()
                                    .Text(r.ek_fingerprint)
                                    .Text(r.vm_uuid)
                                    .Text(r.hostname)
                                    .Bytes(r.ek_public)
                                    .Bytes(r.ek_certificate)
                                    .Text(r.policy)
                                    .Text(labels)
                                    .Int(r.last_seen_unix))
        .status();
  }

  absl::Status SetActivatedAk(const std::string& fp, const std::string& name,
                              const std::string& pub) override {
    ASSIGN_OR_RETURN(
        Rows rows,
        Run(kSetActivatedAk, Params().Text(fp).Bytes(name).Bytes(pub).Int(
                                 v1::ENROLLMENT_ACTIVE)));
    return ExpectOneRow(rows, fp);
  }

  absl::Status SetEnrollment(const std::string& fp,
                             v1::EnrollmentState state) override {
    ASSIGN_OR_RETURN(
        Rows rows, Run(kSetEnrollment, Params().Text(fp).Int(state).Bool(
                                           state == v1::ENROLLMENT_REENROLL)));
    return ExpectOneRow(rows, fp);
  }

  absl::Status ForgetIdentity(const std::string& fp) override {
    ASSIGN_OR_RETURN(Rows rows, Run(kForgetIdentity, Params().Text(fp)));
    return ExpectOneRow(rows, fp);
  }

  absl::StatusOr<std::vector<IdentityRecord>> MarkStale(int64_t now_unix,
                                                        int limit) override {
    if (limit <= 0) return std::vector<IdentityRecord>();
    ASSIGN_OR_RETURN(Rows rows,
                     Run(kMarkStale, Params().Int(now_unix).Int(limit)));
    return ReadIdentities(rows);
  }

  // --- Verdicts -------------------------------------------------------------

  absl::StatusOr<RecordOutcome> RecordVerdict(
      const std::string& fp, const v1::Verdict& v,
      const VerdictWrite& write) override {
    if (v.verdict_id().empty()) {
      return absl::InvalidArgumentError("verdict has no id");
    }
    ASSIGN_OR_RETURN(Rows rows,
                     Run(kRecordVerdict, VerdictParams(fp, v, write)));
    return ReadOutcome(rows);
  }

  // One transaction, one commit (one WAL flush) for the whole batch. If it
  // fails, each verdict is written alone (with RecordVerdict's retry).
  std::vector<absl::StatusOr<RecordOutcome>> RecordVerdicts(
      const std::vector<VerdictToRecord>& batch) override {
    std::vector<absl::StatusOr<RecordOutcome>> out(batch.size());
    bool all_have_ids = true;
    for (const auto& v : batch) {
      if (v.verdict->verdict_id().empty()) all_have_ids = false;
    }
    if (batch.size() > 1 && all_have_ids) {
      std::vector<RecordOutcome> outcomes;
      absl::Status s = WithConnection([&](Connection& c) -> absl::Status {
        outcomes.clear();
        RETURN_IF_ERROR(c.Exec("BEGIN"));
        absl::Status body = [&]() -> absl::Status {
          for (const auto& v : batch) {
            ASSIGN_OR_RETURN(
                Rows rows,
                c.Run(kRecordVerdict,
                      VerdictParams(*v.ek_fingerprint, *v.verdict, *v.write)));
            ASSIGN_OR_RETURN(RecordOutcome o, ReadOutcome(rows));
            outcomes.push_back(o);
          }
          return c.Exec("COMMIT");
        }();
        if (!body.ok() && c.ok()) (void)c.Exec("ROLLBACK");
        return body;
      });
      if (s.ok() && outcomes.size() == batch.size()) {
        for (size_t i = 0; i < batch.size(); ++i) out[i] = outcomes[i];
        return out;
      }
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      out[i] = RecordVerdict(*batch[i].ek_fingerprint, *batch[i].verdict,
                             *batch[i].write);
    }
    return out;
  }

  absl::StatusOr<std::vector<v1::Verdict>> QueryVerdicts(
      const VerdictQuery& query) override {
    Params p;
    p.Int(query.since_unix);
    std::string sql =
        "SELECT verdict FROM verdicts WHERE created_at >= $1::bigint";
    if (!query.ek_fingerprint.empty()) {
      p.Text(query.ek_fingerprint);
      absl::StrAppend(&sql, " AND ek_fingerprint = $", p.size());
    }
    if (!query.vm_uuid.empty()) {
      p.Text(query.vm_uuid);
      absl::StrAppend(&sql, " AND vm_uuid = $", p.size());
    }
    if (query.result != v1::RESULT_UNSPECIFIED) {
      p.Int(query.result);
      absl::StrAppend(&sql, " AND result = $", p.size(), "::integer");
    }
    p.Int(query.limit > 0 ? query.limit : 50);
    absl::StrAppend(&sql, " ORDER BY created_at DESC, seq DESC LIMIT $",
                    p.size(), "::integer");
    ASSIGN_OR_RETURN(Rows rows, RunSql(sql, p));
    std::vector<v1::Verdict> out;
    for (int i = 0; i < rows.count(); ++i) {
      ASSIGN_OR_RETURN(v1::Verdict v, ParseVerdict(rows, i, 0));
      out.push_back(std::move(v));
    }
    return out;
  }

  absl::StatusOr<std::vector<StoredVerdict>> VerdictsAfter(int64_t after_seq,
                                                           int limit) override {
    ASSIGN_OR_RETURN(Rows rows,
                     Run(kVerdictsAfter, Params().Int(after_seq).Int(limit)));
    std::vector<StoredVerdict> out;
    for (int i = 0; i < rows.count(); ++i) {
      StoredVerdict sv;
      sv.seq = rows.Int(i, 0);
      ASSIGN_OR_RETURN(sv.verdict, ParseVerdict(rows, i, 1));
      out.push_back(std::move(sv));
    }
    return out;
  }

  absl::StatusOr<int64_t> LastVerdictSeq() override {
    return SingleInt(kLastVerdictSeq);
  }

  // --- Failed evidence
  // --------------------------------------------------------

  absl::Status RecordFailedEvidence(const FailedEvidence& e) override {
    return Run(kRecordFailedEvidence, Params()
                                          .Text(e.verdict_id)
                                          .Text(e.ek_fingerprint)
                                          .Int(e.created_unix)
                                          .Bytes(e.hello)
                                          .Bytes(e.quote_response))
        .status();
  }

  absl::StatusOr<std::optional<FailedEvidence>> GetFailedEvidence(
      const std::string& verdict_id) override {
    ASSIGN_OR_RETURN(Rows rows,
                     Run(kGetFailedEvidence, Params().Text(verdict_id)));
    if (rows.count() == 0) return std::optional<FailedEvidence>();
    FailedEvidence e;
    e.verdict_id = rows.Text(0, 0);
    e.ek_fingerprint = rows.Text(0, 1);
    e.created_unix = rows.Int(0, 2);
    ASSIGN_OR_RETURN(e.hello, rows.Bytes(0, 3));
    ASSIGN_OR_RETURN(e.quote_response, rows.Bytes(0, 4));
    return std::optional<FailedEvidence>(std::move(e));
  }

  absl::StatusOr<int64_t> PruneFailedEvidence(int64_t before_unix) override {
    ASSIGN_OR_RETURN(Rows rows,
                     Run(kPruneFailedEvidence, Params().Int(before_unix)));
    return rows.affected();
  }

  // --- Audit
  // ------------------------------------------------------------------

  absl::StatusOr<int64_t> AppendAudit(const AuditRecord& e) override {
    ASSIGN_OR_RETURN(Rows rows, Run(kAppendAudit, Params()
                                                      .Text(NewOpId())
                                                      .Int(e.at_unix)
                                                      .Text(e.actor)
                                                      .Text(e.action)
                                                      .Text(e.target)
                                                      .Text(e.detail)));
    if (rows.count() != 1) return absl::InternalError("append_audit: no row");
    return rows.Int(0, 0);
  }

  absl::StatusOr<std::vector<AuditRecord>> ListAudit(int limit) override {
    ASSIGN_OR_RETURN(Rows rows, Run(kListAudit, Params().Int(limit)));
    std::vector<AuditRecord> out;
    for (int i = 0; i < rows.count(); ++i) {
      AuditRecord a;
      a.seq = rows.Int(i, 0);
      a.at_unix = rows.Int(i, 1);
      a.actor = rows.Text(i, 2);
      a.action = rows.Text(i, 3);
      a.target = rows.Text(i, 4);
      a.detail = rows.Text(i, 5);
      out.push_back(std::move(a));
    }
    return out;
  }

  // --- Attest-now requests
  // ----------------------------------------------------

  absl::StatusOr<int64_t> RequestAttestation(const std::string& fp,
                                             int64_t now_unix) override {
    ASSIGN_OR_RETURN(Rows rows,
                     Run(kRequestAttestation,
                         Params().Text(NewOpId()).Text(fp).Int(now_unix)));
    if (rows.count() != 1) {
      return absl::InternalError("request_attestation: no row");
    }
    return rows.Int(0, 0);
  }

  absl::StatusOr<std::vector<AttestRequest>> AttestRequestsAfter(
      int64_t after_seq, int limit) override {
    ASSIGN_OR_RETURN(Rows rows, Run(kAttestRequestsAfter,
                                    Params().Int(after_seq).Int(limit)));
    std::vector<AttestRequest> out;
    for (int i = 0; i < rows.count(); ++i) {
      out.push_back({rows.Int(i, 0), rows.Text(i, 1), rows.Int(i, 2)});
    }
    return out;
  }

  absl::StatusOr<int64_t> LastAttestRequestSeq() override {
    return SingleInt(kLastAttestRequestSeq);
  }

  absl::Status PruneAttestRequests(int64_t before_unix) override {
    return Run(kPruneAttestRequests, Params().Int(before_unix)).status();
  }

  // --- Policies
  // ---------------------------------------------------------------

  absl::StatusOr<int64_t> PutPolicy(const StoredPolicy& p) override {
    ASSIGN_OR_RETURN(Rows rows, Run(kPutPolicy, Params()
                                                    .Text(p.name)
                                                    .Text(p.json)
                                                    .Int(p.updated_unix)
                                                    .Text(p.actor)));
    if (rows.count() != 1) return absl::InternalError("put_policy: no row");
    return rows.Int(0, 0);
  }

  absl::StatusOr<std::vector<StoredPolicy>> ListStoredPolicies() override {
    ASSIGN_OR_RETURN(Rows rows, Run(kListPolicies, Params()));
    std::vector<StoredPolicy> out;
    for (int i = 0; i < rows.count(); ++i) {
      StoredPolicy p;
      p.name = rows.Text(i, 0);
      p.json = rows.Text(i, 1);
      p.updated_unix = rows.Int(i, 2);
      p.actor = rows.Text(i, 3);
      p.revision = rows.Int(i, 4);
      out.push_back(std::move(p));
    }
    return out;
  }

  absl::StatusOr<int64_t> PolicyRevision() override {
    return SingleInt(kPolicyRevision);
  }

 private:
  static Params VerdictParams(const std::string& fp, const v1::Verdict& v,
                              const VerdictWrite& write) {
    Params p;
    p.Text(v.verdict_id())
        .Text(fp)
        .Text(v.identity().vm_uuid())
        .Int(v.result())
        .Int(v.verified_at_unix())
        .Text(v.policy())
        .Text(ReasonCodesText(v))
        .Text(v.replica())
        .Bytes(v.SerializeAsString())
        .Int(write.next_due_unix)
        .Bool(write.clock.has_value());
    if (write.clock) {
      p.Int(static_cast<int64_t>(write.clock->clock))
          .Int(write.clock->reset_count)
          .Int(write.clock->restart_count);
    } else {
      p.Null().Null().Null();
    }
    return p;
  }

  static absl::StatusOr<RecordOutcome> ReadOutcome(const Rows& rows) {
    if (rows.count() != 1) return absl::InternalError("record_verdict: no row");
    RecordOutcome out;
    out.inserted = !rows.Null(0, 0);
    out.seq = out.inserted ? rows.Int(0, 0) : rows.Int(0, 2);
    out.previous_status = static_cast<v1::Result>(rows.Int(0, 1));
    return out;
  }

  static absl::Status MigrateInTransaction(Connection& c) {
    // Replicas starting together queue here; the later ones then find the
    // migrations applied.
    RETURN_IF_ERROR(c.RunSql(absl::StrCat("SELECT pg_advisory_xact_lock(",
                                          kMigrationLockKey, ")"),
                             Params())
                        .status());
    RETURN_IF_ERROR(
        c.Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
               " version integer PRIMARY KEY,"
               " applied_at timestamptz NOT NULL DEFAULT now())"));
    ASSIGN_OR_RETURN(
        Rows rows,
        c.RunSql("SELECT coalesce(max(version), 0) FROM schema_migrations",
                 Params()));
    int64_t version = rows.Int(0, 0);
    if (version > kSchemaVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          "database schema version ", version,
          " is newer than this verifier understands (", kSchemaVersion, ")"));
    }
    for (int64_t v = version; v < kSchemaVersion; ++v) {
      RETURN_IF_ERROR_CTX(c.Exec(kMigrations[v]),
                          absl::StrCat("schema migration ", v + 1));
      RETURN_IF_ERROR(
          c.RunSql(
               "INSERT INTO schema_migrations (version) VALUES ($1::integer)",
               Params().Int(v + 1))
              .status());
    }
    return absl::OkStatus();
  }

  // Runs `body` on a pooled connection. When it fails for a lost
  // connection (Unavailable), reconnects and runs it once more.
  template <typename T>
  T WithConnection(const std::function<T(Connection&)>& body) {
    T result = absl::UnavailableError("not run");
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto conn = pool_.Acquire();
      if (!conn.ok()) return conn.status();
      Connection& c = **conn;
      absl::Status ready = c.ok() ? absl::OkStatus() : c.Reset();
      if (ready.ok()) {
        result = body(c);
      } else {
        result = ready;
      }
      bool retry = !ready.ok() ||
                   (!result.ok() && absl::IsUnavailable(ToStatus(result)));
      if (retry && c.ok()) {
        // A transient conflict (deadlock, serialization): the connection
        // is fine.
      } else if (retry) {
        (void)c.Reset();
      }
      pool_.Release(std::move(*conn));
      if (!retry) return result;
    }
    return result;
  }
  absl::Status WithConnection(
      const std::function<absl::Status(Connection&)>& body) {
    return WithConnection<absl::Status>(body);
  }

  static const absl::Status& ToStatus(const absl::Status& s) { return s; }
  template <typename U>
  static const absl::Status& ToStatus(const absl::StatusOr<U>& s) {
    return s.status();
  }

  absl::StatusOr<Rows> Run(StmtId id, const Params& p) {
    return WithConnection<absl::StatusOr<Rows>>(
        [&](Connection& c) { return c.Run(id, p); });
  }
  absl::StatusOr<Rows> RunSql(const std::string& sql, const Params& p) {
    return WithConnection<absl::StatusOr<Rows>>(
        [&](Connection& c) { return c.RunSql(sql, p); });
  }

  absl::StatusOr<int64_t> SingleInt(StmtId id) {
    ASSIGN_OR_RETURN(Rows rows, Run(id, Params()));
    return rows.count() > 0 ? rows.Int(0, 0) : 0;
  }

  static absl::Status ExpectOneRow(const Rows& rows, const std::string& fp) {
    if (rows.affected() != 1) {
      return absl::NotFoundError(absl::StrCat("no identity ", fp));
    }
    return absl::OkStatus();
  }

  // A random key that makes a retried insert land once.
  std::string NewOpId() {
    std::lock_guard<std::mutex> lock(rng_mu_);
    return absl::StrCat(absl::Hex(rng_(), absl::kZeroPad16),
                        absl::Hex(rng_(), absl::kZeroPad16));
  }

  static absl::StatusOr<v1::Verdict> ParseVerdict(const Rows& rows, int row,
                                                  int col) {
    ASSIGN_OR_RETURN(std::string blob, rows.Bytes(row, col));
    v1::Verdict v;
    if (!v.ParseFromString(blob)) {
      return absl::DataLossError("stored verdict does not parse");
    }
    return v;
  }

  static absl::StatusOr<std::vector<IdentityRecord>> ReadIdentities(
      const Rows& rows) {
    std::vector<IdentityRecord> out;
    for (int i = 0; i < rows.count(); ++i) {
      ASSIGN_OR_RETURN(IdentityRecord r, ReadIdentity(rows, i));
      out.push_back(std::move(r));
    }
    return out;
  }

  // One row of VTPM_PG_IDENTITY_COLUMNS.
  static absl::StatusOr<IdentityRecord> ReadIdentity(const Rows& rows, int i) {
    IdentityRecord r;
    r.ek_fingerprint = rows.Text(i, 0);
    r.vm_uuid = rows.Text(i, 1);
    r.hostname = rows.Text(i, 2);
    ASSIGN_OR_RETURN(r.ek_public, rows.Bytes(i, 3));
    ASSIGN_OR_RETURN(r.ek_certificate, rows.Bytes(i, 4));
    ASSIGN_OR_RETURN(r.ak_name, rows.Bytes(i, 5));
    ASSIGN_OR_RETURN(r.ak_public, rows.Bytes(i, 6));
    r.policy = rows.Text(i, 7);
    ASSIGN_OR_RETURN(r.labels, LabelsFromJson(rows.Text(i, 8)));
    r.first_seen_unix = rows.Int(i, 9);
    r.last_seen_unix = rows.Int(i, 10);
    r.enrollment = static_cast<v1::EnrollmentState>(rows.Int(i, 11));
    r.status = static_cast<v1::Result>(rows.Int(i, 12));
    r.last_verdict_unix = rows.Int(i, 13);
    r.next_due_unix = rows.Int(i, 14);
    if (!rows.Null(i, 15)) {
      r.clock = ClockState{static_cast<uint64_t>(rows.Int(i, 15)),
                           static_cast<uint32_t>(rows.Int(i, 16)),
                           static_cast<uint32_t>(rows.Int(i, 17))};
    }
    return r;
  }

  Pool pool_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace

absl::StatusOr<std::pair<std::string, int>> SplitPoolSize(
    const std::string& uri, int default_size) {
  size_t q = uri.find('?');
  if (q == std::string::npos) return std::make_pair(uri, default_size);
  int size = default_size;
  std::vector<std::string> kept;
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(uri).substr(q + 1), '&')) {
    if (absl::StartsWith(part, "pool_size=")) {
      if (!absl::SimpleAtoi(part.substr(10), &size) || size < 1 || size > 256) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad pool_size in store URL: ", part));
      }
    } else if (!part.empty()) {
      kept.emplace_back(part);
    }
  }
  std::string out = uri.substr(0, q);
  if (!kept.empty()) absl::StrAppend(&out, "?", absl::StrJoin(kept, "&"));
  return std::make_pair(out, size);
}

absl::StatusOr<std::unique_ptr<Store>> OpenPostgresStore(
    const std::string& uri) {
  ASSIGN_OR_RETURN(auto split, SplitPoolSize(uri));
  auto store = std::make_unique<PostgresStore>(split.first, split.second);
  RETURN_IF_ERROR_CTX(store->Migrate(), "opening the PostgreSQL store");
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace vtpm::verifier
