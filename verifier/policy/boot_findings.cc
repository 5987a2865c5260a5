// FindingsToReasons and ExtractOptionsForPolicy (boot_evidence.h); kept
// apart from VerifyEventLog so linking them does not pull in the parser.
#include "verifier/policy/boot_evidence.h"

namespace vtpm::verifier {

std::vector<vtpm_attest::v1::Reason> FindingsToReasons(
    const std::vector<bootstate::Finding>& findings) {
  std::vector<vtpm_attest::v1::Reason> out;
  out.reserve(findings.size());
  for (const auto& f : findings) {
    vtpm_attest::v1::Reason r;
    r.set_code(f.code);
    r.set_message(f.message);
    out.push_back(std::move(r));
  }
  return out;
}

bootstate::ExtractOptions ExtractOptionsForPolicy(const Policy& policy) {
  bootstate::ExtractOptions o;
  o.allowed_quirks.insert(policy.allowed_quirks().begin(),
                          policy.allowed_quirks().end());
  o.extra_event_types.insert(policy.boot().extra_event_types().begin(),
                             policy.boot().extra_event_types().end());
  o.os_extended_pcrs.insert(policy.boot().os_extended_pcrs().begin(),
                            policy.boot().os_extended_pcrs().end());
  // The allowlist rules account for every verified event through them.
  o.include_events = true;
  return o;
}

}  // namespace vtpm::verifier
