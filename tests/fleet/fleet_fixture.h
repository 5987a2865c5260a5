// The shipped binaries as a fleet runs them: vtpm-attest-verifier replicas
// (SQLite or a real PostgreSQL), vtpm-attest-agent daemons on real swtpm
// vTPMs, and the operator CLI vtpm-attest over the admin API.
#ifndef VTPM_TESTS_FLEET_FLEET_FIXTURE_H_
#define VTPM_TESTS_FLEET_FLEET_FIXTURE_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/e2e_fixture.h"

namespace vtpm::testing {

// A verdict as the agent printed it.
struct PrintedVerdict {
  std::string result;  // "PASS", "FAIL", "ERROR"
  std::string verdict_id;
  std::string replica;
};

// Parses the verdicts in an agent's text output.
std::vector<PrintedVerdict> ParseAgentVerdicts(const std::string& log);

// A free TCP port on 127.0.0.1 (bound and released).
int FreePort();

class FleetTest : public E2eTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  struct Replica {
    pid_t pid = -1;
    int port = 0;
    std::string name;
    std::string log;
  };
  // Starts a verifier binary named `name` on `database` (a path or URL),
  // with the admin token of token_file() and `extra` flags.
  Replica StartReplica(const std::string& name, const std::string& database,
                       const std::vector<std::string>& extra = {});
  void KillReplica(Replica& r);  // SIGKILL: no clean shutdown

  struct Agent {
    pid_t pid = -1;
    std::string log;
    std::string vm_uuid;
    std::unique_ptr<Swtpm> own_tpm;  // null: the fixture's tpm_
  };
  // Starts `vtpm-attest-agent run` against `endpoints` ("host:port,...")
  // on a guest with `vm_uuid`. `own_tpm` gives it a vTPM of its own.
  Agent StartAgent(const std::string& name, const std::string& vm_uuid,
                   const std::string& endpoints, bool own_tpm);
  // Waits until the agent printed at least `n` verdicts matching `pred`.
  bool WaitForVerdicts(const Agent& a, size_t n,
                       const std::function<bool(const PrintedVerdict&)>& pred,
                       int timeout_seconds);

  // Runs the operator CLI against `replica` with the admin token.
  CommandResult Cli(const Replica& replica,
                    const std::vector<std::string>& args);

  std::string token_file() const { return dir_.Sub("admin.token"); }

  std::vector<pid_t> pids_;
  std::vector<std::unique_ptr<Swtpm>> tpms_;
};

}  // namespace vtpm::testing

#endif  // VTPM_TESTS_FLEET_FLEET_FIXTURE_H_
