// Load testing: the verifier's database as the load generator sees it
// (through the sqlite3 / psql command-line clients, so it works with any
// verifier build and any schema version that has a `verdicts` table).
#ifndef VTPM_TESTS_LOAD_DB_STATS_H_
#define VTPM_TESTS_LOAD_DB_STATS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace vtpm::load {

struct DbTarget {
  bool postgres = false;
  std::string sqlite_path;  // SQLite only
  std::string url;          // what the verifier's --database gets
};

// `db` as given on the command line: "" (SQLite file in `work_dir`),
// "sqlite:PATH", "sqlite://PATH", a plain path, or a postgresql:// /
// postgres:// URL (passed through). SQLite is passed as a plain path, which
// every verifier version accepts.
DbTarget ParseDb(const std::string& db, const std::string& work_dir);

// SELECT count(*) FROM verdicts, via sqlite3 (read-only, 5 s busy timeout)
// or psql. Errors carry the client's output.
absl::StatusOr<int64_t> CountVerdictRows(const DbTarget& db);

// Bytes of the SQLite file plus its WAL; -1 for PostgreSQL.
int64_t SqliteBytes(const DbTarget& db);

}  // namespace vtpm::load

#endif  // VTPM_TESTS_LOAD_DB_STATS_H_
