#include "common/tpm2tools/pcr_file.h"

#include <tss2/tss2_tpm2_types.h>

#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/tpm_alg.h"

namespace vtpm::tpm2tools {
namespace {

// Layout constants of the serialized form (see the header).
constexpr size_t kMaxBanks = 16;         // TPM2_NUM_PCR_BANKS
constexpr size_t kPcrSelectionSlot = 8;  // sizeof(TPMS_PCR_SELECTION)
constexpr size_t kPcrSelectMax = 4;      // TPM2_PCR_SELECT_MAX
constexpr size_t kDigestsPerList = 8;    // TPML_DIGEST.digests
constexpr size_t kDigestSlot = 66;       // sizeof(TPM2B_DIGEST)
constexpr size_t kDigestBufferMax = 64;  // sizeof(TPMU_HA)

// The layout is tpm2-tools' C structures; keep the constants honest.
static_assert(TPM2_NUM_PCR_BANKS == kMaxBanks);
static_assert(TPM2_PCR_SELECT_MAX == kPcrSelectMax);
static_assert(sizeof(TPMS_PCR_SELECTION) == kPcrSelectionSlot);
static_assert(sizeof(TPML_PCR_SELECTION) == kSerializedSelectionSize);
static_assert(sizeof(TPM2B_DIGEST) == kDigestSlot);
static_assert(sizeof(TPML_DIGEST) == kSerializedDigestListSize);
static_assert(4 + kMaxBanks * kPcrSelectionSlot == kSerializedSelectionSize);
static_assert(4 + kDigestsPerList * kDigestSlot == kSerializedDigestListSize);

uint16_t Le16(absl::string_view b, size_t off) {
  return static_cast<uint16_t>(static_cast<uint8_t>(b[off]) |
                               static_cast<uint8_t>(b[off + 1]) << 8);
}

uint32_t Le32(absl::string_view b, size_t off) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[off])) |
         static_cast<uint32_t>(static_cast<uint8_t>(b[off + 1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[off + 2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[off + 3])) << 24;
}

void PutLe16(std::string& b, size_t off, uint16_t v) {
  b[off] = static_cast<char>(v & 0xff);
  b[off + 1] = static_cast<char>(v >> 8);
}

void PutLe32(std::string& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<char>(v >> (8 * i));
}

// Fails unless b[off, off+len) is all zero.
absl::Status ExpectZero(absl::string_view b, size_t off, size_t len,
                        absl::string_view what) {
  for (size_t i = 0; i < len; ++i) {
    if (b[off + i] != 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("PCR file: %s has non-zero byte 0x%02x at offset %d",
                          what, static_cast<uint8_t>(b[off + i]), off + i));
    }
  }
  return absl::OkStatus();
}

// Checks that a selection has known, distinct banks, PCRs < 24 and at least
// one PCR, and returns the number of selected PCRs.
absl::StatusOr<size_t> CheckSelection(const PcrSelection& selection) {
  if (selection.empty()) {
    return absl::InvalidArgumentError("PCR selection is empty");
  }
  if (selection.size() > kMaxBanks) {
    return absl::InvalidArgumentError(
        absl::StrCat("PCR selection has ", selection.size(), " banks (max ",
                     kMaxBanks, ")"));
  }
  size_t total = 0;
  for (size_t i = 0; i < selection.size(); ++i) {
    if (DigestSize(selection[i].hash) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "PCR selection names unknown bank ", HashAlgName(selection[i].hash)));
    }
    for (size_t j = 0; j < i; ++j) {
      if (selection[j].hash == selection[i].hash) {
        return absl::InvalidArgumentError(
            absl::StrCat("PCR selection names bank ",
                         HashAlgName(selection[i].hash), " twice"));
      }
    }
    total += selection[i].pcrs.count();
  }
  if (total == 0) {
    return absl::InvalidArgumentError("PCR selection selects no PCR");
  }
  return total;
}

