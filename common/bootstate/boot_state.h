// Boot state from a verified TCG event log: what firmware, Secure Boot
// databases, boot applications, kernel and command line the boot used.
// Only events in PCRs that replayed to quoted values are used.
#ifndef VTPM_COMMON_BOOTSTATE_BOOT_STATE_H_
#define VTPM_COMMON_BOOTSTATE_BOOT_STATE_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/eventlog/event_log.h"
#include "common/eventlog/replay.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::bootstate {

struct ExtractOptions {
  // Quirks (see quirks.h) the policy allows; others are findings.
  std::set<std::string> allowed_quirks;
  // Event types allowed in PCRs 0-9 beyond the TCG PC Client defaults
  // (names as EventTypeName gives them).
  std::set<std::string> extra_event_types;
  // Put decoded events in BootState.events.
  bool include_events = true;
};

// Something wrong with the log that is not a parse error: an event whose
// data does not hash to its digest (EVENTLOG_DIGEST_MISMATCH), an event
// type that does not belong in its PCR (EVENTLOG_UNEXPECTED_EVENT), a
// quirk the log needs but the policy does not allow (POLICY_QUIRK).
struct Finding {
  vtpm_attest::v1::ReasonCode code;
  std::string message;  // names the event (index, PCR, type)
  uint32_t event_index;
};

struct Extraction {
  vtpm_attest::v1::BootState state;
  std::vector<Finding> findings;
};

// Extracts the boot state from the events of `log` whose (bank, PCR) is in
// `match.verified`. Fails only on internal errors; everything wrong with
// the log's content is a Finding.
absl::StatusOr<Extraction> ExtractBootState(const eventlog::ParsedLog& log,
                                            const eventlog::ReplayMatch& match,
                                            const ExtractOptions& options);

}  // namespace vtpm::bootstate

#endif  // VTPM_COMMON_BOOTSTATE_BOOT_STATE_H_
