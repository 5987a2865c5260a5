// What is specific to the PostgreSQL backend: migrations when replicas
// start together, surviving server restarts, reporting an unreachable
// server as Unavailable, the pool_size parameter.
#include "verifier/store/postgres_store.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/harness/postgres.h"
#include "tests/store/store_test_util.h"
#include "verifier/store/store.h"

namespace vtpm::verifier {
namespace {

namespace v1 = vtpm_attest::v1;
using store_test::MakeIdentity;
using store_test::MakeVerdict;

// One integer from a query run over a separate libpq connection.
int64_t QueryInt(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  std::unique_ptr<PGconn, void (*)(PGconn*)> guard(c, PQfinish);
  EXPECT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  PGresult* r = PQexec(c, sql.c_str());
  std::unique_ptr<PGresult, void (*)(PGresult*)> rguard(r, PQclear);
  EXPECT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQresultErrorMessage(r);
  if (PQntuples(r) != 1) return -1;
  return std::stoll(PQgetvalue(r, 0, 0));
}

TEST(PostgresStoreTest, ReplicasStartingTogetherMigrateOnce) {
  auto url = testing::SharedPostgresDatabase();
  ASSERT_TRUE(url.ok()) << url.status();
  constexpr int kReplicas = 4;
  std::vector<absl::Status> results(kReplicas);
  std::vector<std::unique_ptr<Store>> stores(kReplicas);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      ready++;
      while (ready.load() < kReplicas) std::this_thread::yield();
      auto s = OpenStore(*url);
      results[i] = s.status();
      if (s.ok()) stores[i] = std::move(*s);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kReplicas; ++i) {
    ASSERT_TRUE(results[i].ok()) << "replica " << i << ": " << results[i];
  }
  EXPECT_EQ(QueryInt(*url, "SELECT count(*) FROM schema_migrations"), 1);
  ASSERT_TRUE(stores[0]->UpsertIdentity(MakeIdentity("fp")).ok());
  EXPECT_TRUE((*stores[3]->GetIdentity("fp")).has_value());
}

TEST(PostgresStoreTest, NewerSchemaIsRefused) {
  auto url = testing::SharedPostgresDatabase();
  ASSERT_TRUE(url.ok()) << url.status();
  ASSERT_TRUE(OpenStore(*url).ok());
  EXPECT_EQ(QueryInt(*url,
                     "WITH i AS (INSERT INTO schema_migrations (version)"
                     " VALUES (99) RETURNING version) SELECT version FROM i"),
            99);
  auto again = OpenStore(*url);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("newer"), std::string::npos);
}

// Servers of their own: these tests stop and restart them.
class PostgresServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::PostgresServer::Create();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    auto url = server_->CreateDatabase("verifier");
    ASSERT_TRUE(url.ok()) << url.status();
    url_ = *url;
  }
  std::unique_ptr<testing::PostgresServer> server_;
  std::string url_;
};

// After a restart every pooled connection is dead. The store reconnects
// and retries, so the first call after the restart already succeeds (no
// Unavailable is surfaced), from one thread and from several at once.
TEST_F(PostgresServerTest, StoreSurvivesServerRestart) {
  auto opened = OpenStore(url_ + "?pool_size=3");
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& s = **opened;
  ASSERT_TRUE(s.UpsertIdentity(MakeIdentity("fp")).ok());
  // Open all three pooled connections.
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 20; ++i) EXPECT_TRUE(s.GetIdentity("fp").ok());
      });
    }
    for (auto& t : threads) t.join();
  }

  ASSERT_TRUE(server_->Restart().ok());
  auto got = s.GetIdentity("fp");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->has_value());
  auto out = s.RecordVerdict("fp", MakeVerdict("v1", 10, v1::RESULT_PASS), {});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->inserted);

  ASSERT_TRUE(server_->Restart().ok());
  std::vector<absl::Status> errors(6);
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      errors[t] =
          s.RecordVerdict(
               "fp", MakeVerdict(absl::StrCat("r", t), 20 + t, v1::RESULT_PASS),
               {})
              .status();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_TRUE(e.ok()) << e;
  EXPECT_EQ(s.VerdictsAfter(0, 100)->size(), 7u);
}

TEST_F(PostgresServerTest, UnreachableServerIsUnavailable) {
  auto opened = OpenStore(url_);
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& s = **opened;
  ASSERT_TRUE(s.UpsertIdentity(MakeIdentity("fp")).ok());

  ASSERT_TRUE(server_->Stop().ok());
  EXPECT_EQ(s.GetIdentity("fp").status().code(),
            absl::StatusCode::kUnavailable);
  auto rec = s.RecordVerdict("fp", MakeVerdict("v1", 10, v1::RESULT_PASS), {});
  EXPECT_EQ(rec.status().code(), absl::StatusCode::kUnavailable)
      << rec.status();
  EXPECT_EQ(s.AppendAudit({}).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.MarkStale(100, 10).status().code(),
            absl::StatusCode::kUnavailable);
  auto reopen = OpenStore(url_);
  EXPECT_EQ(reopen.status().code(), absl::StatusCode::kUnavailable)
      << reopen.status();

  // Back up: the same store works again without being reopened.
  ASSERT_TRUE(server_->Start().ok());
  auto got = s.GetIdentity("fp");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->has_value());
  EXPECT_TRUE(
      s.RecordVerdict("fp", MakeVerdict("v1", 10, v1::RESULT_PASS), {}).ok());
}

TEST(PostgresStoreTest, PoolSizeIsTakenOutOfTheUri) {
  auto plain = SplitPoolSize("postgresql://u@h:5/db");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->first, "postgresql://u@h:5/db");
  EXPECT_EQ(plain->second, 8);
  auto only = SplitPoolSize("postgresql://u@h/db?pool_size=3");
  ASSERT_TRUE(only.ok());
  EXPECT_EQ(only->first, "postgresql://u@h/db");
  EXPECT_EQ(only->second, 3);
  auto mixed = SplitPoolSize(
      "postgres://h/db?sslmode=disable&pool_size=16&connect_timeout=2");
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(mixed->first, "postgres://h/db?sslmode=disable&connect_timeout=2");
  EXPECT_EQ(mixed->second, 16);
  for (const char* bad :
       {"postgresql://h/db?pool_size=0", "postgresql://h/db?pool_size=x",
        "postgresql://h/db?pool_size=100000"}) {
    EXPECT_EQ(OpenStore(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace vtpm::verifier
