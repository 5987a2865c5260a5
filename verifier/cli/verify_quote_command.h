// `vtpm-attest verify-quote`: checks a quote made by tpm2_quote (or the
// agent) with the verifier's own VerifyQuote.
#ifndef VTPM_VERIFIER_CLI_VERIFY_QUOTE_COMMAND_H_
#define VTPM_VERIFIER_CLI_VERIFY_QUOTE_COMMAND_H_

#include "verifier/cli/subcommand.h"

namespace vtpm::cli {

// The subcommand's table entry.
Subcommand VerifyQuoteSubcommand();

}  // namespace vtpm::cli

#endif  // VTPM_VERIFIER_CLI_VERIFY_QUOTE_COMMAND_H_
