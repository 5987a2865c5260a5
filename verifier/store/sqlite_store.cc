#include "verifier/store/sqlite_store.h"

#include <sqlite3.h>

#include <mutex>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace vtpm::verifier {
namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// Schema migrations, applied in order; user_version records how many ran.
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
};

constexpr char kSelectIdentity[] =
    "SELECT ek_fingerprint, vm_uuid, hostname, ek_public, ek_certificate,"
    " ak_name, ak_public, policy, first_seen, last_seen, clock, reset_count,"
    " restart_count FROM identities";

class SqliteStore : public Store {
 public:
  explicit SqliteStore(DbPtr db) : db_(std::move(db)) {}

  absl::Status Migrate() {
    RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL"));
    RETURN_IF_ERROR(Exec("PRAGMA synchronous=NORMAL"));
    RETURN_IF_ERROR(Exec("PRAGMA foreign_keys=ON"));
    RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    int version = 0;
    {
      ASSIGN_OR_RETURN(StmtPtr st, Prepare("PRAGMA user_version"));
      if (sqlite3_step(st.get()) == SQLITE_ROW) {
        version = sqlite3_column_int(st.get(), 0);
      }
    }
    constexpr int kCount = sizeof(kMigrations) / sizeof(kMigrations[0]);
    if (version > kCount) {
      (void)Exec("ROLLBACK");
      return absl::FailedPreconditionError(absl::StrCat(
          "database schema version ", version,
          " is newer than this verifier understands (", kCount, ")"));
    }
    for (int v = version; v < kCount; ++v) {
      absl::Status s = Exec(kMigrations[v]);
      if (!s.ok()) {
        (void)Exec("ROLLBACK");
        return WithMigration(s, v + 1);
      }
    }
    RETURN_IF_ERROR(Exec(absl::StrCat("PRAGMA user_version=", kCount)));
    return Exec("COMMIT");
  }

