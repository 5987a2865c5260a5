// Load testing: the real vtpm-attest-verifier as a child process, with the
// files it needs (TLS, EK trust store, policy) generated in a work
// directory.
#ifndef VTPM_TESTS_LOAD_VERIFIER_PROCESS_H_
#define VTPM_TESTS_LOAD_VERIFIER_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace vtpm::load {

struct VerifierLaunch {
  std::string binary;      // path of vtpm-attest-verifier
  std::string work_dir;    // existing directory for files and the log
  std::string database;    // value of --database
  std::string tls_cert;    // PEM server certificate
  std::string tls_key;     // PEM server key
  std::string trust_dir;   // --trust-store
  std::string policy_dir;  // --policy-dir
  std::vector<std::string> extra_args;  // appended verbatim
  int cpu = -1;  // >= 0: the verifier runs on this CPU only
  std::chrono::seconds start_timeout{30};
};

// Pins the calling process (call before it starts threads) to every
// online CPU except `cpu`. InvalidArgument if that leaves none.
absl::Status PinToOtherCpus(int cpu);

// A running verifier. The child gets SIGKILL if this process dies
// (PR_SET_PDEATHSIG); the destructor stops it.
class VerifierProcess {
 public:
  // Starts `launch.binary` with --listen 127.0.0.1:0, --port-file, a
  // --config that does not exist (so /etc/vtpm-attest is never read) and
  // the given files; stdout and stderr go to work_dir/verifier.log. Waits
  // for the port file. Fails, naming the log and quoting its end, when the
  // binary is missing, exits, or does not listen within start_timeout.
  static absl::StatusOr<std::unique_ptr<VerifierProcess>> Start(
      const VerifierLaunch& launch);
  ~VerifierProcess();

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  const std::string& log_path() const { return log_; }
  const std::string& command_line() const { return command_line_; }
  // True while the child has not exited.
  bool Alive();
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns a description of
  // how it ended ("exit 0", "signal 9 after SIGTERM timeout", ...).
  std::string Stop(std::chrono::seconds grace = std::chrono::seconds(10));

 private:
  VerifierProcess() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_;
  std::string command_line_;
  std::string ended_;
};

// The last `max_bytes` of a file (for error messages).
std::string FileTail(const std::string& path, size_t max_bytes = 2000);

}  // namespace vtpm::load

#endif  // VTPM_TESTS_LOAD_VERIFIER_PROCESS_H_
