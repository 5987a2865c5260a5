#include "tests/harness/postgres.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "tests/harness/process.h"

namespace vtpm::testing {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<std::string> FindBindir() {
  if (const char* env = std::getenv("VTPM_PG_BINDIR"); env && *env) {
    return std::string(env);
  }
  std::string best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    int version = 0;
    if (!absl::SimpleAtoi(e.path().filename().string(), &version)) continue;
    std::string bin = (e.path() / "bin").string();
    if (fs::exists(bin + "/pg_ctl") && version > best_version) {
      best = bin;
      best_version = version;
    }
  }
  if (best.empty()) {
    return absl::NotFoundError(
        "no PostgreSQL server binaries (initdb, pg_ctl) under "
        "/usr/lib/postgresql/*/bin; install the postgresql package or set "
        "VTPM_PG_BINDIR");
  }
  return best;
}

// A TCP port on 127.0.0.1 that was free a moment ago.
absl::StatusOr<int> FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  if (port <= 0) return absl::InternalError("no free TCP port");
  return port;
}

bool IsRoot() { return geteuid() == 0; }

// argv run as the postgres OS user when we are root.
std::vector<std::string> AsPostgres(std::vector<std::string> argv) {
  if (!IsRoot()) return argv;
  std::vector<std::string> out = {"runuser", "-u", "postgres", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Create(
    const std::string& server_options) {
  std::unique_ptr<PostgresServer> s(new PostgresServer());
  ASSIGN_OR_RETURN(s->bindir_, FindBindir());
  // Not under TempDir: the postgres user must be able to enter it.
  std::string tmpl = "/tmp/vtpm-pg.XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    return absl::InternalError("mkdtemp failed");
  }
  s->base_ = tmpl;
  if (IsRoot()) {
    passwd* pw = getpwnam("postgres");
    if (pw == nullptr) {
      return absl::FailedPreconditionError(
          "running as root needs a 'postgres' OS user to run PostgreSQL");
    }
    if (chown(s->base_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return absl::InternalError("chown of the cluster directory failed");
    }
  }
  ASSIGN_OR_RETURN(s->port_, FreePort());
  s->options_ = server_options;
  // --no-sync only skips flushing initdb's own files; the server keeps
  // its default durability settings (fsync, synchronous_commit).
  RETURN_IF_ERROR_CTX(
      RunOrError(AsPostgres({s->bindir_ + "/initdb", "-D", s->base_ + "/data",
                             "--auth=trust", "-U", "postgres", "-E", "UTF8",
                             "--locale=C", "--no-sync"}))
          .status(),
      "initdb");
  RETURN_IF_ERROR(s->Start());
  return s;
}

PostgresServer::~PostgresServer() {
  if (running_) {
    (void)RunCommand(AsPostgres({bindir_ + "/pg_ctl", "-D", base_ + "/data",
                                 "stop", "-m", "immediate", "-w"}));
  }
  if (!base_.empty() && std::getenv("VTPM_KEEP_TEST_DIRS") == nullptr) {
    std::error_code ec;
    fs::remove_all(base_, ec);
  }
}

std::string PostgresServer::UrlOf(const std::string& name) const {
  return absl::StrCat("postgresql://postgres@127.0.0.1:", port_, "/", name);
}

absl::Status PostgresServer::PgCtl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {bindir_ + "/pg_ctl", "-D", base_ + "/data"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = RunCommand(AsPostgres(argv));
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    std::string log;
    if (auto l = ReadFile(base_ + "/log"); l.ok()) log = *l;
    return absl::InternalError(absl::StrCat("pg_ctl ", absl::StrJoin(args, " "),
                                            " failed: ", r->output,
                                            "\nserver log:\n", log));
  }
  return absl::OkStatus();
}

absl::Status PostgresServer::Start() {
  std::string opts = absl::StrCat("-c listen_addresses=127.0.0.1 -p ", port_,
                                  " -k ", base_, " ", options_);
  RETURN_IF_ERROR(
      PgCtl({"start", "-w", "-t", "60", "-l", base_ + "/log", "-o", opts}));
  running_ = true;
  return absl::OkStatus();
}

absl::Status PostgresServer::Stop() {
  RETURN_IF_ERROR(PgCtl({"stop", "-m", "fast", "-w", "-t", "60"}));
  running_ = false;
  return absl::OkStatus();
}

absl::Status PostgresServer::Restart() {
  RETURN_IF_ERROR(Stop());
  return Start();
}

absl::StatusOr<std::string> PostgresServer::CreateDatabase(
    const std::string& name) {
  RETURN_IF_ERROR(CreateDatabaseAt(url(), name).status());
  return UrlOf(name);
}

absl::StatusOr<std::string> CreateDatabaseAt(const std::string& admin_url,
                                             const std::string& name) {
  if (name.empty() ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") !=
          std::string::npos) {
    return absl::InvalidArgumentError("database names are [a-z0-9_]+");
  }
  PGconn* conn = PQconnectdb(admin_url.c_str());
  std::unique_ptr<PGconn, void (*)(PGconn*)> guard(conn, PQfinish);
  if (PQstatus(conn) != CONNECTION_OK) {
    return absl::UnavailableError(absl::StrCat("cannot connect to ", admin_url,
                                               ": ", PQerrorMessage(conn)));
  }
  PGresult* r = PQexec(conn, absl::StrCat("CREATE DATABASE ", name).c_str());
  std::unique_ptr<PGresult, void (*)(PGresult*)> rguard(r, PQclear);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) {
    return absl::InternalError(
        absl::StrCat("CREATE DATABASE ", name, ": ", PQresultErrorMessage(r)));
  }
  // The new database's URI: the admin URI with its path replaced.
  size_t slash = admin_url.find('/', admin_url.find("://") + 3);
  size_t query = admin_url.find('?');
  std::string out = admin_url.substr(0, slash) + "/" + name;
  if (query != std::string::npos) out += admin_url.substr(query);
  return out;
}

absl::StatusOr<std::string> SharedPostgresDatabase() {
  static std::atomic<int> counter{0};
  std::string name = absl::StrCat("t", getpid(), "_", counter++, "_",
                                  std::random_device{}() % 1000000);
  const char* file = std::getenv("VTPM_TEST_PG_URL_FILE");
  if (file == nullptr || *file == '\0') {
    // Run by hand: one private server for this process, stopped at exit.
    static std::mutex mu;
    static std::unique_ptr<PostgresServer>* server = nullptr;
    std::lock_guard<std::mutex> lock(mu);
    if (server == nullptr) {
      ASSIGN_OR_RETURN(auto s,
                       PostgresServer::Create("-c max_connections=200"));
      static std::unique_ptr<PostgresServer> keep = std::move(s);
      server = &keep;
    }
    return (*server)->CreateDatabase(name);
  }
  auto url = ReadFile(file);
  if (!url.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the shared PostgreSQL server is not running: cannot read ", file,
        " (written by the postgres_fixture_start test, "
        "tests/store/pg_fixture.sh; see its output): ",
        url.status().message()));
  }
  std::string admin(absl::StripAsciiWhitespace(*url));
  auto db = CreateDatabaseAt(admin, name);
  if (!db.ok()) {
    return Annotate(db.status(),
                    absl::StrCat("shared PostgreSQL server from ", file));
  }
  return db;
}

}  // namespace vtpm::testing
