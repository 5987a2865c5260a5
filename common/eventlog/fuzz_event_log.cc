// libFuzzer target: ParseEventLog, then Replay and MatchQuotedPcrs against
// a fixed quote, on arbitrary bytes (the event log is agent input the
// verifier parses before anything vouches for it). Built only with
// VTPM_BUILD_FUZZERS (tests/eventlog.cmake); seeds in
// tests/fuzz/corpus/fuzz_event_log (tests/eventlog/make_seeds.cc).
//
// Besides crashes and sanitizer reports, it aborts when a contract breaks:
// a parse error without EVENTLOG_MALFORMED, a parsed log that violates
// the invariants ParseEventLog promises, a Replay failure on a parsed
// log, a match error other than EVENTLOG_REPLAY_MISMATCH, or a "verified"
// PCR whose replayed value is not the quoted one.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "common/eventlog/event_log.h"
#include "common/eventlog/replay.h"
#include "common/hex.h"
#include "common/reason.h"
#include "common/tpm_alg.h"

namespace {

using vtpm::PcrValues;
using namespace vtpm::eventlog;  // NOLINT

[[noreturn]] void Fail(const char* what, const absl::Status& s = {}) {
  std::fprintf(stderr, "contract broken: %s: %s\n", what,
               std::string(s.message()).c_str());
  std::abort();
}

// The sha256 PCRs of tests/data/eventlogs/ovmf-direct-plain-crb (so that
// its seed reaches the success path), all-zero sha1 PCRs, and sha384 PCRs
// 0-7 at zero.
const PcrValues& Quoted() {
  static const PcrValues* quoted = [] {
    static const char* kSha256[] = {
        "177e29c417b6b61c7cf46ed30b4468931f58642527a268b556254e39b941ec6a",
        "8e9d1fe23131f12d6a523e9c32eb3223d4dc25e14eb5fd60163e7ba8de0f248c",
        "3d458cfe55cc03ea1f443f1562beec8df51c75e14a9fcf9a7234a13f198e7969",
        "3d458cfe55cc03ea1f443f1562beec8df51c75e14a9fcf9a7234a13f198e7969",
        "45a03a57116c3965cfc6166044703cb4e2f864af0dc6b5047ea1700ac1838691",
        "a5ceb755d043f32431d63e39f5161464620a3437280494b5850dc1b47cc074e0",
        "3d458cfe55cc03ea1f443f1562beec8df51c75e14a9fcf9a7234a13f198e7969",
        "65caf8dd1e0ea7a6347b635d2b379c93b9a1351edc2afc3ecda700e534eb3068",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "ed8d99de8262457522a99f9b86e7a694757924ef201cffe59c6c070d94a846b2",
        "bfc3a9a36622a2212c4141b14ec54aa8d9a80e0d9237869ff67d5521a4f90fcd",
    };
    auto* q = new PcrValues;
    for (uint32_t pcr = 0; pcr < 24; ++pcr) {
      (*q)[TPM2_ALG_SHA256][pcr] =
          pcr < 11 ? *vtpm::HexDecode(kSha256[pcr]) : std::string(32, '\0');
      (*q)[TPM2_ALG_SHA1][pcr] = std::string(20, '\0');
      if (pcr < 8) (*q)[TPM2_ALG_SHA384][pcr] = std::string(48, '\0');
    }
    return q;
  }();
  return *quoted;
}

void CheckInvariants(const ParsedLog& log) {
  if (log.banks.empty()) Fail("no banks");
  for (const Event& ev : log.events) {
    if (ev.pcr >= 24) Fail("PCR index >= 24");
    if (ev.digests.size() != log.banks.size()) Fail("digest count");
    for (TPMI_ALG_HASH bank : log.banks) {
      const std::string* d = ev.DigestFor(bank);
      if (d == nullptr) Fail("missing digest");
      size_t size = vtpm::DigestSize(bank);
      if (size != 0 && d->size() != size) Fail("digest size");
    }
  }
  if (log.startup_locality.has_value() && *log.startup_locality != 0 &&
      *log.startup_locality != 3 && *log.startup_locality != 4) {
    Fail("startup locality");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto log = ParseEventLog(bytes);
  if (!log.ok()) {
    if (vtpm::ReasonOf(log.status()) != vtpm_attest::v1::EVENTLOG_MALFORMED ||
        log.status().code() != absl::StatusCode::kInvalidArgument) {
      Fail("parse error without EVENTLOG_MALFORMED", log.status());
    }
    return 0;
  }
  CheckInvariants(*log);
  auto replayed = Replay(*log);
  if (!replayed.ok()) Fail("Replay failed on a parsed log", replayed.status());
  auto match = MatchQuotedPcrs(*log, Quoted());
  if (!match.ok()) {
    if (vtpm::ReasonOf(match.status()) !=
        vtpm_attest::v1::EVENTLOG_REPLAY_MISMATCH) {
      Fail("match error without EVENTLOG_REPLAY_MISMATCH", match.status());
    }
    return 0;
  }
  for (const auto& [bank, pcr] : match->verified) {
    auto bank_it = replayed->find(bank);
    if (bank_it == replayed->end() || !bank_it->second.count(pcr) ||
        bank_it->second.at(pcr) != Quoted().at(bank).at(pcr)) {
      Fail("verified PCR does not equal the quote");
    }
  }
  for (uint32_t pcr : match->unverified_pcrs) {
    for (const auto& [bank, p] : match->verified) {
      if (p == pcr) Fail("PCR both verified and unverified");
    }
  }
  return 0;
}
