// What is specific to the SQLite backend: upgrading databases written by
// the first release, refusing newer schemas, URL forms.
#include "verifier/store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "tests/harness/process.h"
#include "tests/store/store_test_util.h"
#include "verifier/store/store.h"

namespace vtpm::verifier {
namespace {

namespace v1 = vtpm_attest::v1;

// The schema of the first release (user_version 1), as it shipped.
constexpr char kV1Schema[] = R"sql(
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
)sql";

class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }
  ~RawDb() { sqlite3_close(db_); }
  void Exec(const std::string& sql) {
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << (err ? err : "") << " in " << sql;
    sqlite3_free(err);
  }
  void InsertVerdict(const std::string& fp, const v1::Verdict& v) {
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(
                  db_, "INSERT INTO verdicts VALUES (?, ?, ?, ?, ?, ?)", -1,
                  &st, nullptr),
              SQLITE_OK);
    std::string blob = v.SerializeAsString();
    sqlite3_bind_text(st, 1, v.verdict_id().c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, fp.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, v.identity().vm_uuid().c_str(), -1,
                      SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 4, v.result());
    sqlite3_bind_int64(st, 5, v.verified_at_unix());
    sqlite3_bind_blob(st, 6, blob.data(), static_cast<int>(blob.size()),
                      SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
  }
  int64_t Int(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr),
              SQLITE_OK);
    int64_t v =
        sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
  }

 private:
  sqlite3* db_ = nullptr;
};

TEST(SqliteStoreTest, UpgradesAVersion1DatabaseKeepingItsData) {
  testing::TempDir dir;
  std::string path = dir.Sub("old.db");
  {
    RawDb raw(path);
    raw.Exec(kV1Schema);
    raw.Exec(
        "INSERT INTO identities VALUES ('fp1', 'vm-1', 'host', x'00ff01',"
        " x'3082', x'000b01', x'0001', 'default', 100, 200, 5000, 2, 3)");
    raw.Exec(
        "INSERT INTO identities (ek_fingerprint, vm_uuid, hostname,"
        " ek_public, ek_certificate, policy, first_seen, last_seen)"
        " VALUES ('fp2', 'vm-2', 'h2', x'00', x'', 'default', 50, 60)");
    v1::Verdict a =
        store_test::MakeVerdict("old-b", 150, v1::RESULT_PASS, "vm-1");
    v1::Verdict b =
        store_test::MakeVerdict("old-a", 180, v1::RESULT_FAIL, "vm-1");
    b.set_policy("strict");
    raw.InsertVerdict("fp1", a);
    raw.InsertVerdict("fp1", b);
    raw.Exec("PRAGMA user_version=1");
  }
  auto store = OpenStore("sqlite:" + path);
  ASSERT_TRUE(store.ok()) << store.status();
  Store& s = **store;

  auto fp1 = s.GetIdentity("fp1");
  ASSERT_TRUE(fp1.ok() && fp1->has_value()) << fp1.status();
  const IdentityRecord& r = **fp1;
  EXPECT_EQ(r.vm_uuid, "vm-1");
  EXPECT_EQ(r.ek_public, std::string("\x00\xff\x01", 3));
  EXPECT_EQ(r.ak_name, std::string("\x00\x0b\x01", 3));
  EXPECT_EQ(r.first_seen_unix, 100);
  EXPECT_EQ(r.last_seen_unix, 200);
  ASSERT_TRUE(r.clock.has_value());
  EXPECT_EQ(r.clock->clock, 5000u);
  // New columns derived from the old data.
  EXPECT_EQ(r.enrollment, v1::ENROLLMENT_ACTIVE);  // it had an AK
  EXPECT_EQ(r.status, v1::RESULT_FAIL);            // its newest verdict
  EXPECT_EQ(r.last_verdict_unix, 180);
  EXPECT_EQ(r.next_due_unix, 0);
  EXPECT_TRUE(r.labels.empty());
  auto fp2 = s.GetIdentity("fp2");
  ASSERT_TRUE(fp2.ok() && fp2->has_value());
  EXPECT_EQ((*fp2)->enrollment, v1::ENROLLMENT_PENDING);
  EXPECT_EQ((*fp2)->status, v1::RESULT_UNSPECIFIED);

  // Old verdicts enter the feed in insertion order, then new ones follow.
  auto feed = s.VerdictsAfter(0, 10);
  ASSERT_TRUE(feed.ok()) << feed.status();
  ASSERT_EQ(feed->size(), 2u);
  EXPECT_EQ((*feed)[0].verdict.verdict_id(), "old-b");
  EXPECT_EQ((*feed)[1].verdict.verdict_id(), "old-a");
  auto next = s.RecordVerdict(
      "fp1", store_test::MakeVerdict("new", 300, v1::RESULT_PASS, "vm-1"), {});
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_GT(next->seq, (*feed)[1].seq);
  EXPECT_EQ(next->previous_status, v1::RESULT_FAIL);
  // A retried old verdict id is still recognized.
  auto retry = s.RecordVerdict(
      "fp1", store_test::MakeVerdict("old-a", 180, v1::RESULT_FAIL), {});
  ASSERT_TRUE(retry.ok());
  EXPECT_FALSE(retry->inserted);
  EXPECT_EQ(retry->seq, (*feed)[1].seq);

  VerdictQuery q;
  q.result = v1::RESULT_FAIL;
  auto failed = s.QueryVerdicts(q);
  ASSERT_TRUE(failed.ok());
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_EQ((*failed)[0].policy(), "strict");
  store->reset();

  // The queryable columns were filled from the old serialized verdicts.
  RawDb raw(path);
  EXPECT_EQ(raw.Int("PRAGMA user_version"), 2);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM verdicts WHERE verdict_id = 'old-a'"
                    " AND policy = 'strict' AND reasons = 'NONCE_MISMATCH'"
                    " AND replica = 'replica-a'"),
            1);
}

