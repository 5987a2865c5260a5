#include "common/bootstate/extract_context.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/hex.h"
#include "common/tpm_alg.h"

namespace vtpm::bootstate::internal {

void ExtractContext::Note(std::string note) {
  auto* notes = state().mutable_notes();
  if (std::find(notes->begin(), notes->end(), note) != notes->end()) return;
  notes->Add(std::move(note));
}

void ExtractContext::Find(vtpm_attest::v1::ReasonCode code,
                          const eventlog::Event& e, absl::string_view message) {
  out_->findings.push_back(
      Finding{code, absl::StrCat(EventLabel(e), ": ", message), e.index});
}

void ExtractContext::NeedQuirk(const char* quirk, const eventlog::Event* e,
                               absl::string_view detail) {
  std::string where = e != nullptr ? EventLabel(*e) : "the log";
  if (options_.allowed_quirks.count(quirk) != 0) {
    auto* used = state().mutable_quirks_used();
    if (std::find(used->begin(), used->end(), quirk) == used->end()) {
      used->Add(quirk);
    }
    Note(absl::StrCat("quirk ", quirk, " (allowed) at ", where, ": ", detail));
    return;
  }
  out_->findings.push_back(
      Finding{vtpm_attest::v1::POLICY_QUIRK,
              absl::StrCat(where, " needs quirk \"", quirk,
                           "\", which the policy does not allow: ", detail),
              e != nullptr ? e->index : 0});
}

void ExtractContext::MarkRecomputed(const eventlog::Event& e) {
  recomputed_.insert(e.index);
}

bool ExtractContext::IsRecomputed(uint32_t event_index) const {
  return recomputed_.count(event_index) != 0;
}

bool ExtractContext::MeasuredOnce(const std::string& what,
                                  const eventlog::Event& e) {
  auto [it, first] = first_measured_.try_emplace(what, EventLabel(e));
  if (first) return true;
  Find(vtpm_attest::v1::EVENTLOG_REPEATED_MEASUREMENT, e,
       absl::StrCat(what, " is measured again (first by ", it->second,
                    "); a boot measures it once, so which one was in force "
                    "is unknown (an appended or reordered event)"));
  return false;
}

std::string EventLabel(const eventlog::Event& e) {
  return absl::StrFormat("event %d (PCR %d, %s)", e.index, e.pcr,
                         eventlog::EventTypeName(e.type));
}

void FillDigests(const eventlog::Event& e,
                 google::protobuf::Map<std::string, std::string>* out) {
  for (const auto& d : e.digests) {
    (*out)[HashAlgName(d.alg)] = HexEncode(d.digest);
  }
}

}  // namespace vtpm::bootstate::internal
