#include "common/bootstate/accounting.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace vtpm::bootstate {
namespace {

namespace v1 = ::vtpm_attest::v1;

std::string Sha256(const v1::EventSummary& e) {
  auto it = e.digests().find("sha256");
  return it == e.digests().end() ? std::string()
                                 : absl::AsciiStrToLower(it->second);
}

bool PcrVerified(const v1::BootState& state, uint32_t pcr) {
  const std::string key = std::to_string(pcr);
  for (const auto& [bank, values] : state.pcrs()) {
    if (values.values().count(key) != 0) return true;
  }
  return false;
}

}  // namespace

std::set<uint32_t> UkiSectionEvents(const v1::BootState& state) {
  std::set<uint32_t> out;
  for (const auto& s : state.uki_sections()) out.insert(s.event_index());
  return out;
}

std::vector<UnaccountedEvent> UnaccountedEvents(const v1::BootState& state,
                                                const AccountingScope& scope) {
  std::vector<UnaccountedEvent> out;
  const std::set<uint32_t> uki = UkiSectionEvents(state);
  std::set<uint32_t> pcrs_with_events;
  for (const auto& e : state.events()) {
    if (scope.pcrs.count(e.pcr()) == 0) continue;
    pcrs_with_events.insert(e.pcr());
    if (e.digest_basis() == v1::DIGEST_BASIS_RECOMPUTED) continue;
    if (scope.judged_events.count(e.index()) != 0) continue;
    if (e.pcr() == 11 && uki.count(e.index()) != 0) continue;
    std::string sha256 = Sha256(e);
    if (!sha256.empty() && scope.allowed_sha256.count(sha256) != 0) continue;
    UnaccountedEvent u;
    u.event = &e;
    u.pcr = e.pcr();
    u.sha256 = sha256;
    u.label = absl::StrCat("event ", e.index(), " (PCR ", e.pcr(), ", ",
                           e.type_name(),
                           sha256.empty() ? ", no sha256 digest"
                                          : absl::StrCat(", sha256 ", sha256),
                           ")");
    out.push_back(std::move(u));
  }
  for (uint32_t pcr : scope.pcrs) {
    if (pcrs_with_events.count(pcr) != 0 || !PcrVerified(state, pcr)) continue;
    UnaccountedEvent u;
    u.pcr = pcr;
    u.label = absl::StrCat("PCR ", pcr);
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace vtpm::bootstate
