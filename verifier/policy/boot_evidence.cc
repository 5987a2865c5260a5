// VerifyEventLog (boot_evidence.h).
#include "verifier/policy/boot_evidence.h"

#include "absl/strings/str_cat.h"
#include "common/eventlog/event_log.h"
#include "common/reason.h"
#include "common/status_macros.h"

namespace vtpm::verifier {
namespace {

// `s` as is when it carries a reason code (or is an internal error);
// otherwise a ReasonError(`code`) with `context` prefixed.
absl::Status WithDefaultReason(const absl::Status& s,
                               vtpm_attest::v1::ReasonCode code,
                               absl::string_view context) {
  if (ReasonOf(s) != vtpm_attest::v1::INTERNAL_ERROR ||
      s.code() == absl::StatusCode::kInternal) {
    return s;
  }
  return ReasonError(code, absl::StrCat(context, ": ", s.message()));
}

}  // namespace

absl::StatusOr<VerifiedBoot> VerifyEventLog(
    absl::string_view log, const vtpm::PcrValues& quoted,
    const bootstate::ExtractOptions& options) {
  if (log.empty()) {
    return ReasonError(vtpm_attest::v1::EVENTLOG_MISSING,
                       "the agent sent no event log");
  }
  auto parsed = eventlog::ParseEventLog(log);
  if (!parsed.ok()) {
    return WithDefaultReason(parsed.status(),
                             vtpm_attest::v1::EVENTLOG_MALFORMED, "event log");
  }
  VerifiedBoot out;
  auto match = eventlog::MatchQuotedPcrs(*parsed, quoted);
  if (!match.ok()) {
    return WithDefaultReason(match.status(),
                             vtpm_attest::v1::EVENTLOG_REPLAY_MISMATCH,
                             "event log replay");
  }
  out.match = *std::move(match);
  auto extraction = bootstate::ExtractBootState(*parsed, out.match, options);
  if (!extraction.ok()) {
    return absl::InternalError(absl::StrCat("extracting the boot state: ",
                                            extraction.status().message()));
  }
  out.state = std::move(extraction->state);
  out.findings = std::move(extraction->findings);
  return out;
}

}  // namespace vtpm::verifier
