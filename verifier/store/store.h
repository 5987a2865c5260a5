// Durable verifier state behind one interface: enrolled identities (EK,
// activated AK, last verified TPM clock) and every verdict. The embedded
// backend is SQLite (sqlite_store.h); a PostgreSQL backend implements the
// same interface for fleets with several verifier replicas.
#ifndef VTPM_VERIFIER_STORE_STORE_H_
#define VTPM_VERIFIER_STORE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::verifier {

// The TPM clock state of the last verified quote of an identity.
struct ClockState {
  uint64_t clock = 0;
  uint32_t reset_count = 0;
  uint32_t restart_count = 0;
};

struct IdentityRecord {
  std::string ek_fingerprint;  // key: SHA-256 of the EK SubjectPublicKeyInfo
  std::string vm_uuid;
  std::string hostname;
  std::string ek_public;       // TPM2B_PUBLIC wire format
  std::string ek_certificate;  // DER, empty when the TPM has none
  std::string ak_name;         // name of the activated AK; empty until then
  std::string ak_public;       // TPM2B_PUBLIC of the activated AK
  std::string policy;          // name of the policy last applied
  int64_t first_seen_unix = 0;
  int64_t last_seen_unix = 0;
  std::optional<ClockState> clock;
};

class Store {
 public:
  virtual ~Store() = default;

  // The identity with this EK fingerprint, or nullopt.
  virtual absl::StatusOr<std::optional<IdentityRecord>> GetIdentity(
      const std::string& ek_fingerprint) = 0;

  // Identities whose last Hello named `vm_uuid`, most recently seen first.
  // More than one means the VM's TPM (EK) changed.
  virtual absl::StatusOr<std::vector<IdentityRecord>> FindIdentitiesByVmUuid(
      const std::string& vm_uuid) = 0;

  // Inserts or updates the descriptive fields (vm_uuid, hostname, EK,
  // policy, last_seen). Keeps first_seen, the activated AK and the clock.
  virtual absl::Status UpsertIdentity(const IdentityRecord& record) = 0;

  // Records that `ak_name` was proven (by credential activation) to live on
  // the TPM of this EK.
  virtual absl::Status SetActivatedAk(const std::string& ek_fingerprint,
                                      const std::string& ak_name,
                                      const std::string& ak_public) = 0;

  // Stores the clock of a verified quote.
  virtual absl::Status SetClock(const std::string& ek_fingerprint,
                                const ClockState& clock) = 0;

  // Appends a verdict; `verdict.verdict_id()` must be set and unique.
  // Writing the same id twice is not an error (idempotent retry).
  virtual absl::Status RecordVerdict(
      const std::string& ek_fingerprint,
      const vtpm_attest::v1::Verdict& verdict) = 0;

  // Newest first, at most `limit`.
  virtual absl::StatusOr<std::vector<vtpm_attest::v1::Verdict>> ListVerdicts(
      const std::string& ek_fingerprint, int limit) = 0;
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_STORE_STORE_H_
