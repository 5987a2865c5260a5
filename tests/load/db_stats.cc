#include "tests/load/db_stats.h"

#include <sys/stat.h>

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tests/harness/process.h"

namespace vtpm::load {
namespace {

int64_t FileSize(const std::string& path) {
  struct stat st = {};
  return stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

}  // namespace

DbTarget ParseDb(const std::string& db, const std::string& work_dir) {
  DbTarget t;
  std::string s = db.empty() ? "sqlite:" + work_dir + "/verifier.db" : db;
  if (absl::StartsWith(s, "postgresql://") ||
      absl::StartsWith(s, "postgres://")) {
    t.postgres = true;
    t.url = s;
    return t;
  }
  absl::string_view path = s;
  if (!absl::ConsumePrefix(&path, "sqlite://")) {
    absl::ConsumePrefix(&path, "sqlite:");
  }
  t.sqlite_path = std::string(path);
  // A plain path is understood by every verifier version.
  t.url = t.sqlite_path;
  return t;
}

absl::StatusOr<int64_t> CountVerdictRows(const DbTarget& db) {
  std::vector<std::string> argv =
      db.postgres ? std::vector<std::string>{"psql", db.url, "-At", "-c",
                                             "SELECT count(*) FROM verdicts"}
                  : std::vector<std::string>{
                        "sqlite3",      "-readonly",
                        "-cmd",         ".timeout 5000",
                        db.sqlite_path, "SELECT count(*) FROM verdicts;"};
  auto r = testing::RunCommand(argv);
  if (!r.ok()) return r.status();
  int64_t n = 0;
  if (r->exit_code != 0 ||
      !absl::SimpleAtoi(absl::StripAsciiWhitespace(r->stdout_text), &n)) {
    return absl::InternalError(absl::StrCat(
        argv[0], " failed: ", absl::StripAsciiWhitespace(r->output)));
  }
  return n;
}

int64_t SqliteBytes(const DbTarget& db) {
  if (db.postgres) return -1;
  return FileSize(db.sqlite_path) + FileSize(db.sqlite_path + "-wal");
}

}  // namespace vtpm::load
