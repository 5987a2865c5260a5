#include "tests/harness/swtpm.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace vtpm::testing {
namespace {

bool CanConnect(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TestCa>> TestCa::Create(const std::string& dir) {
  std::unique_ptr<TestCa> ca(new TestCa(dir));
  RETURN_IF_ERROR(WriteFile(
      dir + "/swtpm-localca.conf",
      absl::StrCat("statedir = ", dir, "\n", "signingkey = ", dir,
                   "/signkey.pem\n", "issuercert = ", dir, "/issuercert.pem\n",
                   "certserial = ", dir, "/certserial\n")));
  RETURN_IF_ERROR(WriteFile(dir + "/swtpm-localca.options",
                            "--platform-manufacturer vtpm-attest-test\n"
                            "--platform-version 2.1\n"
                            "--platform-model QEMU\n"));
  RETURN_IF_ERROR(WriteFile(
      ca->setup_config(),
      absl::StrCat("create_certs_tool = /usr/bin/swtpm_localca\n",
                   "create_certs_tool_config = ", dir, "/swtpm-localca.conf\n",
                   "create_certs_tool_options = ", dir,
                   "/swtpm-localca.options\n")));
  // swtpm_localca makes the root and intermediate on its first EK cert.
  std::string scratch = dir + "/bootstrap-tpm";
  std::filesystem::create_directories(scratch);
  RETURN_IF_ERROR_CTX(
      RunOrError({"swtpm_setup", "--tpm2", "--tpmstate", scratch,
                  "--create-ek-cert", "--config", ca->setup_config()}),
      "creating test CA");
  std::filesystem::remove_all(scratch);
  if (access(ca->intermediate_cert().c_str(), R_OK) != 0 ||
      access(ca->root_cert().c_str(), R_OK) != 0) {
    return absl::InternalError("swtpm_localca did not create its CA in " + dir);
  }
  return ca;
}

absl::StatusOr<std::unique_ptr<Swtpm>> Swtpm::Start(const std::string& dir,
                                                    const TestCa& ca,
                                                    const SwtpmOptions& opts) {
  std::unique_ptr<Swtpm> tpm(new Swtpm());
  tpm->state_dir_ = std::filesystem::absolute(dir).string();
  tpm->socket_ = tpm->state_dir_ + "/tpm.sock";
  tpm->log_ = tpm->state_dir_ + "/swtpm.log";
  std::filesystem::create_directories(tpm->state_dir_);
  std::vector<std::string> argv = {
      "swtpm_setup", "--tpm2",          "--tpmstate", tpm->state_dir_,
      "--config",    ca.setup_config(), "--overwrite"};
  if (!opts.no_ek_cert) {
    argv.push_back("--create-ek-cert");
    argv.push_back("--create-platform-cert");
  }
  if (opts.ecc) argv.push_back("--ecc");
  if (!opts.vmid.empty()) {
    argv.push_back("--vmid");
    argv.push_back(opts.vmid);
  }
  RETURN_IF_ERROR_CTX(RunOrError(argv), "provisioning swtpm");
  RETURN_IF_ERROR(tpm->Launch());
  return tpm;
}

absl::Status Swtpm::Launch() {
  unlink(socket_.c_str());
  std::string ctrl = socket_ + ".ctrl";
  unlink(ctrl.c_str());
  ASSIGN_OR_RETURN(
      pid_, StartBackground(
                {"swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + state_dir_,
                 "--server", "type=unixio,path=" + socket_, "--ctrl",
                 "type=unixio,path=" + ctrl, "--flags",
                 "not-need-init,startup-clear"},
                log_));
  // The socket file appears a moment before swtpm accepts: wait until a
  // connection to the control socket succeeds (swtpm serves one client at
  // a time, so the probe connection is closed at once).
  for (int i = 0; i < 500; ++i) {
    struct stat st;
    if (stat(socket_.c_str(), &st) == 0 && stat(ctrl.c_str(), &st) == 0 &&
        CanConnect(ctrl)) {
      return absl::OkStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto log = ReadFile(log_);
  return absl::InternalError(
      absl::StrCat("swtpm did not create ", socket_, ": ", log.value_or("")));
}

void Swtpm::Stop() {
  if (pid_ > 0) {
    StopProcess(pid_);
    pid_ = -1;
  }
}

absl::Status Swtpm::Restart() {
  Stop();
  return Launch();
}

absl::Status Swtpm::SaveState(const std::string& to_dir) {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(to_dir, ec);
  std::filesystem::create_directories(to_dir, ec);
  // The TPM's state files only (not its sockets or log).
  for (const auto& e : std::filesystem::directory_iterator(state_dir_, ec)) {
    if (!e.is_regular_file() || e.path().extension() == ".log") continue;
    std::filesystem::copy_file(
        e.path(), std::filesystem::path(to_dir) / e.path().filename(),
        std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) break;
  }
  if (ec) {
    return absl::InternalError(
        absl::StrCat("copying TPM state to ", to_dir, ": ", ec.message()));
  }
  return Launch();
}

absl::Status Swtpm::RestoreState(const std::string& from_dir) {
  Stop();
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(from_dir, ec)) {
    std::filesystem::copy_file(
        e.path(), std::filesystem::path(state_dir_) / e.path().filename(),
        std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) break;
  }
  if (ec) {
    return absl::InternalError(absl::StrCat("restoring TPM state from ",
                                            from_dir, ": ", ec.message()));
  }
  return Launch();
}

Swtpm::~Swtpm() { Stop(); }

}  // namespace vtpm::testing
