// Attestation policies: loading and validating JSON files (Protobuf JSON
// mapping of vtpm_attest.v1.Policy), choosing one per agent by labels, and
// judging verified evidence against it.
#ifndef VTPM_VERIFIER_POLICY_POLICY_H_
#define VTPM_VERIFIER_POLICY_POLICY_H_

#include <tss2/tss2_tpm2_types.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/pcr_selection.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::verifier {

using vtpm_attest::v1::Policy;

// Parses and validates one policy from JSON text. Unknown fields, bad hex,
// digests of the wrong size, PCR indexes >= 24, unknown banks and an
// unsupported tpm_family are errors whose message names `source` (a file
// name) and the field; so is every check of ValidateExtendedFields
// (policy_validate.h: banks, manufacturers, pinned EKs, quirks, boot
// digests, RE2 command-line patterns, firmware version, event types).
// Digests come back in canonical form (lower-case hex, no "0x"). A policy
// without a name takes `default_name`.
absl::StatusOr<Policy> ParsePolicy(const std::string& json,
                                   const std::string& source,
                                   const std::string& default_name);

// Reads and parses one file; the default name is the file's stem.
absl::StatusOr<Policy> LoadPolicyFile(const std::string& path);

// The PCR selection a policy quotes (quote_pcrs), or sha256:0-7 if empty.
vtpm::PcrSelection QuoteSelection(const Policy& policy);

// True if QuoteSelection(policy) has `pcr` in at least one bank.
bool PolicyQuotesPcr(const Policy& policy, uint32_t pcr);

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

// The banks a policy accepts for quotes and replay: accepted_banks, or
// sha256, sha384, sha512 when it is empty.
std::vector<TPMI_ALG_HASH> AcceptedBanks(const Policy& policy);
bool BankAccepted(const Policy& policy, TPMI_ALG_HASH bank);

// True if any boot rule needs a verified event log: any field of `boot`
// that is set, except extraEventTypes and osExtendedPcrs (which only widen
// what a log may hold). The verifier asks for the log
// (QuoteRequest.include_event_log) when this holds.
bool PolicyNeedsEventLog(const Policy& policy);

// The TPM as the verifier has verified it. Never filled from the agent's
// Hello: the agent is under the guest's control.
struct VerifiedTpm {
  // From the TPM subjectAltName of an EK certificate that chained to a
  // trusted CA and certifies the EK that proved possession (TCG vendor ID
  // 2.23.133.2.1 decoded to its ASCII code, e.g. "IFX", "MSFT", "GOOG";
  // "id:XXXXXXXX" when the ID is not ASCII, e.g. swtpm's "id:00001014";
  // tpmModel 2.23.133.2.2; tpmVersion 2.23.133.2.3). Empty without a
  // verified certificate.
  std::string manufacturer;
  std::string model;
  std::string version;
  bool certified = false;  // true when the three fields above are set
  // "2.0": the evidence was a TPMS_ATTEST with TPM_GENERATED_VALUE signed by
  // an AK the TPM proved it holds. Empty when no quote was verified.
  std::string family;
  // TPMS_ATTEST.firmwareVersion of the verified quote (vendor-defined).
  uint64_t firmware_version = 0;
};

// What the guest says about itself and nothing can verify from inside the
// guest (docs/POLICY.md, "Reported by the guest"). A rule that reads these
// judges a claim, and must say so in its documentation.
struct GuestReported {
  // Hello.host.vm_uuid (lower case; SMBIOS as the guest read it).
  std::string vm_uuid;
  std::string hostname;
  // The TPM interface the guest's kernel bound (tpm-crb / tpm-tis).
  vtpm_attest::v1::TpmInterface tpm_interface =
      vtpm_attest::v1::TPM_INTERFACE_UNSPECIFIED;
  // TpmFacts as the agent read them (TPM2_PT_MANUFACTURER, vendor
  // strings); nullptr when unknown.
  const vtpm_attest::v1::TpmFacts* tpm = nullptr;
};

// What policy judges: facts already verified by the earlier checks, and,
// apart, what the guest reports. Members judged by no rule of the policy
// may stay unset.
struct PolicyInput {
  // --- Verified ---------------------------------------------------------
  VerifiedTpm tpm;
  // Quoted PCR values (covered by the quote's signature and PCR digest).
  const vtpm::PcrValues* pcrs = nullptr;
  // What the event log says, built only from events in PCRs that replayed
  // to quoted values (bootstate::ExtractBootState); nullptr when there is
  // no verified log.
  const vtpm_attest::v1::BootState* boot = nullptr;
  // The EK fingerprint (SHA-256 of the EK SubjectPublicKeyInfo, hex) of the
  // TPM that proved possession, for pinnedEks.
  std::string ek_fingerprint;
  // Time from issuing the nonce to judging the quote. The default
  // (infinite) means unknown and fails any freshness limit.
  absl::Duration evidence_age = absl::InfiniteDuration();
  // Banks the evidence used (quote and replay); empty: the banks of *pcrs.
  std::set<TPMI_ALG_HASH> banks;

  // --- Reported by the guest (unverified) -------------------------------
  GuestReported reported;
};

// Every rule that fails, as Verdict reasons (empty: policy satisfied).
// The rules run in the order of PolicyRules() (policy_rules.h); each
// reason's message is "policy NAME: RULE: what broke it", RULE being the
// JSON field name (e.g. "boot.allowedBootApplications") and what broke it
// naming the event (index, PCR, type, digest or path) where there is one.
std::vector<vtpm_attest::v1::Reason> EvaluatePolicy(const Policy& policy,
                                                    const PolicyInput& input);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_POLICY_POLICY_H_
