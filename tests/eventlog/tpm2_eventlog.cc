#include "tests/eventlog/tpm2_eventlog.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "tests/harness/process.h"

namespace vtpm::testing {
namespace {

// The value after "KEY: " when `line` is exactly that key at its
// indentation, without surrounding quotes.
bool Field(absl::string_view line, absl::string_view key,
           absl::string_view* value) {
  if (!absl::ConsumePrefix(&line, key)) return false;
  *value = absl::StripAsciiWhitespace(line);
  absl::ConsumePrefix(value, "\"");
  absl::ConsumeSuffix(value, "\"");
  return true;
}

}  // namespace

absl::StatusOr<ToolLog> RunTpm2Eventlog(const std::string& path) {
  // stdout to a file: tpm2_eventlog's warnings on stderr would otherwise
  // land in the middle of buffered stdout lines.
  TempDir dir;
  const std::string yaml = dir.Sub("eventlog.yaml");
  RETURN_IF_ERROR(
      RunOrError({"sh", "-c", "exec tpm2_eventlog \"$0\" > \"$1\"", path, yaml})
          .status());
  ASSIGN_OR_RETURN(std::string out, ReadFile(yaml));
  ToolLog log;
  bool in_pcrs = false;
  std::string bank;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    absl::string_view v;
    uint32_t n;
    if (line == "pcrs:") {
      in_pcrs = true;
      continue;
    }
    if (in_pcrs) {
      absl::string_view t = absl::StripAsciiWhitespace(line);
      if (line.size() > 2 && line[2] != ' ' && absl::ConsumeSuffix(&t, ":")) {
        bank = std::string(t);
      } else if (std::vector<absl::string_view> kv = absl::StrSplit(t, ':');
                 kv.size() == 2 && absl::SimpleAtoi(kv[0], &n)) {
        absl::string_view hex = absl::StripAsciiWhitespace(kv[1]);
        absl::ConsumePrefix(&hex, "0x");
        log.pcrs[bank][n] = absl::AsciiStrToLower(hex);
      }
      continue;
    }
    if (Field(line, "  PCRIndex: ", &v) || Field(line, "- PCRIndex: ", &v)) {
      log.events.emplace_back();
      if (!absl::SimpleAtoi(v, &log.events.back().pcr)) {
        return absl::InternalError("bad PCRIndex line: " + std::string(line));
      }
      continue;
    }
    if (log.events.empty()) continue;
    ToolEvent& ev = log.events.back();
    if (Field(line, "  EventType: ", &v)) {
      ev.type = std::string(v);
    } else if (Field(line, "  EventSize: ", &v)) {
      if (!absl::SimpleAtoi(v, &ev.size)) {
        return absl::InternalError("bad EventSize line: " + std::string(line));
      }
    } else if (Field(line, "  - AlgorithmId: ", &v)) {
      ev.digests.emplace_back(std::string(v), "");
    } else if (Field(line, "    Digest: ", &v) && !ev.digests.empty()) {
      ev.digests.back().second = absl::AsciiStrToLower(v);
    } else if (Field(line, "  Digest: ", &v)) {
      ev.digests.emplace_back("sha1", absl::AsciiStrToLower(v));
    }
  }
  return log;
}

}  // namespace vtpm::testing
