// vtpm-attest: offline tools around vtpm-attest evidence, and the
// operator's client of a verifier fleet's admin API.
//   vtpm-attest --help
//   vtpm-attest <subcommand> [options]   (each subcommand has --help)
#include <cstdio>
#include <cstring>

#include "verifier/cli/admin_commands.h"
#include "verifier/cli/eventlog_command.h"
#include "verifier/cli/policy_command.h"
#include "verifier/cli/subcommand.h"
#include "verifier/cli/verify_quote_command.h"

namespace vtpm::cli {
namespace {

// Every subcommand, in the order `--help` lists them.
const Subcommand kSubcommands[] = {
    VerifyQuoteSubcommand(), EventlogSubcommand(),  PolicySubcommand(),
    AgentsSubcommand(),      HistorySubcommand(),   ReenrollSubcommand(),
    ForgetSubcommand(),      AttestNowSubcommand(), WatchSubcommand(),
    WaitSubcommand(),        AuditSubcommand(),     EvidenceSubcommand(),
};

void PrintUsage(std::FILE* out) {
  std::fprintf(out,
               "Usage: vtpm-attest <subcommand> [options]\n"
               "       vtpm-attest <subcommand> --help\n\n"
               "Subcommands:\n");
  for (const Subcommand& s : kSubcommands) {
    std::fprintf(out, "  %-16s %s\n", s.name, s.summary);
  }
  std::fprintf(out,
               "\nExit codes: 0 every check held (or the request succeeded),\n"
               "1 a check failed (or the verdict is FAIL, or not found),\n"
               "2 usage, I/O, connection or authentication error.\n");
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return kExitUsage;
  }
  if (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    PrintUsage(stdout);
    return kExitOk;
  }
  for (const Subcommand& s : kSubcommands) {
    if (std::strcmp(argv[1], s.name) == 0) return s.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "vtpm-attest: unknown subcommand '%s'\n\n", argv[1]);
  PrintUsage(stderr);
  return kExitUsage;
}

}  // namespace
}  // namespace vtpm::cli

int main(int argc, char** argv) { return vtpm::cli::Main(argc, argv); }
