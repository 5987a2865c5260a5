// The table of rules and the rules on the TPM and the evidence itself.
#include "verifier/policy/policy_rules.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/hex.h"
#include "common/tpm_alg.h"

namespace vtpm::verifier {

namespace v1 = vtpm_attest::v1;

void RuleReasons::Fail(v1::ReasonCode code, absl::string_view rule,
                       absl::string_view message) {
  v1::Reason r;
  r.set_code(code);
  r.set_message(
      absl::StrCat("policy ", policy_name_, ": ", rule, ": ", message));
  out_->push_back(std::move(r));
}

const std::vector<PolicyRule>& PolicyRules() {
  static const std::vector<PolicyRule>* const rules =
      new std::vector<PolicyRule>{
          {"tpmFamily", &CheckTpmFamily},
          {"allowedTpmModels", &CheckTpmModel},
          {"allowedTpmManufacturers", &CheckTpmManufacturer},
          {"pinnedEks", &CheckPinnedEk},
          {"freshness.maxEvidenceAgeSeconds", &CheckFreshness},
          {"acceptedBanks", &CheckBanks},
          {"pcrValues", &CheckPcrValues},
          {"boot.requireEventLog", &CheckEventLogPresent},
          {"allowedQuirks", &CheckQuirks},
          {"boot.requireSecureBoot", &CheckSecureBoot},
          {"boot.requiredDb, boot.forbiddenDb", &CheckSecureBootDb},
          {"boot.requiredDbx", &CheckSecureBootDbx},
          {"boot.allowedBootApplications", &CheckBootApplications},
          {"boot.allowedDrivers", &CheckDrivers},
          {"boot.allowedKernels", &CheckKernels},
          {"boot.allowedInitrds", &CheckInitrds},
          {"boot.allowedKernelCmdlines", &CheckKernelCmdline},
          {"boot.allowedKernelCmdlineSha256", &CheckKernelCmdlineSha256},
          {"boot.minimumFirmwareVersion", &CheckFirmwareVersion},
          {"boot.forbidWindowsTestSigning, boot.forbidWindowsDebugging",
           &CheckWindows},
      };
  return *rules;
}

void CheckTpmFamily(const Policy& policy, const PolicyInput& in,
                    RuleReasons& reasons) {
  // Without a verified quote (offline checks) there is no family to judge.
  if (policy.tpm_family().empty() || in.tpm.family.empty()) return;
  if (in.tpm.family != policy.tpm_family()) {
    reasons.Fail(v1::POLICY_TPM_FAMILY, "tpmFamily",
                 absl::StrCat("TPM family is '", in.tpm.family,
                              "', policy wants '", policy.tpm_family(), "'"));
  }
}

namespace {

// "the EK certificate is missing" style text for rules that need the
// certified manufacturer.
constexpr absl::string_view kNotCertified =
    "the TPM's manufacturer is not certified (no verified EK certificate; "
    "what the guest reports is not evidence)";

}  // namespace

void CheckTpmModel(const Policy& policy, const PolicyInput& in,
                   RuleReasons& reasons) {
  if (policy.allowed_tpm_models().empty()) return;
  if (!in.tpm.certified) {
    reasons.Fail(v1::POLICY_TPM_MODEL, "allowedTpmModels", kNotCertified);
    return;
  }
  std::string full = absl::StrCat(in.tpm.manufacturer, ":", in.tpm.model);
  bool ok =
      std::any_of(policy.allowed_tpm_models().begin(),
                  policy.allowed_tpm_models().end(), [&](const std::string& m) {
                    return m == full || m == in.tpm.manufacturer;
                  });
  if (!ok) {
    reasons.Fail(
        v1::POLICY_TPM_MODEL, "allowedTpmModels",
        absl::StrCat("certified TPM '", full, "' is not in allowedTpmModels [",
                     absl::StrJoin(policy.allowed_tpm_models(), ", "), "]"));
  }
}

void CheckTpmManufacturer(const Policy& policy, const PolicyInput& in,
                          RuleReasons& reasons) {
  const auto& allowed = policy.allowed_tpm_manufacturers();
  if (allowed.empty()) return;
  if (!in.tpm.certified) {
    reasons.Fail(v1::POLICY_TPM_MANUFACTURER, "allowedTpmManufacturers",
                 kNotCertified);
    return;
  }
  const std::string& m = in.tpm.manufacturer;
  if (std::find(allowed.begin(), allowed.end(), m) == allowed.end()) {
    reasons.Fail(v1::POLICY_TPM_MANUFACTURER, "allowedTpmManufacturers",
                 absl::StrCat("certified TPM manufacturer '", m,
                              "' (EK certificate) is not in [",
                              absl::StrJoin(allowed, ", "), "]"));
  }
}

void CheckPinnedEk(const Policy& policy, const PolicyInput& in,
                   RuleReasons& reasons) {
  if (policy.pinned_eks().empty()) return;
  const std::string vm = absl::AsciiStrToLower(in.reported.vm_uuid);
  const std::string got = absl::AsciiStrToLower(in.ek_fingerprint);
  // The VM UUID is the guest's claim, the EK is proven: judge both ways,
  // so a pinned EK cannot escape its pin by claiming another UUID.
  auto it =
      vm.empty() ? policy.pinned_eks().end() : policy.pinned_eks().find(vm);
  if (it != policy.pinned_eks().end() && got != it->second) {
    reasons.Fail(v1::POLICY_EK_PINNED, "pinnedEks",
                 absl::StrCat("VM ", it->first, " presents EK ",
                              got.empty() ? "(none)" : got, ", pinned EK is ",
                              it->second));
  }
  if (got.empty()) return;
  for (const auto& [pinned_vm, pinned_ek] : policy.pinned_eks()) {
    if (pinned_ek == got && pinned_vm != vm) {
      reasons.Fail(v1::POLICY_EK_PINNED, "pinnedEks",
                   absl::StrCat("EK ", got, " is pinned to VM ", pinned_vm,
                                " and presents itself as VM ",
                                vm.empty() ? "(none)" : vm));
    }
  }
}

void CheckFreshness(const Policy& policy, const PolicyInput& in,
                    RuleReasons& reasons) {
  uint32_t max_s = policy.freshness().max_evidence_age_seconds();
  if (max_s == 0) return;
  if (in.evidence_age == absl::InfiniteDuration()) {
    reasons.Fail(
        v1::POLICY_EVIDENCE_AGE, "freshness.maxEvidenceAgeSeconds",
        absl::StrCat("the evidence's age is unknown, limit ", max_s, " s"));
  } else if (in.evidence_age > absl::Seconds(max_s)) {
    reasons.Fail(
        v1::POLICY_EVIDENCE_AGE, "freshness.maxEvidenceAgeSeconds",
        absl::StrFormat("evidence is %.1f s old, limit %d s",
                        absl::ToDoubleSeconds(in.evidence_age), max_s));
  }
}

void CheckBanks(const Policy& policy, const PolicyInput& in,
                RuleReasons& reasons) {
  std::set<TPMI_ALG_HASH> used = in.banks;
  if (used.empty() && in.pcrs != nullptr) {
    for (const auto& [bank, values] : *in.pcrs) used.insert(bank);
  }
  std::vector<std::string> accepted;
  for (TPMI_ALG_HASH h : AcceptedBanks(policy)) {
    accepted.push_back(HashAlgName(h));
  }
  for (TPMI_ALG_HASH h : used) {
    if (!BankAccepted(policy, h)) {
      reasons.Fail(v1::POLICY_BANK, "acceptedBanks",
                   absl::StrCat("evidence uses the ", HashAlgName(h),
                                " bank, accepted: [",
                                absl::StrJoin(accepted, ", "), "]"));
    }
  }
}

void CheckPcrValues(const Policy& policy, const PolicyInput& in,
                    RuleReasons& reasons) {
  for (const auto& bank : policy.pcr_values()) {
    TPMI_ALG_HASH h = FromProto(bank.hash());
    for (const auto& pv : bank.pcrs()) {
      std::string where = absl::StrCat(HashAlgName(h), ":", pv.index());
      const std::string* got = nullptr;
      if (in.pcrs != nullptr) {
        auto b = in.pcrs->find(h);
        if (b != in.pcrs->end()) {
          auto v = b->second.find(pv.index());
          if (v != b->second.end()) got = &v->second;
        }
      }
      if (got == nullptr) {
        reasons.Fail(v1::POLICY_PCR_MISMATCH, "pcrValues",
                     absl::StrCat("PCR ", where,
                                  " has a required value but was not quoted"));
        continue;
      }
      std::string hex = HexEncode(*got);
      if (std::find(pv.values().begin(), pv.values().end(), hex) ==
          pv.values().end()) {
        reasons.Fail(v1::POLICY_PCR_MISMATCH, "pcrValues",
                     absl::StrCat("PCR ", where, " is ", hex, ", allowed: [",
                                  absl::StrJoin(pv.values(), ", "), "]"));
      }
    }
  }
}

}  // namespace vtpm::verifier
