#include "common/bootstate/digest_check.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/bootstate/efi_variable.h"
#include "common/bootstate/wbcl.h"
#include "common/hex.h"
#include "common/tpm_alg.h"

namespace vtpm::bootstate {
namespace {

namespace ev = ::vtpm::eventlog;

constexpr absl::string_view kGrubPrefixes[] = {
    "grub_cmd: ", "kernel_cmdline: ", "module_cmdline: "};

absl::string_view StripTrailingNuls(absl::string_view s) {
  while (!s.empty() && s.back() == '\0') s.remove_suffix(1);
  return s;
}

bool IsSipaContainer(absl::string_view data) {
  if (data.size() < 4) return false;
  uint32_t id = 0;
  for (int i = 0; i < 4; ++i) {
    id |= static_cast<uint32_t>(static_cast<uint8_t>(data[i])) << (8 * i);
  }
  return (id & kSipaContainerMask) == kSipaContainer;
}

}  // namespace

bool IsWbclSeparator(const ev::Event& e) {
  return e.type == ev::EV_SEPARATOR && e.pcr >= 12 && e.pcr <= 14 &&
         e.data == "WBCL";
}

std::optional<DigestRule> DigestRuleFor(const ev::Event& e, bool windows_log) {
  switch (e.type) {
    case ev::EV_SEPARATOR:
    case ev::EV_ACTION:
    case ev::EV_EFI_ACTION:
    case ev::EV_S_CRTM_VERSION:
    case ev::EV_EFI_VARIABLE_DRIVER_CONFIG:
    case ev::EV_EFI_VARIABLE_AUTHORITY:
    case ev::EV_EFI_GPT_EVENT:
    case ev::EV_EFI_GPT_EVENT2:
      return DigestRule{"H(event data)", {e.data}};
    case ev::EV_EFI_VARIABLE_BOOT:
    case ev::EV_EFI_VARIABLE_BOOT2: {
      DigestRule rule{"H(event data) or H(VariableData)", {e.data}};
      auto var = ParseUefiVariableData(e.data);
      if (var.ok()) rule.inputs.emplace_back(var->data);
      return rule;
    }
    case ev::EV_IPL: {
      if (e.pcr != 8) return std::nullopt;
      absl::string_view s = StripTrailingNuls(e.data);
      for (absl::string_view prefix : kGrubPrefixes) {
        if (absl::StartsWith(s, prefix)) {
          return DigestRule{absl::StrCat("H(string after \"", prefix, "\")"),
                            {std::string(s.substr(prefix.size()))}};
        }
      }
      return std::nullopt;
    }
    case ev::EV_EVENT_TAG:
      if ((e.pcr == 12 && (windows_log || IsSipaContainer(e.data))) ||
          e.pcr == 13 || e.pcr == 14) {
        return DigestRule{"H(event data)", {e.data}};
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

DigestComparison CompareDigests(const ev::Event& e,
                                const std::vector<std::string>& inputs) {
  DigestComparison out;
  // input_ok[i]: inputs[i] hashed to the digest in every bank so far.
  std::vector<bool> input_ok(inputs.size(), true);
  std::string first_mismatch;
  for (const ev::EventDigest& d : e.digests) {
    if (!EvpMdForTpmAlg(d.alg).ok()) {
      out.skipped_banks.push_back(d.alg);
      continue;
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!input_ok[i]) continue;
      auto h = Hash(d.alg, inputs[i]);
      if (!h.ok() || *h != d.digest) {
        input_ok[i] = false;
        if (first_mismatch.empty()) {
          first_mismatch = absl::StrCat(
              HashAlgName(d.alg), " digest ", HexEncode(d.digest),
              " but the hash of the data is ", h.ok() ? HexEncode(*h) : "?");
        }
      }
    }
  }
  for (bool ok : input_ok) out.match |= ok;
  if (!out.match) out.detail = first_mismatch;
  return out;
}

bool DigestsRecomputedFrom(const ev::Event& e,
                           const std::vector<std::string>& inputs) {
  DigestComparison c = CompareDigests(e, inputs);
  return c.match && c.skipped_banks.size() < e.digests.size();
}

}  // namespace vtpm::bootstate
