#include "verifier/cli/safe_print.h"

#include <cstdarg>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/text_escape.h"
#include "verifier/cli/json_writer.h"

namespace vtpm::cli {
namespace {

std::string VFormat(const char* format, va_list args) {
  va_list copy;
  va_copy(copy, args);
  int n = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  if (n <= 0) return std::string();
  std::string out(static_cast<size_t>(n) + 1, '\0');
  std::vsnprintf(out.data(), out.size(), format, args);
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace

std::string EscapeLines(absl::string_view text) {
  std::string out;
  bool first = true;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!first) out.push_back('\n');
    first = false;
    out += EscapeControlsForTerminal(line);
  }
  return out;
}

void SafePrintf(const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::string text = VFormat(format, args);
  va_end(args);
  std::fputs(EscapeLines(text).c_str(), stdout);
}

void SafeFprintf(std::FILE* out, const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::string text = VFormat(format, args);
  va_end(args);
  std::fputs(EscapeLines(text).c_str(), out);
}

void PrintJsonLine(absl::string_view json) {
  std::string safe = MakeJsonTerminalSafe(json);
  std::fwrite(safe.data(), 1, safe.size(), stdout);
  std::fputc('\n', stdout);
}

}  // namespace vtpm::cli
