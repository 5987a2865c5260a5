// The fleet-wide policy set: the policy directory of this replica plus the
// policies applied through the admin API and kept in the Store (a stored
// policy overrides a file policy of the same name). Every replica of a
// fleet polls the store's policy revision and converges on the same set.
#ifndef VTPM_VERIFIER_POLICY_POLICY_REGISTRY_H_
#define VTPM_VERIFIER_POLICY_POLICY_REGISTRY_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "verifier/policy/policy.h"
#include "verifier/store/store.h"
#include "vtpm_attest/v1/admin.pb.h"

namespace vtpm::verifier {

class PolicyRegistry {
 public:
  // Loads every *.json file of `policy_dir` (as PolicySet::LoadDirectory:
  // the default name is the file stem, two policies with one name are an
  // error; an empty `policy_dir` means no files) and every policy stored
  // in `store` (which must outlive the registry). Fails when a file does
  // not parse or when no policy at all results. A stored policy that does
  // not parse is left out (a file policy of its name stays in force) and
  // reported by Problems().
  static absl::StatusOr<std::unique_ptr<PolicyRegistry>> Create(
      const std::string& policy_dir, Store* store);

  // The set in force. Cheap (a mutex-guarded shared_ptr copy); callers
  // keep the pointer as long as they need a consistent set (e.g. for the
  // life of one agent stream). Never null.
  std::shared_ptr<const PolicySet> Current() const;

  // Re-reads the directory and the store and installs the new set. On a
  // file error (or no policy at all) the set in force stays and the error
  // is returned. A stored policy that no longer parses keeps its last good
  // version (or the file policy of its name, or nothing) and is reported
  // by Problems(); the rest of the new set is installed and OK returned.
  absl::Status Reload();

  // Validates `json` (ParsePolicy: errors name the field; INVALID_ARGUMENT)
  // and, unless `dry_run`, stores it for every replica (Store::PutPolicy,
  // with `actor`) and reloads. A policy without "name" takes `name`; a
  // policy whose "name" differs from a non-empty `name` is an error, as is
  // a policy with no name at all. Returns what was (or would be) stored.
  absl::StatusOr<vtpm_attest::v1::PolicyInfo> Apply(const std::string& json,
                                                    const std::string& name,
                                                    const std::string& actor,
                                                    bool dry_run);

  // The policies in force, by name: source "file:<path>" or "stored",
  // sha256 (hex) of the JSON text, updated_unix (file mtime, or when it
  // was stored).
  std::vector<vtpm_attest::v1::PolicyInfo> List() const;

  // Reloads when Store::PolicyRevision() differs from the revision the
  // set in force was built from. Returns whether it reloaded. The service
  // calls it every few seconds so replicas converge.
  absl::StatusOr<bool> PollOnce();

  // Problems of the last reload that did not prevent it (stored policies
  // that do not parse), one line each; empty when there are none.
  std::vector<std::string> Problems() const;

 private:
  struct Entry {
    vtpm_attest::v1::PolicyInfo info;  // info.policy() is the parsed policy
  };
  struct Built {
    std::vector<Entry> entries;
    std::shared_ptr<const PolicySet> set;
    std::vector<std::string> problems;
    int64_t revision = 0;
  };

  PolicyRegistry(std::string policy_dir, Store* store)
      : policy_dir_(std::move(policy_dir)), store_(store) {}

  // Builds a new set; `previous` supplies last good stored versions.
  absl::StatusOr<Built> Build(const std::vector<Entry>& previous) const;
  void Install(Built built);

  const std::string policy_dir_;
  Store* const store_;

  std::mutex reload_mu_;   // serializes Reload and Apply
  mutable std::mutex mu_;  // guards the members below
  std::vector<Entry> entries_;
  std::shared_ptr<const PolicySet> set_;
  std::vector<std::string> problems_;
  int64_t revision_ = 0;
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_POLICY_POLICY_REGISTRY_H_
