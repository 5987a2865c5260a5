// A Store for one fuzz input: every call goes to the process's real store
// (SQLite), so agent-controlled strings and blobs reach the real SQL, but
// identities are answered from what this input wrote, as if the database
// had been empty when the input started. Without it an identity activated
// by one input would change how the next input's conversation runs, and
// crashes would not reproduce from their input alone.
#ifndef VTPM_TESTS_FUZZ_SCOPED_STORE_H_
#define VTPM_TESTS_FUZZ_SCOPED_STORE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "verifier/store/store.h"

namespace vtpm::fuzz {

class InputScopedStore : public verifier::Store {
 public:
  // `backing` must outlive this store.
  explicit InputScopedStore(verifier::Store* backing) : backing_(backing) {}

  // Reads the backing store (its error, if any, is returned), then answers
  // from this input's own writes.
  absl::StatusOr<std::optional<verifier::IdentityRecord>> GetIdentity(
      const std::string& ek_fingerprint) override;

  // The writes below go to the backing store first and are remembered only
  // if it accepted them, with the Store contract's semantics (upsert keeps
  // first_seen, the activated AK and the clock; the others need an
  // existing identity).
  // Only identities this input wrote, most recently seen first.
  absl::StatusOr<std::vector<verifier::IdentityRecord>> FindIdentitiesByVmUuid(
      const std::string& vm_uuid) override;
  absl::Status UpsertIdentity(const verifier::IdentityRecord& record) override;
  absl::Status SetActivatedAk(const std::string& ek_fingerprint,
                              const std::string& ak_name,
                              const std::string& ak_public) override;
  absl::Status SetClock(const std::string& ek_fingerprint,
                        const verifier::ClockState& clock) override;

  // Verdicts are not read back by the service: these go straight through.
  absl::Status RecordVerdict(const std::string& ek_fingerprint,
                             const vtpm_attest::v1::Verdict& verdict) override;
  absl::StatusOr<std::vector<vtpm_attest::v1::Verdict>> ListVerdicts(
      const std::string& ek_fingerprint, int limit) override;

 private:
  verifier::Store* backing_;
  std::map<std::string, verifier::IdentityRecord> identities_;
};

}  // namespace vtpm::fuzz

#endif  // VTPM_TESTS_FUZZ_SCOPED_STORE_H_
