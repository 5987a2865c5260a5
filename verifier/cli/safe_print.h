// printf for the CLI's text output that quotes untrusted text (event log
// strings, reason messages): each line of the formatted text goes through
// EscapeControlsForTerminal (common/text_escape.h), line breaks kept, so
// no byte the guest chose can act on the operator's terminal.
#ifndef VTPM_VERIFIER_CLI_SAFE_PRINT_H_
#define VTPM_VERIFIER_CLI_SAFE_PRINT_H_

#include <cstdio>
#include <string>

#include "absl/strings/string_view.h"

namespace vtpm::cli {

// `text` with every line escaped for the terminal; '\n' kept.
std::string EscapeLines(absl::string_view text);

// std::printf to stdout, then EscapeLines.
void SafePrintf(const char* format, ...) __attribute__((format(printf, 1, 2)));

// std::fprintf to `out`, then EscapeLines.
void SafeFprintf(std::FILE* out, const char* format, ...)
    __attribute__((format(printf, 2, 3)));

// Writes JSON text (from the protobuf printer or JsonQuote) to stdout with
// MakeJsonTerminalSafe applied, and a newline.
void PrintJsonLine(absl::string_view json);

}  // namespace vtpm::cli

#endif  // VTPM_VERIFIER_CLI_SAFE_PRINT_H_
