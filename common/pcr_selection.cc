#include "common/pcr_selection.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/tpm_alg.h"

namespace vtpm {
namespace {

absl::StatusOr<uint32_t> ParsePcrIndex(absl::string_view s) {
  uint32_t v;
  if (!absl::SimpleAtoi(s, &v) || v >= kMaxPcrs) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid PCR index '", s, "' (want 0-23)"));
  }
  return v;
}

}  // namespace

absl::StatusOr<PcrSelection> ParsePcrSelection(absl::string_view text) {
  PcrSelection sel;
  if (text.empty()) return absl::InvalidArgumentError("empty PCR selection");
  for (absl::string_view bank : absl::StrSplit(text, '+')) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(bank, absl::MaxSplits(':', 1));
    auto hash = HashAlgFromName(kv.first);
    if (!hash.ok()) return hash.status();
    for (const auto& b : sel) {
      if (b.hash == *hash) {
        return absl::InvalidArgumentError(
            absl::StrCat("bank ", kv.first, " selected twice"));
      }
    }
    PcrBankSelection b{*hash, {}};
    if (kv.second.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("bank ", kv.first, " has no PCRs"));
    }
    for (absl::string_view item : absl::StrSplit(kv.second, ',')) {
      std::pair<absl::string_view, absl::string_view> range =
          absl::StrSplit(item, absl::MaxSplits('-', 1));
      auto lo = ParsePcrIndex(range.first);
      if (!lo.ok()) return lo.status();
      uint32_t hi_v = *lo;
      if (!range.second.empty()) {
        auto hi = ParsePcrIndex(range.second);
        if (!hi.ok()) return hi.status();
        hi_v = *hi;
      }
      if (hi_v < *lo) {
        return absl::InvalidArgumentError(
            absl::StrCat("descending PCR range '", item, "'"));
      }
      for (uint32_t i = *lo; i <= hi_v; ++i) b.pcrs.set(i);
    }
    sel.push_back(b);
  }
  return sel;
}

std::string PcrSelectionToString(const PcrSelection& sel) {
  std::vector<std::string> banks;
  for (const auto& b : sel) {
    std::vector<std::string> items;
    for (int i = 0; i < kMaxPcrs;) {
      if (!b.pcrs.test(i)) {
        ++i;
        continue;
      }
      int j = i;
      while (j + 1 < kMaxPcrs && b.pcrs.test(j + 1)) ++j;
      items.push_back(i == j ? absl::StrCat(i) : absl::StrCat(i, "-", j));
      i = j + 1;
    }
    banks.push_back(
        absl::StrCat(HashAlgName(b.hash), ":", absl::StrJoin(items, ",")));
  }
  return absl::StrJoin(banks, "+");
}

TPML_PCR_SELECTION ToTpml(const PcrSelection& sel) {
  TPML_PCR_SELECTION t = {};
  t.count = static_cast<UINT32>(sel.size());
  for (size_t i = 0; i < sel.size() && i < TPM2_NUM_PCR_BANKS; ++i) {
    auto& s = t.pcrSelections[i];
    s.hash = sel[i].hash;
    s.sizeofSelect = 3;
    for (int p = 0; p < kMaxPcrs; ++p) {
      if (sel[i].pcrs.test(p)) s.pcrSelect[p / 8] |= (1u << (p % 8));
    }
  }
  return t;
}

absl::StatusOr<PcrSelection> FromTpml(const TPML_PCR_SELECTION& t) {
  if (t.count > TPM2_NUM_PCR_BANKS) {
    return absl::InvalidArgumentError(
        absl::StrCat("PCR selection has ", t.count, " banks"));
  }
  PcrSelection sel;
  for (UINT32 i = 0; i < t.count; ++i) {
    const auto& s = t.pcrSelections[i];
    if (s.sizeofSelect > sizeof(s.pcrSelect)) {
      return absl::InvalidArgumentError("PCR selection sizeofSelect too big");
    }
    PcrBankSelection b{s.hash, {}};
    for (int byte = 0; byte < s.sizeofSelect; ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        if (!(s.pcrSelect[byte] & (1u << bit))) continue;
        int p = byte * 8 + bit;
        if (p >= kMaxPcrs) {
          return absl::InvalidArgumentError(
              absl::StrCat("PCR ", p, " selected; only 0-23 exist"));
        }
        b.pcrs.set(p);
      }
    }
    for (const auto& prev : sel) {
      if (prev.hash == b.hash) {
        return absl::InvalidArgumentError(absl::StrCat(
            "bank ", HashAlgName(b.hash), " appears twice in selection"));
      }
    }
    sel.push_back(b);
  }
  return sel;
}

