// The verified boot state of a golden VM, from the verifier's database:
// what `vtpm-attest policy learn --from-database` learns from.
#ifndef VTPM_VERIFIER_CLI_POLICY_FROM_STORE_H_
#define VTPM_VERIFIER_CLI_POLICY_FROM_STORE_H_

#include <string>

#include "absl/status/statusor.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::cli {

struct StoredBoot {
  vtpm_attest::v1::BootState state;
  std::string description;  // "VM ... (EK ...), verdict ... at ..."
};

// Opens the SQLite database at `database` and returns the boot state of
// the newest verdict of the identity named by `ek_fingerprint` or, if that
// is empty, of the most recently seen identity of `vm_uuid`. Only verdicts
// with a verified event log whose reasons are all policy rules on verified
// state qualify (POLICY_*, not POLICY_QUIRK): a PASS, or a FAIL by policy
// alone. One with any finding about the log or the evidence (EVENTLOG_*,
// quote, identity, ...) may describe what an attacker appended, and is
// skipped.
// NotFound when there is no such identity or verdict.
absl::StatusOr<StoredBoot> LoadStoredBoot(const std::string& database,
                                          const std::string& vm_uuid,
                                          const std::string& ek_fingerprint);

}  // namespace vtpm::cli

#endif  // VTPM_VERIFIER_CLI_POLICY_FROM_STORE_H_
