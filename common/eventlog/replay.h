// Replaying a parsed event log into PCR values and matching them against
// PCR values from a verified quote.
#ifndef VTPM_COMMON_EVENTLOG_REPLAY_H_
#define VTPM_COMMON_EVENTLOG_REPLAY_H_

#include <set>

#include "absl/status/statusor.h"
#include "common/eventlog/event_log.h"
#include "common/pcr_selection.h"

namespace vtpm::eventlog {

// The PCR values the log's events extend to, per bank (only banks the log
// carries) and per PCR the log touches. PCR 0 starts at the startup
// locality (last byte) when the log says so; EV_NO_ACTION events extend
// nothing.
absl::StatusOr<vtpm::PcrValues> Replay(const ParsedLog& log);

// What a successful match proves.
struct ReplayMatch {
  // (bank, pcr) pairs that were both quoted and replayed equal: only
  // events in these PCRs (of the bank(s) checked) are verified.
  std::set<std::pair<TPMI_ALG_HASH, uint32_t>> verified;
  // PCRs with events in the log that were not quoted (their events stay
  // unverified and must not be used).
  std::set<uint32_t> unverified_pcrs;
};

// Replays `log` and compares with `quoted` for every (bank, PCR) present
// in both. A PCR the log touches that was quoted with a different value is
// an error whose message names the PCR, the bank, both values and the last
// event extended into it (EVENTLOG_REPLAY_MISMATCH). A quoted firmware
// PCR (0-7, where every extend before ExitBootServices is logged) that the
// log never touches but that is not at its initial value is also a
// mismatch. PCRs the OS extends after boot without logging here (10 for
// IMA, 11 by systemd-pcrphase, 15) are compared only when the log touches
// them and they are quoted; leave them out of the quote selection when the
// OS extends them. Quoted banks the log does not carry are ignored.
absl::StatusOr<ReplayMatch> MatchQuotedPcrs(const ParsedLog& log,
                                            const vtpm::PcrValues& quoted);

}  // namespace vtpm::eventlog

#endif  // VTPM_COMMON_EVENTLOG_REPLAY_H_
