// Test utility: a real event log edited the way a guest-root attacker can
// edit it. Event types and data are not measured, so they can be changed
// at will while the digests stay (replay still matches); events can be
// added wherever in the log, with PCR values that include them (what the
// TPM holds after root extended those PCRs), or moved (log position
// across PCRs is not measured either).
//
// Library target: vtpm_eventlog_builder.
#ifndef VTPM_TESTS_EVENTLOG_LOG_EDIT_H_
#define VTPM_TESTS_EVENTLOG_LOG_EDIT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/eventlog/event_log.h"
#include "common/pcr_selection.h"

namespace vtpm::testing {

struct EditedLog {
  std::string bytes;     // the log as the agent would send it
  vtpm::PcrValues pcrs;  // what it replays to (every PCR it extends)
  eventlog::ParsedLog parsed;
};

// `log`'s events (EV_NO_ACTION ones included, in order) after `edit`
// changed them (types, data, order, new events; Event.index and offset
// are ignored), rebuilt with each event's digests as they are (an event
// without a digest for a bank gets H_bank(data)), parsed back and
// replayed. Fails the calling test (gtest) if the result does not parse.
EditedLog EditLog(
    const eventlog::ParsedLog& log,
    const std::function<void(std::vector<eventlog::Event>&)>& edit);

// An event to insert: digests H(data) in every bank of `log`, or, when
// `digest_data` is given, H(digest_data) (a digest that covers something
// other than the event's data, e.g. a kernel file).
eventlog::Event NewEvent(const eventlog::ParsedLog& log, uint32_t pcr,
                         uint32_t type, absl::string_view data);
eventlog::Event NewEventHashing(const eventlog::ParsedLog& log, uint32_t pcr,
                                uint32_t type, absl::string_view data,
                                absl::string_view digest_data);
// An event with the given sha256 digest (raw bytes) in a sha256-only log.
eventlog::Event NewEventWithSha256(uint32_t pcr, uint32_t type,
                                   absl::string_view data,
                                   const std::string& sha256);

// The position in `events` of the event whose original index is `index`
// (the edit callback sees the original order until it moves events).
size_t PositionOf(const std::vector<eventlog::Event>& events, uint32_t index);

// The position of the first event of `pcr` with `type` and data `data`
// (any data when empty); events.size() if none.
size_t FindEvent(const std::vector<eventlog::Event>& events, uint32_t pcr,
                 uint32_t type, absl::string_view data = "");

// PCR values as `vtpm-attest --pcrs` reads them: "BANK:INDEX HEX" lines.
std::string PcrText(const vtpm::PcrValues& pcrs);

// GRUB's PCR 8 EV_IPL for `text` with `prefix` ("kernel_cmdline: ", ...):
// data prefix + text + NUL, digest H(text).
eventlog::Event GrubEvent(const eventlog::ParsedLog& log,
                          absl::string_view prefix, absl::string_view text);

// systemd-stub's PCR 11 pair for a UKI section: the name event (EV_IPL,
// UTF-16 name with NUL, digest H(ASCII name + NUL)) and the data event
// (same data, digest H(`contents`) or the given sha256).
std::vector<eventlog::Event> UkiSectionEvents(const eventlog::ParsedLog& log,
                                              absl::string_view name,
                                              absl::string_view contents);

// A UEFI_VARIABLE_DATA event of `type` in PCR 7 for the EFI global
// variable `name` with `value` (digest H(data)).
eventlog::Event EfiGlobalVariableEvent(const eventlog::ParsedLog& log,
                                       uint32_t type, absl::string_view name,
                                       absl::string_view value);

}  // namespace vtpm::testing

#endif  // VTPM_TESTS_EVENTLOG_LOG_EDIT_H_
