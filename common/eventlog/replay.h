// Replaying a parsed event log into PCR values and matching them against
// PCR values from a verified quote.
#ifndef VTPM_COMMON_EVENTLOG_REPLAY_H_
#define VTPM_COMMON_EVENTLOG_REPLAY_H_

#include <set>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "common/eventlog/event_log.h"
#include "common/pcr_selection.h"

namespace vtpm::eventlog {

// The PCR values the log's events extend to, per bank (only banks the log
// carries) and per PCR the log touches. PCR 0 starts at the startup
// locality (last byte) when the log says so; EV_NO_ACTION events extend
// nothing.
//
// Every known bank (sha1/256/384/512) of log.banks has an entry, empty when
// no event extends anything; banks with an unknown algorithm are skipped.
// Fails (InvalidArgument, EVENTLOG_MALFORMED) only on a ParsedLog that
// ParseEventLog would not return (a missing or wrongly sized digest, a PCR
// index >= 24), or on an OpenSSL failure (Internal).
absl::StatusOr<vtpm::PcrValues> Replay(const ParsedLog& log);

// The value `pcr` of `bank` has before the log's first event: all zero,
// except PCR 0 when the log has a StartupLocality event (last byte = the
// locality). Empty for an algorithm of unknown digest size. The DRTM PCRs
// 17-22 are taken to start at zero too, their value after a DRTM launch
// (a TPM sets them to all ones at TPM2_Startup; a firmware log never
// extends them).
std::string InitialPcrValue(const ParsedLog& log, TPMI_ALG_HASH bank,
                            uint32_t pcr);

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
//
// All mismatches are reported in one error, the first (bank order of
// `quoted`, then PCR order) first; its ReasonOf is EVENTLOG_REPLAY_MISMATCH.
// `verified` holds only PCRs the log extends (an untouched PCR that is at
// its initial value has no events to verify). `unverified_pcrs` holds
// every PCR the log extends for which no bank was verified. When the quote
// and the log share no bank, nothing is verified and the result is OK with
// an empty `verified`: callers must only trust events in `verified`.
absl::StatusOr<ReplayMatch> MatchQuotedPcrs(const ParsedLog& log,
                                            const vtpm::PcrValues& quoted);

}  // namespace vtpm::eventlog

#endif  // VTPM_COMMON_EVENTLOG_REPLAY_H_
