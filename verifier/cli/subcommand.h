// The vtpm-attest command line: one Subcommand per file, dispatched by
// main.cc on the first argument.
#ifndef VTPM_VERIFIER_CLI_SUBCOMMAND_H_
#define VTPM_VERIFIER_CLI_SUBCOMMAND_H_

namespace vtpm::cli {

// Process exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;      // every check held
inline constexpr int kExitFailed = 1;  // a check failed (evidence rejected)
inline constexpr int kExitUsage = 2;   // bad usage, unreadable input, or the
                                       // tool itself failed

struct Subcommand {
  const char* name;     // e.g. "verify-quote"
  const char* summary;  // one line for `vtpm-attest --help`
  // Runs with argv[0] == name; returns an exit code above.
  int (*run)(int argc, char** argv);
};

}  // namespace vtpm::cli

#endif  // VTPM_VERIFIER_CLI_SUBCOMMAND_H_
