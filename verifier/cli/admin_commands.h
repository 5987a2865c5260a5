// The admin subcommands of vtpm-attest, which talk to a verifier's
// AdminService (connection options: admin_client.h). One file per group:
//   agents_command.cc    agents list | agents show
//   history_command.cc   history, audit
//   identity_command.cc  reenroll, forget, attest-now
//   watch_command.cc     watch, wait
//   policy_admin_command.cc  policy list | apply | reload (dispatched by
//                        policy_command.cc)
#ifndef VTPM_VERIFIER_CLI_ADMIN_COMMANDS_H_
#define VTPM_VERIFIER_CLI_ADMIN_COMMANDS_H_

#include "verifier/cli/subcommand.h"

namespace vtpm::cli {

Subcommand AgentsSubcommand();
Subcommand HistorySubcommand();
Subcommand AuditSubcommand();
Subcommand EvidenceSubcommand();
Subcommand ReenrollSubcommand();
Subcommand ForgetSubcommand();
Subcommand AttestNowSubcommand();
Subcommand WatchSubcommand();
Subcommand WaitSubcommand();

// `policy list|apply|reload` with argv[0] the verb; false from
// IsPolicyAdminVerb for any other verb.
bool IsPolicyAdminVerb(const char* verb);
int RunPolicyAdmin(int argc, char** argv);

}  // namespace vtpm::cli

#endif  // VTPM_VERIFIER_CLI_ADMIN_COMMANDS_H_
