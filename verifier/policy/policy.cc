#include "verifier/policy/policy.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/hex.h"
#include "common/reason.h"
#include "common/status_macros.h"
#include "common/tpm_alg.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "verifier/policy/policy_rules.h"
#include "verifier/policy/policy_validate.h"

namespace vtpm::verifier {
namespace {

using vtpm_attest::v1::Reason;

absl::Status FieldError(const std::string& source, const std::string& field,
                        const std::string& why) {
  return absl::InvalidArgumentError(
      absl::StrCat(source, ": field ", field, ": ", why));
}

absl::Status ValidateBank(const std::string& source, const std::string& field,
                          vtpm_attest::v1::HashAlgorithm h) {
  if (vtpm::DigestSize(vtpm::FromProto(h)) == 0) {
    return FieldError(source, field,
                      absl::StrCat("unsupported bank ",
                                   vtpm_attest::v1::HashAlgorithm_Name(h)));
  }
  return absl::OkStatus();
}

absl::Status Validate(const Policy& p, const std::string& source) {
  if (!p.tpm_family().empty() && p.tpm_family() != "2.0") {
    return FieldError(
        source, "tpmFamily",
        absl::StrCat("'", p.tpm_family(), "' is not supported (only \"2.0\")"));
  }
  for (int i = 0; i < p.quote_pcrs_size(); ++i) {
    std::string f = absl::StrCat("quotePcrs[", i, "]");
    RETURN_IF_ERROR(ValidateBank(source, f + ".hash", p.quote_pcrs(i).hash()));
    // A bank with no PCR would quote nothing of it: a policy that attests
    // nothing it seems to (found by fuzz_policy).
    if (p.quote_pcrs(i).pcrs().empty()) {
      return FieldError(source, f + ".pcrs",
                        "names no PCR: a bank quotes at least one");
    }
    for (uint32_t pcr : p.quote_pcrs(i).pcrs()) {
      if (pcr >= 24) return FieldError(source, f + ".pcrs", "PCR index >= 24");
    }
  }
  if (auto sel = vtpm::FromProto(p.quote_pcrs()); !sel.ok()) {
    return FieldError(source, "quotePcrs", std::string(sel.status().message()));
  }
  for (int i = 0; i < p.pcr_values_size(); ++i) {
    const auto& bank = p.pcr_values(i);
    std::string f = absl::StrCat("pcrValues[", i, "]");
    RETURN_IF_ERROR(ValidateBank(source, f + ".hash", bank.hash()));
    size_t size = vtpm::DigestSize(vtpm::FromProto(bank.hash()));
    for (int j = 0; j < bank.pcrs_size(); ++j) {
      const auto& pv = bank.pcrs(j);
      std::string pf = absl::StrCat(f, ".pcrs[", j, "]");
      if (pv.index() >= 24) {
        return FieldError(source, pf + ".index", "PCR index >= 24");
      }
      if (pv.values().empty()) {
        return FieldError(source, pf + ".values", "no allowed value listed");
      }
      for (int k = 0; k < pv.values_size(); ++k) {
        auto raw = vtpm::HexDecode(pv.values(k));
        std::string vf = absl::StrCat(pf, ".values[", k, "]");
        if (!raw.ok()) {
          return FieldError(source, vf, std::string(raw.status().message()));
        }
        if (raw->size() != size) {
          return FieldError(
              source, vf,
              absl::StrFormat("%d bytes, bank wants %d", raw->size(), size));
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Policy> ParsePolicy(const std::string& json,
                                   const std::string& source,
                                   const std::string& default_name) {
  Policy p;
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto st = google::protobuf::util::JsonStringToMessage(json, &p, opts);
  if (!st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ", std::string(st.message())));
  }
  if (p.name().empty()) p.set_name(default_name);
  RETURN_IF_ERROR(Validate(p, source));
  RETURN_IF_ERROR(ValidateExtendedFields(&p, source));
  // Canonical form: lower-case hex without prefix, so evaluation compares
  // strings directly.
  for (auto& bank : *p.mutable_pcr_values()) {
    for (auto& pv : *bank.mutable_pcrs()) {
      for (auto& v : *pv.mutable_values())
        v = vtpm::HexEncode(*vtpm::HexDecode(v));
    }
  }
  return p;
}

absl::StatusOr<Policy> LoadPolicyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParsePolicy(ss.str(), path,
                     std::filesystem::path(path).stem().string());
}

vtpm::PcrSelection QuoteSelection(const Policy& policy) {
  auto sel = vtpm::FromProto(policy.quote_pcrs());
  if (sel.ok() && !sel->empty()) return *sel;
  return *vtpm::ParsePcrSelection("sha256:0-7");
}

bool PolicyQuotesPcr(const Policy& policy, uint32_t pcr) {
  if (pcr >= static_cast<uint32_t>(vtpm::kMaxPcrs)) return false;
  for (const auto& bank : QuoteSelection(policy)) {
    if (bank.pcrs.test(pcr)) return true;
  }
  return false;
}

absl::StatusOr<PolicySet> PolicySet::FromPolicies(
    std::vector<Policy> policies) {
  if (policies.empty()) return absl::InvalidArgumentError("no policy loaded");
  std::sort(
      policies.begin(), policies.end(),
      [](const Policy& a, const Policy& b) { return a.name() < b.name(); });
  for (size_t i = 1; i < policies.size(); ++i) {
    if (policies[i].name() == policies[i - 1].name()) {
      return absl::InvalidArgumentError(
          absl::StrCat("two policies are named '", policies[i].name(), "'"));
    }
  }
  PolicySet set;
  set.policies_ = std::move(policies);
  return set;
}

absl::StatusOr<PolicySet> PolicySet::LoadDirectory(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  }
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat("cannot list policy directory ", dir, ": ", ec.message()));
  }
  std::sort(files.begin(), files.end());
  std::vector<Policy> policies;
  for (const auto& f : files) {
    ASSIGN_OR_RETURN(Policy p, LoadPolicyFile(f));
    policies.push_back(std::move(p));
  }
  if (policies.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no *.json policy in ", dir));
  }
  return FromPolicies(std::move(policies));
}

absl::StatusOr<const Policy*> PolicySet::Select(
    const std::map<std::string, std::string>& labels) const {
  const Policy* best = nullptr;
  for (const auto& p : policies_) {
    bool match = std::all_of(
        p.match_labels().begin(), p.match_labels().end(), [&](const auto& kv) {
          auto it = labels.find(kv.first);
          return it != labels.end() && it->second == kv.second;
        });
    if (!match) continue;
    // policies_ is sorted by name, so the first of equal specificity wins.
    if (best == nullptr || p.match_labels_size() > best->match_labels_size()) {
      best = &p;
    }
  }
  if (best == nullptr) {
    std::vector<std::string> kv;
    for (const auto& [k, v] : labels) kv.push_back(k + "=" + v);
    return vtpm::ReasonError(vtpm_attest::v1::POLICY_NOT_FOUND,
                             absl::StrCat("no policy matches labels {",
                                          absl::StrJoin(kv, ", "), "}"));
  }
  return best;
}

const Policy* PolicySet::Find(const std::string& name) const {
  for (const auto& p : policies_) {
    if (p.name() == name) return &p;
  }
  return nullptr;
}

std::vector<TPMI_ALG_HASH> AcceptedBanks(const Policy& policy) {
  if (policy.accepted_banks().empty()) {
    return {TPM2_ALG_SHA256, TPM2_ALG_SHA384, TPM2_ALG_SHA512};
  }
  std::vector<TPMI_ALG_HASH> out;
  for (int h : policy.accepted_banks()) {
    out.push_back(
        vtpm::FromProto(static_cast<vtpm_attest::v1::HashAlgorithm>(h)));
  }
  return out;
}

bool BankAccepted(const Policy& policy, TPMI_ALG_HASH bank) {
  auto banks = AcceptedBanks(policy);
  return std::find(banks.begin(), banks.end(), bank) != banks.end();
}

bool PolicyNeedsEventLog(const Policy& policy) {
  // Every boot field is a rule on the log except the two that only widen
  // what the log may contain. Read by reflection, so that a boot rule added
  // later cannot forget to ask for its evidence (a rule without a log is
  // skipped: it would pass every VM).
  const auto& b = policy.boot();
  std::vector<const google::protobuf::FieldDescriptor*> set;
  b.GetReflection()->ListFields(b, &set);
  for (const auto* f : set) {
    if (f->number() ==
            vtpm_attest::v1::BootPolicy::kExtraEventTypesFieldNumber ||
        f->number() ==
            vtpm_attest::v1::BootPolicy::kOsExtendedPcrsFieldNumber) {
      continue;
    }
    return true;
  }
  return false;
}

std::vector<Reason> EvaluatePolicy(const Policy& policy,
                                   const PolicyInput& in) {
  std::vector<Reason> out;
  RuleReasons reasons(policy, &out);
  for (const PolicyRule& rule : PolicyRules()) rule.check(policy, in, reasons);
  return out;
}

}  // namespace vtpm::verifier
