#include "tests/harness/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

extern char** environ;

namespace vtpm::testing {
namespace {

std::vector<char*> MakeArgv(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

std::vector<std::string> MergedEnv(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  for (const auto& x : extra) env.push_back(x);
  return env;
}

absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv,
                            const std::vector<std::string>& env, int out_fd,
                            int err_fd) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
  auto args = MakeArgv(argv);
  auto envs = MergedEnv(env);
  auto envp = MakeArgv(envs);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0].c_str(), &fa, nullptr, args.data(),
                        envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("cannot start ", argv[0], ": ", strerror(rc)));
  }
  return pid;
}

}  // namespace

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const std::vector<std::string>& env) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    return absl::InternalError("pipe failed");
  }
  auto pid = Spawn(argv, env, out[1], err[1]);
  close(out[1]);
  close(err[1]);
  if (!pid.ok()) {
    close(out[0]);
    close(err[0]);
    return pid.status();
  }
  // Read both pipes as data arrives, keeping the interleaved order too.
  CommandResult result;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      result.output.append(buf, n);
      if (i == 0) result.stdout_text.append(buf, n);
    }
  }
  int status = 0;
  waitpid(*pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

absl::StatusOr<std::string> RunOrError(const std::vector<std::string>& argv,
                                       const std::vector<std::string>& env) {
  auto r = RunCommand(argv, env);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    return absl::InternalError(absl::StrCat("`", absl::StrJoin(argv, " "),
                                            "` exited ", r->exit_code, ":\n",
                                            r->output));
  }
  return r->output;
}

absl::StatusOr<pid_t> StartBackground(const std::vector<std::string>& argv,
                                      const std::string& log_path) {
  int fd =
      open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::InternalError("cannot open " + log_path);
  auto pid = Spawn(argv, {}, fd, fd);
  close(fd);
  return pid;
}

void StopProcess(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  for (int i = 0; i < 500; ++i) {
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

TempDir::TempDir() {
  const char* base = getenv("TMPDIR");
  std::string tmpl = absl::StrCat(base ? base : "/tmp", "/vtpm-test-XXXXXX");
  char* p = mkdtemp(tmpl.data());
  path_ = p ? p : "";
}

TempDir::~TempDir() {
  if (path_.empty() || getenv("VTPM_KEEP_TEST_DIRS")) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string SourceDir() {
  const char* env = getenv("VTPM_SOURCE_DIR");
  return env ? env : VTPM_SOURCE_DIR_DEFAULT;
}

std::string BinaryDir() {
  const char* env = getenv("VTPM_BINARY_DIR");
  return env ? env : VTPM_BINARY_DIR_DEFAULT;
}

std::string BinaryPath(const std::string& rel) {
  return BinaryDir() + "/" + rel;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::InternalError("cannot write " + path);
  out << data;
  return out ? absl::OkStatus() : absl::InternalError("write failed " + path);
}

}  // namespace vtpm::testing
