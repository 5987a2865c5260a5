#include "verifier/cli/admin_format.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/proto_json.h"
#include "common/text_escape.h"
#include "verifier/cli/json_writer.h"

namespace vtpm::cli {

namespace v1 = ::vtpm_attest::v1;

const char* GrpcCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    default:
      return "UNKNOWN";
  }
}

std::string ResultName(v1::Result r) {
  switch (r) {
    case v1::RESULT_PASS:
      return "PASS";
    case v1::RESULT_FAIL:
      return "FAIL";
    case v1::RESULT_ERROR:
      return "ERROR";
    case v1::RESULT_STALE:
      return "STALE";
    default:
      return "-";
  }
}

std::string EnrollmentName(v1::EnrollmentState s) {
  switch (s) {
    case v1::ENROLLMENT_PENDING:
      return "pending";
    case v1::ENROLLMENT_ACTIVE:
      return "active";
    case v1::ENROLLMENT_REENROLL:
      return "reenroll";
    case v1::ENROLLMENT_RETIRED:
      return "retired";
    default:
      return "-";
  }
}

absl::StatusOr<v1::Result> ParseResult(const std::string& text) {
  std::string t = absl::AsciiStrToLower(text);
  if (t == "pass") return v1::RESULT_PASS;
  if (t == "fail") return v1::RESULT_FAIL;
  if (t == "error") return v1::RESULT_ERROR;
  if (t == "stale") return v1::RESULT_STALE;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown result '", text, "' (pass, fail, error, stale)"));
}

absl::StatusOr<absl::Duration> ParseDurationArg(const std::string& text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad duration '", text, "' (e.g. 90, 90s, 5m, 1h, 2d, 1h30m)"));
  };
  if (text.empty()) return bad();
  int64_t plain = 0;
  if (absl::SimpleAtoi(text, &plain)) {
    if (plain < 0) return bad();
    return absl::Seconds(plain);
  }
  absl::Duration total = absl::ZeroDuration();
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j])))
      ++j;
    if (j == i || j == text.size()) return bad();
    int64_t n = 0;
    if (!absl::SimpleAtoi(text.substr(i, j - i), &n)) return bad();
    switch (text[j]) {
      case 's':
        total += absl::Seconds(n);
        break;
      case 'm':
        total += absl::Minutes(n);
        break;
      case 'h':
        total += absl::Hours(n);
        break;
      case 'd':
        total += absl::Hours(24 * n);
        break;
      default:
        return bad();
    }
    i = j + 1;
  }
  return total;
}

absl::StatusOr<int64_t> ParseSince(const std::string& text, absl::Time now) {
  if (auto d = ParseDurationArg(text); d.ok()) {
    return absl::ToUnixSeconds(now - *d);
  }
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    return absl::ToUnixSeconds(t);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("bad time '", text,
                   "': give a duration before now (1h, 2d) or RFC 3339 "
                   "(2024-05-01T12:00:00Z)"));
}

std::string FormatTime(int64_t unix_seconds) {
  if (unix_seconds == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                          absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

std::string FormatAgo(int64_t unix_seconds, absl::Time now) {
  if (unix_seconds == 0) return "-";
  int64_t d = absl::ToUnixSeconds(now) - unix_seconds;
  bool future = d < 0;
  if (future) d = -d;
  std::string amount;
  if (d < 120) {
    amount = absl::StrCat(d, "s");
  } else if (d < 2 * 3600) {
    amount = absl::StrCat(d / 60, "m");
  } else if (d < 2 * 86400) {
    amount = absl::StrCat(d / 3600, "h");
  } else {
    amount = absl::StrCat(d / 86400, "d");
  }
  return future ? absl::StrCat("in ", amount) : absl::StrCat(amount, " ago");
}

absl::StatusOr<v1::IdentitySelector> MakeSelector(const std::string& vm_uuid,
                                                  const std::string& ek,
                                                  bool required) {
  v1::IdentitySelector s;
  if (!vm_uuid.empty() && !ek.empty()) {
    return absl::InvalidArgumentError("give --vm or --ek, not both");
  }
  if (!vm_uuid.empty()) {
    s.set_vm_uuid(absl::AsciiStrToLower(vm_uuid));
  } else if (!ek.empty()) {
    s.set_ek_fingerprint(absl::AsciiStrToLower(ek));
  } else if (required) {
    return absl::InvalidArgumentError(
        "name the identity with --vm UUID or --ek FINGERPRINT");
  }
  return s;
}

std::string ShownOrDash(absl::string_view s) {
  return s.empty() ? "-" : EscapeForTerminal(s);
}

std::string ReasonsText(const v1::Verdict& v) {
  std::vector<std::string> parts;
  for (const auto& r : v.reasons()) {
    parts.push_back(absl::StrCat(v1::ReasonCode_Name(r.code()), ": ",
                                 EscapeForTerminal(r.message())));
  }
  return absl::StrJoin(parts, "; ");
}

std::string LabelsText(
    const google::protobuf::Map<std::string, std::string>& labels) {
  std::map<std::string, std::string> sorted(labels.begin(), labels.end());
  std::vector<std::string> kv;
  for (const auto& [k, v] : sorted) {
    kv.push_back(absl::StrCat(EscapeForTerminal(k, ",="), "=",
                              EscapeForTerminal(v, ",=")));
  }
  return absl::StrJoin(kv, ",");
}

bool PrintJson(const google::protobuf::Message& message, std::FILE* out) {
  JsonOptions opts;
  opts.always_print_primitive_fields = true;
  auto json = vtpm::ToJson(message, opts);
  if (!json.ok()) {
    std::fprintf(stderr, "vtpm-attest: cannot print JSON: %s\n",
                 std::string(json.status().message()).c_str());
    return false;
  }
  std::fprintf(out, "%s\n", MakeJsonTerminalSafe(*json).c_str());
  return true;
}

namespace {

// Terminal columns of an escaped cell, counted as code points.
size_t Width(absl::string_view cell) {
  size_t n = 0;
  for (size_t i = 0; i < cell.size(); ++n) {
    Utf8Char c = DecodeUtf8(cell.substr(i));
    i += c.length == 0 ? 1 : c.length;
  }
  return n;
}

}  // namespace

void Table::Print(std::FILE* out) const {
  std::vector<std::vector<std::string>> rows = rows_;
  std::vector<size_t> width;
  for (auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) {
      if (!IsTerminalSafe(row[i])) row[i] = EscapeForTerminal(row[i]);
      width[i] = std::max(width[i], Width(row[i]));
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) {
        line.append(width[i] - Width(row[i]) + 2, ' ');
      }
    }
    std::fprintf(out, "%s\n", line.c_str());
  }
}

}  // namespace vtpm::cli
