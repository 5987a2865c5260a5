// Parsing and printing shared by the admin subcommands: results,
// durations and times, selectors, aligned tables and JSON.
//
// Every string the verifier returns may carry text a guest chose
// (hostnames, labels, reason messages quoting its event log), so text
// output shows each such string through EscapeForTerminal
// (common/text_escape.h) and JSON output escapes controls, bidi and
// invisible format characters (MakeJsonTerminalSafe).
#ifndef VTPM_VERIFIER_CLI_ADMIN_FORMAT_H_
#define VTPM_VERIFIER_CLI_ADMIN_FORMAT_H_

#include <grpcpp/support/status.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/map.h"
#include "google/protobuf/message.h"
#include "vtpm_attest/v1/admin.pb.h"

namespace vtpm::cli {

// "NOT_FOUND", "UNAVAILABLE", ...
const char* GrpcCodeName(grpc::StatusCode code);

// "PASS", "FAIL", "ERROR", "STALE", or "-" for UNSPECIFIED.
std::string ResultName(vtpm_attest::v1::Result r);
// "pending", "active", "reenroll", "retired", or "-".
std::string EnrollmentName(vtpm_attest::v1::EnrollmentState s);
// pass|fail|error|stale (any case). INVALID_ARGUMENT otherwise.
absl::StatusOr<vtpm_attest::v1::Result> ParseResult(const std::string& text);

// A duration: "90" (seconds), "90s", "5m", "1h", "2d", or combinations
// ("1h30m"). Negative durations are errors.
absl::StatusOr<absl::Duration> ParseDurationArg(const std::string& text);
// A point in time: a duration before `now` ("1h") or RFC 3339
// ("2024-05-01T12:00:00Z"). Returns Unix seconds.
absl::StatusOr<int64_t> ParseSince(const std::string& text, absl::Time now);

// "2024-05-01T12:00:00Z" (UTC), or "-" for 0.
std::string FormatTime(int64_t unix_seconds);
// "42s ago", "5m ago", "3h ago", "2d ago", "in 5m", or "-" for 0.
std::string FormatAgo(int64_t unix_seconds, absl::Time now);

// The selector --vm / --ek name. Exactly one must be given when
// `required`; at most one otherwise (then an unset selector means all).
absl::StatusOr<vtpm_attest::v1::IdentitySelector> MakeSelector(
    const std::string& vm_uuid, const std::string& ek_fingerprint,
    bool required);

// `s` escaped for the terminal (EscapeForTerminal); "-" when empty.
std::string ShownOrDash(absl::string_view s);

// "CODE: message; CODE: message" of a verdict's reasons ("" for none),
// each message escaped for the terminal.
std::string ReasonsText(const vtpm_attest::v1::Verdict& v);

// "k=v,k=v" sorted by key, keys and values escaped for the terminal with
// ',' and '=' escaped too ("\x2c", "\x3d"), so no label can pass for two.
std::string LabelsText(
    const google::protobuf::Map<std::string, std::string>& labels);

// Prints `message` as one line of JSON (Protobuf JSON mapping, proto field
// names, PCR maps flattened, see common/proto_json.h), made safe for a
// terminal by MakeJsonTerminalSafe. False on failure (after a message on
// stderr).
bool PrintJson(const google::protobuf::Message& message,
               std::FILE* out = stdout);

// Columns padded to their widest cell (in code points); the last column is
// not padded. Cells must already be escaped (EscapeForTerminal,
// ShownOrDash); as a last resort a cell that is not terminal-safe is
// escaped when printed.
class Table {
 public:
  explicit Table(std::vector<std::string> header) {
    rows_.push_back(std::move(header));
  }
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(std::FILE* out = stdout) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace vtpm::cli

#endif  // VTPM_VERIFIER_CLI_ADMIN_FORMAT_H_