TEST(SqliteStoreTest, NewerSchemaIsRefusedAndGarbageFileIsAnError) {
  testing::TempDir dir;
  std::string db = dir.Sub("v.db");
  ASSERT_TRUE(OpenSqliteStore(db).ok());
  {
    RawDb raw(db);
    raw.Exec("PRAGMA user_version=99");
  }
  auto again = OpenSqliteStore(db);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("newer"), std::string::npos);

  ASSERT_TRUE(
      testing::WriteFile(dir.Sub("junk.db"), std::string(4096, 'j')).ok());
  auto junk = OpenSqliteStore(dir.Sub("junk.db"));
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.status().code(), absl::StatusCode::kDataLoss) << junk.status();
  EXPECT_EQ(OpenSqliteStore(dir.Sub("no/such/dir/v.db")).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(SqliteStoreTest, OpenStoreAcceptsEveryUrlForm) {
  testing::TempDir dir;
  std::string path = dir.Sub("v.db");
  {
    auto s = OpenStore(path);
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_TRUE((*s)->UpsertIdentity(store_test::MakeIdentity("fp")).ok());
  }
  for (const std::string& url : {"sqlite:" + path, "sqlite://" + path}) {
    auto s = OpenStore(url);
    ASSERT_TRUE(s.ok()) << url << ": " << s.status();
    EXPECT_TRUE((*s)->GetIdentity("fp")->has_value()) << url;
  }
  EXPECT_FALSE(OpenStore("sqlite:").ok());
}

TEST(SqliteStoreTest, BusyDatabaseIsUnavailableNotInternal) {
  testing::TempDir dir;
  std::string path = dir.Sub("v.db");
  auto store = OpenSqliteStore(path);
  ASSERT_TRUE(store.ok());
  RawDb raw(path);
  raw.Exec("BEGIN EXCLUSIVE");  // another process holds the write lock
  auto out = (*store)->RecordVerdict(
      "fp", store_test::MakeVerdict("v", 1, v1::RESULT_PASS), {});
  EXPECT_EQ(out.status().code(), absl::StatusCode::kUnavailable)
      << out.status();
  raw.Exec("ROLLBACK");
  EXPECT_TRUE(
      (*store)
          ->RecordVerdict("fp",
                          store_test::MakeVerdict("v", 1, v1::RESULT_PASS), {})
          .ok());
}

}  // namespace
}  // namespace vtpm::verifier
