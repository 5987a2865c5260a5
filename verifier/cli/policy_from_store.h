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
// whose event log verified and carried no event-log finding qualify (the
// boot state stored with a verdict was replayed against its quote).
// NotFound when there is no such identity or verdict.
absl::StatusOr<StoredBoot> LoadStoredBoot(const std::string& database,
                                          const std::string& vm_uuid,
                                          const std::string& ek_fingerprint);

}  // namespace vtpm::cli

#endif  // VTPM_VERIFIER_CLI_POLICY_FROM_STORE_H_
