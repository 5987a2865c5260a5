// Test harness: real PostgreSQL servers for the store tests.
//
// PostgresServer runs a private cluster (initdb + pg_ctl from the
// PostgreSQL server package, $VTPM_PG_BINDIR or the newest
// /usr/lib/postgresql/*/bin) listening on 127.0.0.1 at a free port, with
// trust authentication for the "postgres" role. As root the cluster runs
// as the "postgres" OS user (initdb refuses root).
//
// SharedPostgresDatabase() gives a test its own fresh database on the
// server that the ctest fixture (tests/store/pg_fixture.sh) started for
// the whole run, so that tests do not pay for initdb each.
#ifndef VTPM_TESTS_HARNESS_POSTGRES_H_
#define VTPM_TESTS_HARNESS_POSTGRES_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace vtpm::testing {

class PostgresServer {
 public:
  // Creates a cluster in a new temporary directory and starts it.
  // `server_options` are added to the postgres command line (e.g.
  // "-c max_connections=50"); durability settings stay at their defaults.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Create(
      const std::string& server_options = "");

  // Stops the server at once (pg_ctl stop -m immediate) and removes the
  // cluster's directory.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // libpq URI of the "postgres" database.
  std::string url() const { return UrlOf("postgres"); }
  // libpq URI of database `name` on this server.
  std::string UrlOf(const std::string& name) const;
  int port() const { return port_; }

  // Creates database `name` ([a-z0-9_]+) and returns its URI.
  absl::StatusOr<std::string> CreateDatabase(const std::string& name);

  // Stops the server (fast shutdown: clients are disconnected).
  absl::Status Stop();
  // Starts it again on the same data directory and port.
  absl::Status Start();
  // Stop() then Start().
  absl::Status Restart();

 private:
  PostgresServer() = default;
  absl::Status PgCtl(const std::vector<std::string>& args);

  std::string bindir_;
  std::string base_;  // owns data/, the socket and the log
  std::string options_;
  int port_ = 0;
  bool running_ = false;
};

// Creates database `name` through the server at `admin_url` and returns
// the URI of the new database.
absl::StatusOr<std::string> CreateDatabaseAt(const std::string& admin_url,
                                             const std::string& name);

// A fresh, uniquely named database for the calling test. Under ctest the
// shared server's URI is read from the file $VTPM_TEST_PG_URL_FILE (set by
// vtpm_add_test(... POSTGRES)); an error says so if that server is not
// running. Without the variable (a test binary run by hand) a private
// server is started for the process on first use.
absl::StatusOr<std::string> SharedPostgresDatabase();

}  // namespace vtpm::testing

#endif  // VTPM_TESTS_HARNESS_POSTGRES_H_
