#include "tests/load/verifier_process.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace vtpm::load {
namespace {

std::string Describe(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exit ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return absl::StrCat("signal ", WTERMSIG(status));
  return "unknown";
}

}  // namespace

std::string FileTail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > max_bytes) s = "..." + s.substr(s.size() - max_bytes);
  return s;
}

absl::Status PinToOtherCpus(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) {
    return absl::InternalError("sched_getaffinity failed");
  }
  if (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &set)) {
    return absl::InvalidArgumentError(
        absl::StrCat("CPU ", cpu, " is not available to this process"));
  }
  CPU_CLR(cpu, &set);
  if (CPU_COUNT(&set) == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("pinning the verifier to CPU ", cpu,
                     " leaves no CPU for the load generator"));
  }
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    return absl::InternalError("sched_setaffinity failed");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<VerifierProcess>> VerifierProcess::Start(
    const VerifierLaunch& launch) {
  if (access(launch.binary.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(
        "verifier binary ", launch.binary,
        " is missing or not executable (build vtpm-attest-verifier or pass "
        "--verifier-bin)"));
  }
  std::unique_ptr<VerifierProcess> p(new VerifierProcess());
  p->log_ = launch.work_dir + "/verifier.log";
  std::string port_file = launch.work_dir + "/verifier.port";
  unlink(port_file.c_str());
  std::vector<std::string> argv = {
      launch.binary, "--config=" + launch.work_dir + "/no-such-verifier.conf",
      "--listen=127.0.0.1:0", "--port-file=" + port_file,
      "--tls-cert=" + launch.tls_cert, "--tls-key=" + launch.tls_key,
      "--trust-store=" + launch.trust_dir, "--policy-dir=" + launch.policy_dir,
      "--database=" + launch.database,
      // The simulated fleet shares one address (loopback), where a real
      // fleet has one per VM: per-address limits would throttle it.
      "--max-unproven-streams-per-peer=0", "--streams-per-second-per-peer=0"};
  argv.insert(argv.end(), launch.extra_args.begin(), launch.extra_args.end());
  p->command_line_ = absl::StrJoin(argv, " ");

  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  int log_fd =
      open(p->log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::InternalError(absl::StrCat("cannot create ", p->log_));
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    return absl::InternalError("fork failed");
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    // Signals blocked by the parent's threads are not blocked here.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    if (launch.cpu >= 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(launch.cpu, &set);
      if (sched_setaffinity(0, sizeof(set), &set) != 0) _exit(126);
    }
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  close(log_fd);
  p->pid_ = pid;

  auto deadline = std::chrono::steady_clock::now() + launch.start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(port_file);
    std::string text;
    if (in && std::getline(in, text)) {
      int port = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &port) &&
          port > 0) {
        p->port_ = port;
        return p;
      }
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      p->pid_ = -1;
      return absl::FailedPreconditionError(
          absl::StrCat("the verifier exited (", Describe(status),
                       ") before listening.\n", "command: ", p->command_line_,
                       "\nlog: ", p->log_, "\n", FileTail(p->log_)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string ended = p->Stop(std::chrono::seconds(2));
  return absl::DeadlineExceededError(absl::StrCat(
      "the verifier did not write its port file within ",
      launch.start_timeout.count(), " s (stopped: ", ended, ").\ncommand: ",
      p->command_line_, "\nlog: ", p->log_, "\n", FileTail(p->log_)));
}

VerifierProcess::~VerifierProcess() {
  if (pid_ > 0) Stop();
}

bool VerifierProcess::Alive() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    ended_ = Describe(status);
    pid_ = -1;
    return false;
  }
  return true;
}

std::string VerifierProcess::Stop(std::chrono::seconds grace) {
  if (pid_ <= 0) return ended_.empty() ? "not running" : ended_;
  kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      ended_ = Describe(status);
      pid_ = -1;
      return ended_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  ended_ = absl::StrCat(Describe(status), " (did not exit within ",
                        grace.count(), " s of SIGTERM; SIGKILL sent)");
  pid_ = -1;
  return ended_;
}

}  // namespace vtpm::load