  absl::StatusOr<std::optional<IdentityRecord>> GetIdentity(
      const std::string& fp) override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(
        StmtPtr st,
        Prepare(absl::StrCat(kSelectIdentity, " WHERE ek_fingerprint = ?")
                    .c_str()));
    BindText(st.get(), 1, fp);
    int rc = sqlite3_step(st.get());
    if (rc == SQLITE_DONE) return std::optional<IdentityRecord>();
    if (rc != SQLITE_ROW) return Error("reading identity");
    return std::optional<IdentityRecord>(ReadIdentity(st.get()));
  }

  absl::StatusOr<std::vector<IdentityRecord>> FindIdentitiesByVmUuid(
      const std::string& vm_uuid) override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(StmtPtr st,
                     Prepare(absl::StrCat(kSelectIdentity,
                                          " WHERE vm_uuid = ?"
                                          " ORDER BY last_seen DESC")
                                 .c_str()));
    BindText(st.get(), 1, vm_uuid);
    std::vector<IdentityRecord> out;
    int rc;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
      out.push_back(ReadIdentity(st.get()));
    }
    if (rc != SQLITE_DONE) return Error("finding identities");
    return out;
  }

  absl::Status UpsertIdentity(const IdentityRecord& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(
        StmtPtr st,
        Prepare("INSERT INTO identities (ek_fingerprint, vm_uuid, hostname,"
                " ek_public, ek_certificate, policy, first_seen, last_seen)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
                " ON CONFLICT(ek_fingerprint) DO UPDATE SET"
                " vm_uuid = ?2, hostname = ?3, ek_public = ?4,"
                " ek_certificate = ?5, policy = ?6, last_seen = ?7"));
    BindText(st.get(), 1, r.ek_fingerprint);
    BindText(st.get(), 2, r.vm_uuid);
    BindText(st.get(), 3, r.hostname);
    BindBlob(st.get(), 4, r.ek_public);
    BindBlob(st.get(), 5, r.ek_certificate);
    BindText(st.get(), 6, r.policy);
    sqlite3_bind_int64(st.get(), 7, r.last_seen_unix);
    return Done(st.get(), "writing identity");
  }

  absl::Status SetActivatedAk(const std::string& fp, const std::string& name,
                              const std::string& pub) override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(
        StmtPtr st, Prepare("UPDATE identities SET ak_name = ?2, ak_public = ?3"
                            " WHERE ek_fingerprint = ?1"));
    BindText(st.get(), 1, fp);
    BindBlob(st.get(), 2, name);
    BindBlob(st.get(), 3, pub);
    RETURN_IF_ERROR(Done(st.get(), "recording activated AK"));
    return ExpectOneRow(fp);
  }

  absl::Status SetClock(const std::string& fp, const ClockState& c) override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(StmtPtr st, Prepare("UPDATE identities SET clock = ?2,"
                                         " reset_count = ?3, restart_count = ?4"
                                         " WHERE ek_fingerprint = ?1"));
    BindText(st.get(), 1, fp);
    sqlite3_bind_int64(st.get(), 2, static_cast<int64_t>(c.clock));
    sqlite3_bind_int64(st.get(), 3, c.reset_count);
    sqlite3_bind_int64(st.get(), 4, c.restart_count);
    RETURN_IF_ERROR(Done(st.get(), "recording TPM clock"));
    return ExpectOneRow(fp);
  }

  absl::Status RecordVerdict(const std::string& fp,
                             const vtpm_attest::v1::Verdict& v) override {
    if (v.verdict_id().empty()) {
      return absl::InvalidArgumentError("verdict has no id");
    }
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(
        StmtPtr st,
        Prepare("INSERT INTO verdicts (verdict_id, ek_fingerprint, vm_uuid,"
                " result, created_at, verdict) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(verdict_id) DO NOTHING"));
    BindText(st.get(), 1, v.verdict_id());
    BindText(st.get(), 2, fp);
    BindText(st.get(), 3, v.identity().vm_uuid());
    sqlite3_bind_int(st.get(), 4, v.result());
    sqlite3_bind_int64(st.get(), 5, v.verified_at_unix());
    BindBlob(st.get(), 6, v.SerializeAsString());
    return Done(st.get(), "writing verdict");
  }

  absl::StatusOr<std::vector<vtpm_attest::v1::Verdict>> ListVerdicts(
      const std::string& fp, int limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(
        StmtPtr st,
        Prepare("SELECT verdict FROM verdicts WHERE ek_fingerprint = ?"
                " ORDER BY created_at DESC, rowid DESC LIMIT ?"));
    BindText(st.get(), 1, fp);
    sqlite3_bind_int(st.get(), 2, limit);
    std::vector<vtpm_attest::v1::Verdict> out;
    int rc;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
      vtpm_attest::v1::Verdict v;
      if (!v.ParseFromString(Blob(st.get(), 0))) {
        return absl::DataLossError("stored verdict does not parse");
      }
      out.push_back(std::move(v));
    }
    if (rc != SQLITE_DONE) return Error("listing verdicts");
    return out;
  }

 private:
  absl::Status Exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &err) !=
        SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      return absl::InternalError(absl::StrCat("sqlite: ", msg));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<StmtPtr> Prepare(const char* sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_.get(), sql, -1, &st, nullptr) != SQLITE_OK) {
      return Error("preparing statement");
    }
    return StmtPtr(st);
  }

  absl::Status Done(sqlite3_stmt* st, const char* what) {
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) return Error(what);
    return absl::OkStatus();
  }

  absl::Status ExpectOneRow(const std::string& fp) {
    if (sqlite3_changes(db_.get()) != 1) {
      return absl::NotFoundError(absl::StrCat("no identity ", fp));
    }
    return absl::OkStatus();
  }

  absl::Status Error(const char* what) {
    return absl::InternalError(
        absl::StrCat("sqlite: ", what, ": ", sqlite3_errmsg(db_.get())));
  }

  static absl::Status WithMigration(const absl::Status& s, int v) {
    return absl::Status(
        s.code(), absl::StrCat("schema migration ", v, ": ", s.message()));
  }

  // One row of kSelectIdentity.
  static IdentityRecord ReadIdentity(sqlite3_stmt* st) {
    IdentityRecord r;
    r.ek_fingerprint = Text(st, 0);
    r.vm_uuid = Text(st, 1);
    r.hostname = Text(st, 2);
    r.ek_public = Blob(st, 3);
    r.ek_certificate = Blob(st, 4);
    r.ak_name = Blob(st, 5);
    r.ak_public = Blob(st, 6);
    r.policy = Text(st, 7);
    r.first_seen_unix = sqlite3_column_int64(st, 8);
    r.last_seen_unix = sqlite3_column_int64(st, 9);
    if (sqlite3_column_type(st, 10) != SQLITE_NULL) {
      r.clock = ClockState{static_cast<uint64_t>(sqlite3_column_int64(st, 10)),
                           static_cast<uint32_t>(sqlite3_column_int64(st, 11)),
                           static_cast<uint32_t>(sqlite3_column_int64(st, 12))};
    }
    return r;
  }

  static void BindText(sqlite3_stmt* st, int i, const std::string& s) {
    sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()),
                      SQLITE_TRANSIENT);
  }
  static void BindBlob(sqlite3_stmt* st, int i, const std::string& s) {
    sqlite3_bind_blob(st, i, s.data(), static_cast<int>(s.size()),
                      SQLITE_TRANSIENT);
  }
  static std::string Text(sqlite3_stmt* st, int i) {
    const unsigned char* t = sqlite3_column_text(st, i);
    return t ? std::string(reinterpret_cast<const char*>(t),
                           sqlite3_column_bytes(st, i))
             : "";
  }
  static std::string Blob(sqlite3_stmt* st, int i) {
    const void* b = sqlite3_column_blob(st, i);
    return b ? std::string(static_cast<const char*>(b),
                           sqlite3_column_bytes(st, i))
             : "";
  }

  std::mutex mu_;
  DbPtr db_;
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
