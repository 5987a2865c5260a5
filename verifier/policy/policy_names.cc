#include "verifier/policy/policy_names.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/match.h"
#include "common/eventlog/event_log.h"

namespace vtpm::verifier {

bool IsKnownQuirk(absl::string_view name) {
  return std::find(kKnownQuirks.begin(), kKnownQuirks.end(), name) !=
         kKnownQuirks.end();
}

const std::vector<std::string>& KnownEventTypeNames() {
  static const std::vector<std::string>* const names = [] {
    auto* out = new std::vector<std::string>();
    // EventTypeName() spells unknown types "0x%08x": keep only the named
    // ones from both type ranges.
    for (uint32_t base : {0x0u, 0x80000000u}) {
      for (uint32_t t = base; t < base + 0x100; ++t) {
        std::string n = eventlog::EventTypeName(t);
        if (absl::StartsWith(n, "EV_")) out->push_back(std::move(n));
      }
    }
    std::sort(out->begin(), out->end());
    return out;
  }();
  return *names;
}

bool IsKnownEventTypeName(absl::string_view name) {
  const auto& names = KnownEventTypeNames();
  return std::binary_search(names.begin(), names.end(), name);
}

}  // namespace vtpm::verifier