void ToProto(
    const PcrSelection& sel,
    google::protobuf::RepeatedPtrField<vtpm_attest::v1::PcrSelection>* out) {
  out->Clear();
  for (const auto& b : sel) {
    auto* p = out->Add();
    p->set_hash(ToProto(b.hash));
    for (int i = 0; i < kMaxPcrs; ++i) {
      if (b.pcrs.test(i)) p->add_pcrs(i);
    }
  }
}

absl::StatusOr<PcrSelection> FromProto(
    const google::protobuf::RepeatedPtrField<vtpm_attest::v1::PcrSelection>&
        in) {
  PcrSelection sel;
  for (const auto& p : in) {
    TPMI_ALG_HASH h = FromProto(p.hash());
    if (DigestSize(h) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown PCR bank ", HashAlgName(h)));
    }
    for (const auto& prev : sel) {
      if (prev.hash == h) {
        return absl::InvalidArgumentError(
            absl::StrCat("bank ", HashAlgName(h), " selected twice"));
      }
    }
    PcrBankSelection b{h, {}};
    for (uint32_t i : p.pcrs()) {
      if (i >= kMaxPcrs) {
        return absl::InvalidArgumentError(
            absl::StrCat("PCR ", i, " selected; only 0-23 exist"));
      }
      b.pcrs.set(i);
    }
    sel.push_back(b);
  }
  return sel;
}

void PcrValuesToProto(
    const PcrValues& values,
    google::protobuf::RepeatedPtrField<vtpm_attest::v1::PcrBankValues>* out) {
  out->Clear();
  for (const auto& [hash, pcrs] : values) {
    auto* bank = out->Add();
    bank->set_hash(ToProto(hash));
    for (const auto& [index, value] : pcrs) {
      (*bank->mutable_values())[index] = value;
    }
  }
}

absl::StatusOr<PcrValues> PcrValuesFromProto(
    const google::protobuf::RepeatedPtrField<vtpm_attest::v1::PcrBankValues>&
        in) {
  PcrValues values;
  for (const auto& bank : in) {
    TPMI_ALG_HASH h = FromProto(bank.hash());
    size_t size = DigestSize(h);
    if (size == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown PCR bank ", HashAlgName(h)));
    }
    if (values.count(h)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bank ", HashAlgName(h), " sent twice"));
    }
    auto& dst = values[h];
    for (const auto& [index, value] : bank.values()) {
      if (index >= static_cast<uint32_t>(kMaxPcrs)) {
        return absl::InvalidArgumentError(
            absl::StrCat("PCR index ", index, " out of range"));
      }
      if (value.size() != size) {
        return absl::InvalidArgumentError(
            absl::StrFormat("%s PCR %d value is %d bytes, want %d",
                            HashAlgName(h), index, value.size(), size));
      }
      dst[index] = value;
    }
  }
  return values;
}

absl::StatusOr<std::string> ComputePcrDigest(const PcrSelection& sel,
                                             const PcrValues& values,
                                             TPMI_ALG_HASH hash) {
  std::string concat;
  for (const auto& b : sel) {
    auto bank = values.find(b.hash);
    for (int i = 0; i < kMaxPcrs; ++i) {
      if (!b.pcrs.test(i)) continue;
      if (bank == values.end() || !bank->second.count(i)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "no value for selected PCR ", HashAlgName(b.hash), ":", i));
      }
      concat += bank->second.at(i);
    }
  }
  return Hash(hash, concat);
}

}  // namespace vtpm