// Parses the TPML_PCR_SELECTION at the start of the serialized form.
absl::StatusOr<PcrSelection> ParseSelection(absl::string_view b) {
  uint32_t count = Le32(b, 0);
  if (count == 0 || count > kMaxBanks) {
    return absl::InvalidArgumentError(
        absl::StrFormat("PCR file: selection count %d at offset 0 (want 1..%d)",
                        count, kMaxBanks));
  }
  PcrSelection selection;
  for (size_t i = 0; i < kMaxBanks; ++i) {
    size_t off = 4 + i * kPcrSelectionSlot;
    if (i >= count) {
      auto zero = ExpectZero(b, off, kPcrSelectionSlot, "unused selection");
      if (!zero.ok()) return zero;
      continue;
    }
    PcrBankSelection bank{Le16(b, off), {}};
    uint8_t size_of_select = static_cast<uint8_t>(b[off + 2]);
    if (size_of_select > kPcrSelectMax) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "PCR file: bank %d sizeofSelect %d at offset %d (max %d)", i,
          size_of_select, off + 2, kPcrSelectMax));
    }
    for (size_t byte = 0; byte < size_of_select; ++byte) {
      uint8_t bits = static_cast<uint8_t>(b[off + 3 + byte]);
      for (int bit = 0; bit < 8; ++bit) {
        if (!(bits & (1u << bit))) continue;
        size_t pcr = byte * 8 + bit;
        if (pcr >= static_cast<size_t>(kMaxPcrs)) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "PCR file: bank %d selects PCR %d (only 0-23 exist)", i, pcr));
        }
        bank.pcrs.set(pcr);
      }
    }
    auto zero =
        ExpectZero(b, off + 3 + size_of_select,
                   kPcrSelectionSlot - 3 - size_of_select, "selection padding");
    if (!zero.ok()) return zero;
    selection.push_back(bank);
  }
  auto checked = CheckSelection(selection);
  if (!checked.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("PCR file: ", checked.status().message()));
  }
  return selection;
}

// The selected PCRs in selection order as (bank, index) pairs.
std::vector<std::pair<TPMI_ALG_HASH, uint32_t>> SelectionOrder(
    const PcrSelection& selection) {
  std::vector<std::pair<TPMI_ALG_HASH, uint32_t>> order;
  for (const auto& bank : selection) {
    for (int i = 0; i < kMaxPcrs; ++i) {
      if (bank.pcrs.test(i)) order.emplace_back(bank.hash, i);
    }
  }
  return order;
}

}  // namespace

absl::StatusOr<std::pair<PcrSelection, PcrValues>> ParseSerializedPcrs(
    absl::string_view file) {
  if (file.size() < kSerializedHeadSize) {
    return absl::InvalidArgumentError(
        absl::StrFormat("PCR file is %d bytes, shorter than its %d-byte head",
                        file.size(), kSerializedHeadSize));
  }
  auto selection = ParseSelection(file);
  if (!selection.ok()) return selection.status();
  auto order = SelectionOrder(*selection);

  uint32_t lists = Le32(file, kSerializedSelectionSize);
  if (lists == 0 || lists > kMaxSerializedDigestLists) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "PCR file: digest list count %d at offset %d (want 1..%d)", lists,
        kSerializedSelectionSize, kMaxSerializedDigestLists));
  }
  size_t want_size = kSerializedHeadSize + lists * kSerializedDigestListSize;
  if (file.size() != want_size) {
    return absl::InvalidArgumentError(
        absl::StrFormat("PCR file is %d bytes; %d digest lists make %d",
                        file.size(), lists, want_size));
  }

  PcrValues values;
  size_t next = 0;  // index into `order`
  for (size_t l = 0; l < lists; ++l) {
    size_t list_off = kSerializedHeadSize + l * kSerializedDigestListSize;
    uint32_t count = Le32(file, list_off);
    if (count == 0 || count > kDigestsPerList) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "PCR file: digest list %d count %d at offset %d (want 1..%d)", l,
          count, list_off, kDigestsPerList));
    }
    for (size_t d = 0; d < kDigestsPerList; ++d) {
      size_t off = list_off + 4 + d * kDigestSlot;
      if (d >= count) {
        auto zero = ExpectZero(file, off, kDigestSlot, "unused digest slot");
        if (!zero.ok()) return zero;
        continue;
      }
      if (next >= order.size()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "PCR file holds more digests than the %d selected PCRs",
            order.size()));
      }
      auto [hash, pcr] = order[next++];
      size_t want = DigestSize(hash);
      uint16_t size = Le16(file, off);
      if (size != want) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "PCR file: %s PCR %d digest is %d bytes at offset %d, want %d",
            HashAlgName(hash), pcr, size, off, want));
      }
      auto zero = ExpectZero(file, off + 2 + size, kDigestBufferMax - size,
                             "digest padding");
      if (!zero.ok()) return zero;
      values[hash][pcr] = std::string(file.substr(off + 2, size));
    }
  }
  if (next != order.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "PCR file holds %d digests for %d selected PCRs", next, order.size()));
  }
  return std::make_pair(*std::move(selection), std::move(values));
}

