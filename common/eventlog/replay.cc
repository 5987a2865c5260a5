// Replay of a parsed event log and its match against quoted PCR values.
#include "common/eventlog/replay.h"

#include <openssl/evp.h>

#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/eventlog/malformed.h"
#include "common/hex.h"
#include "common/ossl.h"
#include "common/reason.h"
#include "common/status_macros.h"
#include "common/tpm_alg.h"

namespace vtpm::eventlog {
namespace {

using EvpMdPtr = std::unique_ptr<EVP_MD, OsslDeleter<EVP_MD_free>>;

// PCRs every extend of which before ExitBootServices is in the firmware log.
constexpr uint32_t kLastFirmwarePcr = 7;

// new = H(old || digest), reusing `ctx`.
absl::Status Extend(EVP_MD_CTX* ctx, const EVP_MD* md, std::string* pcr,
                    const std::string& digest) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestInit_ex2(ctx, md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx, pcr->data(), pcr->size()) != 1 ||
      EVP_DigestUpdate(ctx, digest.data(), digest.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, out, &len) != 1) {
    return OsslError("extending a PCR");
  }
  pcr->assign(reinterpret_cast<const char*>(out), len);
  return absl::OkStatus();
}

// The last event that extends each PCR.
std::map<uint32_t, const Event*> LastEvents(const ParsedLog& log) {
  std::map<uint32_t, const Event*> last;
  for (const Event& ev : log.events) {
    if (ev.type != EV_NO_ACTION) last[ev.pcr] = &ev;
  }
  return last;
}

bool CarriesBank(const ParsedLog& log, TPMI_ALG_HASH bank) {
  if (DigestSize(bank) == 0) return false;
  for (TPMI_ALG_HASH b : log.banks) {
    if (b == bank) return true;
  }
  return false;
}

}  // namespace

std::string InitialPcrValue(const ParsedLog& log, TPMI_ALG_HASH bank,
                            uint32_t pcr) {
  std::string value(DigestSize(bank), '\0');
  if (pcr == 0 && log.startup_locality.has_value() && !value.empty()) {
    value.back() = static_cast<char>(*log.startup_locality);
  }
  return value;
}

absl::StatusOr<vtpm::PcrValues> Replay(const ParsedLog& log) {
  vtpm::PcrValues out;
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return OsslError("EVP_MD_CTX_new");
  for (TPMI_ALG_HASH bank : log.banks) {
    if (out.count(bank)) continue;  // a hand-made log listing a bank twice
    auto legacy_md = EvpMdForTpmAlg(bank);
    if (!legacy_md.ok()) continue;  // unknown algorithm: carried, not replayed
    // An explicitly fetched digest: EVP_DigestInit_ex with EVP_sha256()
    // would look the implementation up again on every extend.
    EvpMdPtr md(EVP_MD_fetch(nullptr, EVP_MD_get0_name(*legacy_md), nullptr));
    if (md == nullptr) return OsslError("EVP_MD_fetch");
    const size_t size = DigestSize(bank);
    std::map<uint32_t, std::string>& values = out[bank];
    for (const Event& ev : log.events) {
      if (ev.type == EV_NO_ACTION) continue;
      if (ev.pcr >= static_cast<uint32_t>(kMaxPcrs)) {
        return internal::MalformedLogError(absl::StrCat(
            "event ", ev.index, " at offset ", ev.offset, ": PCR index ",
            ev.pcr, " (must be < ", kMaxPcrs, ")"));
      }
      const std::string* digest = ev.DigestFor(bank);
      if (digest == nullptr || digest->size() != size) {
        return internal::MalformedLogError(
            absl::StrCat("event ", ev.index, " at offset ", ev.offset, ": no ",
                         HashAlgName(bank), " digest of ", size, " bytes"));
      }
      auto [it, inserted] = values.try_emplace(ev.pcr);
      if (inserted) it->second = InitialPcrValue(log, bank, ev.pcr);
      RETURN_IF_ERROR(Extend(ctx.get(), md.get(), &it->second, *digest));
    }
  }
  return out;
}

absl::StatusOr<ReplayMatch> MatchQuotedPcrs(const ParsedLog& log,
                                            const vtpm::PcrValues& quoted) {
  ASSIGN_OR_RETURN(vtpm::PcrValues replayed, Replay(log));
  const std::map<uint32_t, const Event*> last = LastEvents(log);

  ReplayMatch match;
  std::vector<std::string> mismatches;
  for (const auto& [bank, quoted_values] : quoted) {
    if (!CarriesBank(log, bank)) continue;
    const std::map<uint32_t, std::string>& bank_values = replayed[bank];
    for (const auto& [pcr, value] : quoted_values) {
      auto it = bank_values.find(pcr);
      if (it != bank_values.end()) {
        if (value == it->second) {
          match.verified.emplace(bank, pcr);
          continue;
        }
        const Event* ev = last.at(pcr);
        mismatches.push_back(absl::StrCat(
            "PCR ", pcr, " (", HashAlgName(bank), "): quoted ",
            HexEncode(value), ", log replays to ", HexEncode(it->second),
            " (last event extended into it: event ", ev->index, " ",
            EventTypeName(ev->type), " at offset ", ev->offset, ")"));
        continue;
      }
      if (pcr > kLastFirmwarePcr) continue;
      std::string initial = InitialPcrValue(log, bank, pcr);
      if (value != initial) {
        mismatches.push_back(
            absl::StrCat("PCR ", pcr, " (", HashAlgName(bank), "): quoted ",
                         HexEncode(value),
                         ", but the log has no event for it (initial value ",
                         HexEncode(initial), ")"));
      }
    }
  }
  if (!mismatches.empty()) {
    return ReasonError(vtpm_attest::v1::EVENTLOG_REPLAY_MISMATCH,
                       absl::StrCat("event log replay mismatch: ",
                                    absl::StrJoin(mismatches, "; ")));
  }
  for (const auto& [pcr, ev] : last) {
    bool verified = false;
    for (const auto& [bank, p] : match.verified) {
      if (p == pcr) verified = true;
    }
    if (!verified) match.unverified_pcrs.insert(pcr);
  }
  return match;
}

}  // namespace vtpm::eventlog
