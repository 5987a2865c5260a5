// The SQLite store on a real database file.
#include "verifier/store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "tests/harness/process.h"

namespace vtpm::verifier {
namespace {

namespace v1 = vtpm_attest::v1;

IdentityRecord Record(const std::string& fp) {
  IdentityRecord r;
  r.ek_fingerprint = fp;
  r.vm_uuid = "uuid-" + fp;
  r.hostname = "host";
  r.ek_public = std::string("\x00\x01pub", 5);
  r.policy = "default";
  r.last_seen_unix = 100;
  return r;
}

v1::Verdict MakeVerdict(const std::string& id, int64_t t, v1::Result result) {
  v1::Verdict v;
  v.set_verdict_id(id);
  v.set_verified_at_unix(t);
  v.set_result(result);
  v.mutable_identity()->set_vm_uuid("uuid");
  auto* r = v.add_reasons();
  r->set_code(v1::NONCE_MISMATCH);
  r->set_message("m");
  return v;
}

TEST(SqliteStoreTest, IdentityLifecycleSurvivesReopen) {
  testing::TempDir dir;
  std::string db = dir.Sub("v.db");
  {
    auto store = OpenSqliteStore(db);
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_FALSE((*(*store)->GetIdentity("fp1")).has_value());
    ASSERT_TRUE((*store)->UpsertIdentity(Record("fp1")).ok());
    ASSERT_TRUE((*store)->SetActivatedAk("fp1", "name", "akpub").ok());
    ASSERT_TRUE((*store)->SetClock("fp1", {1234, 2, 3}).ok());
    auto r = Record("fp1");
    r.hostname = "renamed";
    r.last_seen_unix = 200;
    ASSERT_TRUE((*store)->UpsertIdentity(r).ok());
  }
  auto store = OpenSqliteStore(db);
  ASSERT_TRUE(store.ok());
  auto got = (*store)->GetIdentity("fp1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->hostname, "renamed");
  EXPECT_EQ((*got)->first_seen_unix, 100);
  EXPECT_EQ((*got)->last_seen_unix, 200);
  EXPECT_EQ((*got)->ak_name, "name");  // kept by the upsert
  EXPECT_EQ((*got)->ek_public, std::string("\x00\x01pub", 5));
  ASSERT_TRUE((*got)->clock.has_value());
  EXPECT_EQ((*got)->clock->clock, 1234u);
  EXPECT_EQ((*got)->clock->restart_count, 3u);
}

TEST(SqliteStoreTest, UpdatesOfUnknownIdentitiesFail) {
  testing::TempDir dir;
  auto store = OpenSqliteStore(dir.Sub("v.db"));
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->SetActivatedAk("nope", "n", "p").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ((*store)->SetClock("nope", {}).code(), absl::StatusCode::kNotFound);
}

TEST(SqliteStoreTest, VerdictsNewestFirstAndIdempotent) {
  testing::TempDir dir;
  auto store = OpenSqliteStore(dir.Sub("v.db"));
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)
                  ->RecordVerdict("fp", MakeVerdict("a", 10, v1::RESULT_PASS))
                  .ok());
  ASSERT_TRUE((*store)
                  ->RecordVerdict("fp", MakeVerdict("b", 20, v1::RESULT_FAIL))
                  .ok());
  ASSERT_TRUE((*store)
                  ->RecordVerdict("fp", MakeVerdict("b", 20, v1::RESULT_FAIL))
                  .ok());
  EXPECT_FALSE(
      (*store)->RecordVerdict("fp", MakeVerdict("", 20, v1::RESULT_FAIL)).ok());
  auto list = (*store)->ListVerdicts("fp", 10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].verdict_id(), "b");
  EXPECT_EQ((*list)[0].reasons(0).code(), v1::NONCE_MISMATCH);
  EXPECT_EQ((*list)[1].verdict_id(), "a");
  EXPECT_EQ((*(*store)->ListVerdicts("fp", 1)).size(), 1u);
}

TEST(SqliteStoreTest, NewerSchemaIsRefusedAndGarbageFileIsAnError) {
  testing::TempDir dir;
  std::string db = dir.Sub("v.db");
  ASSERT_TRUE(OpenSqliteStore(db).ok());
  sqlite3* raw;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  sqlite3_exec(raw, "PRAGMA user_version=99", nullptr, nullptr, nullptr);
  sqlite3_close(raw);
  auto again = OpenSqliteStore(db);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("newer"), std::string::npos);

  ASSERT_TRUE(
      testing::WriteFile(dir.Sub("junk.db"), std::string(4096, 'j')).ok());
  EXPECT_FALSE(OpenSqliteStore(dir.Sub("junk.db")).ok());
  EXPECT_FALSE(OpenSqliteStore(dir.Sub("no/such/dir/v.db")).ok());
}

}  // namespace
}  // namespace vtpm::verifier