absl::StatusOr<std::string> SerializePcrs(const PcrSelection& selection,
                                          const PcrValues& values) {
  auto total = CheckSelection(selection);
  if (!total.ok()) return total.status();
  auto order = SelectionOrder(selection);

  // `values` must hold exactly the selected PCRs.
  size_t held = 0;
  for (const auto& [hash, pcrs] : values) held += pcrs.size();
  if (held != order.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%d PCR values given for %d selected PCRs", held, order.size()));
  }

  size_t lists = (order.size() + kDigestsPerList - 1) / kDigestsPerList;
  if (lists > kMaxSerializedDigestLists) {
    return absl::InvalidArgumentError(
        absl::StrCat("too many PCRs selected: ", order.size()));
  }
  std::string out(kSerializedHeadSize + lists * kSerializedDigestListSize,
                  '\0');
  PutLe32(out, 0, static_cast<uint32_t>(selection.size()));
  for (size_t i = 0; i < selection.size(); ++i) {
    size_t off = 4 + i * kPcrSelectionSlot;
    PutLe16(out, off, selection[i].hash);
    out[off + 2] = 3;  // sizeofSelect, as tpm2-tools writes it
    for (int p = 0; p < kMaxPcrs; ++p) {
      if (selection[i].pcrs.test(p)) {
        out[off + 3 + p / 8] = static_cast<char>(
            static_cast<uint8_t>(out[off + 3 + p / 8]) | (1u << (p % 8)));
      }
    }
  }
  PutLe32(out, kSerializedSelectionSize, static_cast<uint32_t>(lists));
  for (size_t n = 0; n < order.size(); ++n) {
    auto [hash, pcr] = order[n];
    auto bank = values.find(hash);
    if (bank == values.end() || !bank->second.count(pcr)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "no value for selected PCR ", HashAlgName(hash), ":", pcr));
    }
    const std::string& digest = bank->second.at(pcr);
    if (digest.size() != DigestSize(hash)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s PCR %d value is %d bytes, want %d", HashAlgName(hash), pcr,
          digest.size(), DigestSize(hash)));
    }
    size_t list_off =
        kSerializedHeadSize + (n / kDigestsPerList) * kSerializedDigestListSize;
    size_t in_list = n % kDigestsPerList;
    PutLe32(out, list_off,
            static_cast<uint32_t>(
                std::min(kDigestsPerList, order.size() - (n - in_list))));
    size_t off = list_off + 4 + in_list * kDigestSlot;
    PutLe16(out, off, static_cast<uint16_t>(digest.size()));
    memcpy(&out[off + 2], digest.data(), digest.size());
  }
  return out;
}

absl::StatusOr<PcrValues> ParseRawPcrValues(absl::string_view file,
                                            const PcrSelection& selection) {
  auto total = CheckSelection(selection);
  if (!total.ok()) return total.status();
  auto order = SelectionOrder(selection);
  size_t want = 0;
  for (const auto& [hash, pcr] : order) want += DigestSize(hash);
  if (file.size() != want) {
    return absl::InvalidArgumentError(
        absl::StrFormat("PCR values file is %d bytes; selection %s needs %d",
                        file.size(), PcrSelectionToString(selection), want));
  }
  PcrValues values;
  size_t off = 0;
  for (const auto& [hash, pcr] : order) {
    size_t size = DigestSize(hash);
    values[hash][pcr] = std::string(file.substr(off, size));
    off += size;
  }
  return values;
}

}  // namespace vtpm::tpm2tools
