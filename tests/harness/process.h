// Test harness: running external programs (swtpm, tpm2-tools, openssl)
// and temporary directories.
#ifndef VTPM_TESTS_HARNESS_PROCESS_H_
#define VTPM_TESTS_HARNESS_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace vtpm::testing {

struct CommandResult {
  int exit_code = -1;       // -1 when killed by a signal
  std::string output;       // stdout and stderr interleaved
  std::string stdout_text;  // stdout alone
};

// Runs argv[0] (looked up in PATH) with `env` added to the environment,
// waits, and returns its exit code and output. Fails only if it could not
// be started.
absl::StatusOr<CommandResult> RunCommand(
    const std::vector<std::string>& argv,
    const std::vector<std::string>& env = {});

// Like RunCommand but an exit code other than 0 is an error that carries
// the command line and its output.
absl::StatusOr<std::string> RunOrError(
    const std::vector<std::string>& argv,
    const std::vector<std::string>& env = {});

// Starts a program in the background with stdout/stderr to `log_path`.
absl::StatusOr<pid_t> StartBackground(const std::vector<std::string>& argv,
                                      const std::string& log_path);

// Sends SIGTERM, waits up to 5 s, then SIGKILL.
void StopProcess(pid_t pid);

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on
// destruction unless VTPM_KEEP_TEST_DIRS is set.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The source tree and the build tree of this build (compiled in; the
// environment variables VTPM_SOURCE_DIR / VTPM_BINARY_DIR override them).
std::string SourceDir();
std::string BinaryDir();
// BinaryDir() + "/" + `rel`, e.g. BinaryPath("agent/vtpm-attest-agent").
std::string BinaryPath(const std::string& rel);

// Whole-file helpers; tests abort on failure through the Status.
absl::StatusOr<std::string> ReadFile(const std::string& path);
absl::Status WriteFile(const std::string& path, const std::string& data);

}  // namespace vtpm::testing

#endif  // VTPM_TESTS_HARNESS_PROCESS_H_
