#include "tests/fleet/fleet_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace vtpm::testing {
namespace fs = std::filesystem;

std::vector<PrintedVerdict> ParseAgentVerdicts(const std::string& log) {
  std::vector<PrintedVerdict> out;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::ConsumePrefix(&line, "verdict: ")) {
      out.push_back({std::string(line), "", ""});
    } else if (!out.empty() && absl::ConsumePrefix(&line, "  verdict_id: ")) {
      out.back().verdict_id = std::string(line);
    } else if (!out.empty() && absl::ConsumePrefix(&line, "  replica: ")) {
      out.back().replica = std::string(line);
    }
  }
  return out;
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

void FleetTest::SetUp() {
  E2eTest::SetUp();
  ASSERT_TRUE(WriteFile(token_file(), "fleet-test-token\n").ok());
  chmod(token_file().c_str(), 0600);
}

void FleetTest::TearDown() {
  for (pid_t p : pids_) {
    kill(p, SIGCONT);
    StopProcess(p);
  }
  E2eTest::TearDown();
}

FleetTest::Replica FleetTest::StartReplica(
    const std::string& name, const std::string& database,
    const std::vector<std::string>& extra) {
  Replica r;
  r.name = name;
  r.log = dir_.Sub(name + ".log");
  std::vector<std::string> flags = {"--replica-name", name,
                                    "--admin-token-file", token_file()};
  flags.insert(flags.end(), extra.begin(), extra.end());
  auto v = StartVerifierBinary(name, database, 0, flags);
  EXPECT_TRUE(v.ok()) << v.status();
  if (!v.ok()) return r;
  r.pid = v->pid;
  r.port = v->port;
  pids_.push_back(r.pid);
  return r;
}

void FleetTest::KillReplica(Replica& r) {
  kill(r.pid, SIGKILL);
  waitpid(r.pid, nullptr, 0);
  std::erase(pids_, r.pid);
  r.pid = -1;
}

FleetTest::Agent FleetTest::StartAgent(const std::string& name,
                                       const std::string& vm_uuid,
                                       const std::string& endpoints,
                                       bool own_tpm) {
  Agent a;
  a.vm_uuid = vm_uuid;
  a.log = dir_.Sub(name + ".log");
  std::string root = dir_.Sub(name + "-root");
  fs::create_directories(root + "/sys/class/dmi/id");
  EXPECT_TRUE(
      WriteFile(root + "/sys/class/dmi/id/product_uuid", vm_uuid + "\n").ok());
  const Swtpm* tpm = tpm_.get();
  if (own_tpm) {
    auto t = Swtpm::Start(dir_.Sub(name + "-tpm"), *ca_);
    EXPECT_TRUE(t.ok()) << t.status();
    if (!t.ok()) return a;
    tpm = t->get();
    tpms_.push_back(std::move(*t));
  }
  auto pid = StartBackground(
      {BinaryPath("agent/vtpm-attest-agent"), "run", "--config", "/dev/null",
       "--tcti", tpm->tcti(), "--state-dir", dir_.Sub(name + "-state"),
       "--verifier", endpoints, "--ca-cert", tls_.ca_cert, "--platform-root",
       root, "--label", "image=test"},
      a.log);
  EXPECT_TRUE(pid.ok()) << pid.status();
  if (pid.ok()) {
    a.pid = *pid;
    pids_.push_back(a.pid);
  }
  return a;
}

bool FleetTest::WaitForVerdicts(
    const Agent& a, size_t n,
    const std::function<bool(const PrintedVerdict&)>& pred,
    int timeout_seconds) {
  auto end =
      std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  while (std::chrono::steady_clock::now() < end) {
    size_t count = 0;
    for (const auto& v : ParseAgentVerdicts(ReadFile(a.log).value_or(""))) {
      if (!v.replica.empty() && pred(v)) ++count;
    }
    if (count >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

CommandResult FleetTest::Cli(const Replica& replica,
                             const std::vector<std::string>& args) {
  std::vector<std::string> argv = {BinaryPath("verifier/cli/vtpm-attest")};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(),
              {"--verifier", absl::StrCat("localhost:", replica.port),
               "--ca-cert", tls_.ca_cert, "--token-file", token_file()});
  auto r = RunCommand(argv);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : CommandResult{};
}

}  // namespace vtpm::testing
