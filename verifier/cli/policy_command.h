// `vtpm-attest policy`: learn a policy from a known-good boot's event log
// (`policy learn`) and judge an event log against a policy file offline
// (`policy check`), with the verifier's own rules (EvaluatePolicy).
#ifndef VTPM_VERIFIER_CLI_POLICY_COMMAND_H_
#define VTPM_VERIFIER_CLI_POLICY_COMMAND_H_

#include "verifier/cli/subcommand.h"

namespace vtpm::cli {

// The subcommand's table entry.
Subcommand PolicySubcommand();

}  // namespace vtpm::cli

#endif  // VTPM_VERIFIER_CLI_POLICY_COMMAND_H_
