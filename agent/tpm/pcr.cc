#include "agent/tpm/pcr.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "common/tpm_alg.h"

namespace vtpm::agent {
namespace {

constexpr int kMaxReadAttempts = 5;

bool Selected(const TPMS_PCR_SELECTION& s, int pcr) {
  return pcr / 8 < s.sizeofSelect && pcr / 8 < TPM2_PCR_SELECT_MAX &&
         (s.pcrSelect[pcr / 8] & (1u << (pcr % 8))) != 0;
}

bool AnySelected(const TPML_PCR_SELECTION& t) {
  for (uint32_t i = 0; i < t.count && i < TPM2_NUM_PCR_BANKS; ++i) {
    for (int p = 0; p < kMaxPcrs; ++p) {
      if (Selected(t.pcrSelections[i], p)) return true;
    }
  }
  return false;
}

absl::Status CheckSelection(const PcrSelection& sel) {
  if (sel.empty()) return absl::InvalidArgumentError("empty PCR selection");
  if (sel.size() > TPM2_NUM_PCR_BANKS) {
    return absl::InvalidArgumentError("too many PCR banks");
  }
  for (size_t i = 0; i < sel.size(); ++i) {
    const auto& bank = sel[i];
    for (size_t j = 0; j < i; ++j) {
      if (sel[j].hash == bank.hash) {
        return absl::InvalidArgumentError(absl::StrCat(
            "PCR bank ", HashAlgName(bank.hash), " selected twice"));
      }
    }
    if (DigestSize(bank.hash) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown PCR bank ", HashAlgName(bank.hash)));
    }
  }
  return absl::OkStatus();
}

enum class ReadOutcome { kDone, kCounterChanged };

// One attempt: reads until everything is read or the counter moves.
absl::StatusOr<ReadOutcome> ReadOnce(TpmContext& ctx, const PcrSelection& sel,
                                     PcrValues& values) {
  values.clear();
  TPML_PCR_SELECTION remaining = ToTpml(sel);
  bool first = true;
  UINT32 counter0 = 0;
  while (AnySelected(remaining)) {
    UINT32 counter = 0;
    TPML_PCR_SELECTION* raw_out = nullptr;
    TPML_DIGEST* raw_digests = nullptr;
    absl::Status st = RetryTpm("TPM2_PCR_Read", [&] {
      Esys_Free(raw_out);
      Esys_Free(raw_digests);
      raw_out = nullptr;
      raw_digests = nullptr;
      return Esys_PCR_Read(ctx.esys(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                           &remaining, &counter, &raw_out, &raw_digests);
    });
    EsysPtr<TPML_PCR_SELECTION> out(raw_out);
    EsysPtr<TPML_DIGEST> digests(raw_digests);
    RETURN_IF_ERROR(st);
    if (first) {
      counter0 = counter;
      first = false;
    } else if (counter != counter0) {
      return ReadOutcome::kCounterChanged;
    }
    if (!AnySelected(*out)) {
      std::string missing;
      for (uint32_t i = 0; i < remaining.count; ++i) {
        std::bitset<kMaxPcrs> bits;
        for (int p = 0; p < kMaxPcrs; ++p) {
          bits.set(p, Selected(remaining.pcrSelections[i], p));
        }
        if (bits.none()) continue;
        absl::StrAppend(
            &missing, missing.empty() ? "" : "+",
            PcrSelectionToString({{remaining.pcrSelections[i].hash, bits}}));
      }
      return absl::FailedPreconditionError(
          absl::StrCat("the TPM returned no value for PCRs ", missing,
                       " (is the bank allocated? see tpm2_pcrallocate)"));
    }
    uint32_t next = 0;
    for (uint32_t i = 0; i < out->count && i < TPM2_NUM_PCR_BANKS; ++i) {
      const TPMS_PCR_SELECTION& got = out->pcrSelections[i];
      TPMS_PCR_SELECTION* want = nullptr;
      for (uint32_t j = 0; j < remaining.count; ++j) {
        if (remaining.pcrSelections[j].hash == got.hash) {
          want = &remaining.pcrSelections[j];
        }
      }
      for (int p = 0; p < kMaxPcrs; ++p) {
        if (!Selected(got, p)) continue;
        if (want == nullptr || !Selected(*want, p)) {
          return absl::InternalError(absl::StrFormat(
              "TPM2_PCR_Read returned %s PCR %d, which was not asked for",
              HashAlgName(got.hash), p));
        }
        if (next >= digests->count) {
          return absl::InternalError(
              "TPM2_PCR_Read returned fewer digests than PCRs selected");
        }
        const TPM2B_DIGEST& d = digests->digests[next++];
        if (d.size != DigestSize(got.hash)) {
          return absl::InternalError(absl::StrFormat(
              "TPM2_PCR_Read returned a %d-byte digest for %s PCR %d", d.size,
              HashAlgName(got.hash), p));
        }
        values[got.hash][p] =
            std::string(reinterpret_cast<const char*>(d.buffer), d.size);
        want->pcrSelect[p / 8] &= ~(1u << (p % 8));
      }
    }
    if (next != digests->count) {
      return absl::InternalError(
          "TPM2_PCR_Read returned more digests than PCRs selected");
    }
  }
  return ReadOutcome::kDone;
}

}  // namespace

absl::StatusOr<PcrValues> ReadPcrs(TpmContext& ctx, const PcrSelection& sel) {
  RETURN_IF_ERROR(CheckSelection(sel));
  PcrValues values;
  for (int attempt = 0; attempt < kMaxReadAttempts; ++attempt) {
    ASSIGN_OR_RETURN(ReadOutcome outcome, ReadOnce(ctx, sel, values));
    if (outcome == ReadOutcome::kDone) return values;
  }
  return absl::AbortedError(absl::StrCat("PCRs ", PcrSelectionToString(sel),
                                         " kept changing while being read (",
                                         kMaxReadAttempts, " attempts)"));
}

absl::Status ExtendPcr(TpmContext& ctx, uint32_t pcr, TPMI_ALG_HASH bank,
                       absl::string_view digest) {
  if (pcr >= static_cast<uint32_t>(kMaxPcrs)) {
    return absl::InvalidArgumentError(absl::StrCat("no PCR ", pcr));
  }
  size_t size = DigestSize(bank);
  if (size == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown PCR bank ", HashAlgName(bank)));
  }
  if (digest.size() != size) {
    return absl::InvalidArgumentError(
        absl::StrFormat("a %s extend needs a %d-byte digest, got %d bytes",
                        HashAlgName(bank), size, digest.size()));
  }
  TPML_DIGEST_VALUES values = {};
  values.count = 1;
  values.digests[0].hashAlg = bank;
  memcpy(&values.digests[0].digest, digest.data(), size);
  return RetryTpm(
      absl::StrFormat("TPM2_PCR_Extend(%s PCR %d)", HashAlgName(bank), pcr),
      [&] {
        return Esys_PCR_Extend(ctx.esys(), ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD,
                               ESYS_TR_NONE, ESYS_TR_NONE, &values);
      });
}

}  // namespace vtpm::agent
