// libFuzzer target: vtpm::verifier::ParsePolicy (verifier/policy/policy.h)
// on arbitrary JSON, and what the verifier does next with a policy that
// parsed: QuoteSelection, PolicySet::FromPolicies / Select and
// EvaluatePolicy.
//
// Seeds: the shipped policies (policies/*.json) and the variants in
// tests/fuzz/corpus/fuzz_policy. A dictionary of the JSON names helps:
//   fuzz_policy -dict=tests/fuzz/policy.dict WORK tests/fuzz/corpus/fuzz_policy
//     policies
//
// VTPM_FUZZ_VERBOSE=1 prints whether each input parsed.
//
// Invariants checked (abort on violation):
//  - a parsed policy prints as JSON that parses back to the same policy;
//  - its quote selection is non-empty with PCRs < 24;
//  - the policy is selected for an agent carrying exactly its labels;
//  - PCR values equal to the first allowed value of every listed PCR pass
//    the PCR rules, unless the policy lists one PCR twice.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "common/hex.h"
#include "common/tpm_alg.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "verifier/policy/policy.h"

namespace {

using vtpm::verifier::Policy;

void Check(bool ok, const char* what) {
  if (ok) return;
  fprintf(stderr, "fuzz_policy: invariant violated: %s\n", what);
  abort();
}

void CheckRoundTrip(const Policy& policy) {
  std::string json;
  Check(google::protobuf::util::MessageToJsonString(policy, &json).ok(),
        "a parsed policy prints as JSON");
  auto again = vtpm::verifier::ParsePolicy(json, "roundtrip.json", "other");
  Check(again.ok(), "a printed policy parses");
  Check(google::protobuf::util::MessageDifferencer::Equals(policy, *again),
        "a printed policy parses to the same policy");
}

void CheckSelection(const Policy& policy) {
  vtpm::PcrSelection sel = vtpm::verifier::QuoteSelection(policy);
  Check(!sel.empty(), "the quote selection names a bank");
  for (const auto& bank : sel) {
    Check(vtpm::DigestSize(bank.hash) != 0, "quote banks are known");
    Check(bank.pcrs.any(), "every bank of the quote selection names a PCR");
  }
}

void CheckSelect(const Policy& policy) {
  auto set = vtpm::verifier::PolicySet::FromPolicies({policy});
  Check(set.ok(), "one policy makes a set");
  std::map<std::string, std::string> labels(policy.match_labels().begin(),
                                            policy.match_labels().end());
  auto chosen = set->Select(labels);
  Check(chosen.ok() && (*chosen)->name() == policy.name(),
        "a policy is selected for its own labels");
}

void CheckEvaluate(const Policy& policy) {
  vtpm::PcrValues pcrs;
  std::set<std::pair<TPMI_ALG_HASH, uint32_t>> seen;
  bool duplicate = false;
  for (const auto& bank : policy.pcr_values()) {
    TPMI_ALG_HASH h = vtpm::FromProto(bank.hash());
    for (const auto& pv : bank.pcrs()) {
      if (!seen.insert({h, pv.index()}).second) {
        duplicate = true;
        continue;
      }
      auto raw = vtpm::HexDecode(pv.values(0));
      Check(raw.ok(), "allowed values are hex after parsing");
      pcrs[h][pv.index()] = *raw;
    }
  }
  vtpm::verifier::PolicyInput input;
  input.tpm.family = "2.0";
  input.tpm.manufacturer = "IBM";
  input.tpm.model = "swtpm";
  input.tpm.certified = true;
  input.pcrs = &pcrs;
  auto reasons = vtpm::verifier::EvaluatePolicy(policy, input);
  if (duplicate) return;
  for (const auto& r : reasons) {
    Check(r.code() != vtpm_attest::v1::POLICY_PCR_MISMATCH,
          "the allowed PCR values pass");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string json(reinterpret_cast<const char*>(data), size);
  auto policy = vtpm::verifier::ParsePolicy(json, "fuzz.json", "fuzz");
  static const bool verbose = getenv("VTPM_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    fprintf(stderr, "fuzz_policy: %s\n", policy.status().ToString().c_str());
  }
  if (!policy.ok()) return 0;
  CheckRoundTrip(*policy);
  CheckSelection(*policy);
  CheckSelect(*policy);
  CheckEvaluate(*policy);
  return 0;
}
