#include "common/bootstate/action_strings.h"

namespace vtpm::bootstate {
namespace {

constexpr KnownAction kKnownActions[] = {
    {4, kCallingEfiApplication},  {4, kReturningFromEfiApplication},
    {4, "Calling INT 19h"},       {4, "Returned INT 19h"},
    {4, "Return via INT 18h"},    {5, kExitBootServicesInvocation},
    {5, kExitBootServicesFailed}, {5, kExitBootServicesSucceeded},
    {7, kUefiDebugMode},          {7, kDmaProtectionDisabled},
};

}  // namespace

absl::Span<const KnownAction> KnownActions() { return kKnownActions; }

bool IsKnownAction(uint32_t pcr, absl::string_view data) {
  for (const KnownAction& a : kKnownActions) {
    if (a.pcr == pcr && a.text == data) return true;
  }
  return false;
}

}  // namespace vtpm::bootstate
