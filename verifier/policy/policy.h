// Attestation policies: loading and validating JSON files (Protobuf JSON
// mapping of vtpm_attest.v1.Policy), choosing one per agent by labels, and
// judging verified evidence against it.
#ifndef VTPM_VERIFIER_POLICY_POLICY_H_
#define VTPM_VERIFIER_POLICY_POLICY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/pcr_selection.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::verifier {

using vtpm_attest::v1::Policy;

// Parses and validates one policy from JSON text. Unknown fields, bad hex,
// digests of the wrong size, PCR indexes >= 24, unknown banks and an
// unsupported tpm_family are errors whose message names `source` (a file
// name) and the field. A policy without a name takes `default_name`.
absl::StatusOr<Policy> ParsePolicy(const std::string& json,
                                   const std::string& source,
                                   const std::string& default_name);

// Reads and parses one file; the default name is the file's stem.
absl::StatusOr<Policy> LoadPolicyFile(const std::string& path);

// The PCR selection a policy quotes (quote_pcrs), or sha256:0-7 if empty.
vtpm::PcrSelection QuoteSelection(const Policy& policy);

// A set of policies, one of which applies to each agent.
class PolicySet {
 public:
  // Loads every *.json file in `dir`. Two policies with one name are an
  // error. An empty directory is an error.
  static absl::StatusOr<PolicySet> LoadDirectory(const std::string& dir);
  static absl::StatusOr<PolicySet> FromPolicies(std::vector<Policy> policies);

  // The policy for an agent with `labels`: among policies whose every
  // match_labels entry equals the agent's label, the one with the most
  // match_labels (ties broken by name); a policy with no match_labels
  // matches every agent. NotFound (POLICY_NOT_FOUND) if none matches.
  absl::StatusOr<const Policy*> Select(
      const std::map<std::string, std::string>& labels) const;

  const Policy* Find(const std::string& name) const;
  const std::vector<Policy>& policies() const { return policies_; }

 private:
  std::vector<Policy> policies_;
};

// What policy judges: facts already verified by the earlier checks.
struct PolicyInput {
  const vtpm_attest::v1::TpmFacts* tpm = nullptr;
  // Quoted PCR values (verified against the quote's digest).
  const vtpm::PcrValues* pcrs = nullptr;
};

// Every rule that fails, as Verdict reasons (empty: policy satisfied).
std::vector<vtpm_attest::v1::Reason> EvaluatePolicy(const Policy& policy,
                                                    const PolicyInput& input);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_POLICY_POLICY_H_
