// `vtpm-attest eventlog show`: parses a TCG event log, replays it,
// optionally matches it against PCR values, and prints the boot state the
// verifier would extract from it.
#ifndef VTPM_VERIFIER_CLI_EVENTLOG_COMMAND_H_
#define VTPM_VERIFIER_CLI_EVENTLOG_COMMAND_H_

#include "verifier/cli/subcommand.h"

namespace vtpm::cli {

// The subcommand's table entry.
Subcommand EventlogSubcommand();

}  // namespace vtpm::cli

#endif  // VTPM_VERIFIER_CLI_EVENTLOG_COMMAND_H_
