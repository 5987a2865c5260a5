#include "verifier/cli/policy_from_store.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "verifier/store/sqlite_store.h"

namespace vtpm::cli {
namespace {

namespace v1 = vtpm_attest::v1;

// An event-log finding makes a stored boot state unfit to learn from.
// True unless every reason of `v` is a policy rule judging verified state
// (POLICY_*, but not POLICY_QUIRK): a verdict whose log or evidence had
// any finding (EVENTLOG_*, quote, identity, ...) may describe what an
// attacker appended, and is never learned from. Judged by the code's name,
// so a finding added later is excluded too.
bool HasEvidenceFinding(const v1::Verdict& v) {
  for (const auto& r : v.reasons()) {
    if (r.code() == v1::POLICY_QUIRK ||
        !absl::StartsWith(v1::ReasonCode_Name(r.code()), "POLICY_")) {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<StoredBoot> LoadStoredBoot(const std::string& database,
                                          const std::string& vm_uuid,
                                          const std::string& ek_fingerprint) {
  ASSIGN_OR_RETURN(auto store, verifier::OpenSqliteStore(database));
  std::string fp = absl::AsciiStrToLower(ek_fingerprint);
  if (fp.empty()) {
    ASSIGN_OR_RETURN(auto ids, store->FindIdentitiesByVmUuid(
                                   absl::AsciiStrToLower(vm_uuid)));
    if (ids.empty()) {
      return absl::NotFoundError(
          absl::StrCat("no identity with VM UUID ", vm_uuid, " in ", database));
    }
    fp = ids.front().ek_fingerprint;
  }
  verifier::VerdictQuery query;
  query.ek_fingerprint = fp;
  query.limit = 1000;
  ASSIGN_OR_RETURN(auto verdicts, store->QueryVerdicts(query));
  for (const auto& v : verdicts) {
    if (!v.has_boot_state() || HasEvidenceFinding(v)) continue;
    StoredBoot out;
    out.state = v.boot_state();
    out.description = absl::StrCat(
        "VM ",
        v.identity().vm_uuid().empty() ? "(no UUID)" : v.identity().vm_uuid(),
        " (EK ", fp.substr(0, 16), "...), verdict ", v.verdict_id(), " at ",
        absl::FormatTime(absl::FromUnixSeconds(v.verified_at_unix()),
                         absl::UTCTimeZone()));
    return out;
  }
  return absl::NotFoundError(
      absl::StrCat("identity ", fp,
                   " has no verdict with a verified event log in ", database));
}

}  // namespace vtpm::cli
