// libFuzzer target: ParseEventLog on arbitrary bytes, every PCR the log
// touches treated as verified, then ExtractBootState (the event data is
// agent input that the extraction decodes: EFI variables, signature
// lists, device paths, GPT, SIPA events). Built only with
// VTPM_BUILD_FUZZERS (tests/bootstate.cmake); seeds in
// tests/fuzz/corpus/fuzz_boot_state (the OVMF logs and the logs of
// tests/bootstate/make_seeds.cc).
//
// Besides crashes and sanitizer reports, it aborts when a contract breaks:
// ExtractBootState failing on a parsed log (it fails only on internal
// errors), a finding that names an event outside the log, an event
// without a digest basis (the allowlist rules account for every event
// through it), or a boot state that does not survive a protobuf round trip
// (every string must be valid UTF-8, as proto3 requires).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/bootstate/boot_state.h"
#include "common/eventlog/event_log.h"
#include "common/eventlog/replay.h"

namespace {

namespace ev = ::vtpm::eventlog;
namespace bs = ::vtpm::bootstate;

[[noreturn]] void Fail(const char* what, const std::string& detail = "") {
  std::fprintf(stderr, "contract broken: %s: %s\n", what, detail.c_str());
  std::abort();
}

void ExtractAndCheck(const ev::ParsedLog& log, const ev::ReplayMatch& match,
                     const bs::ExtractOptions& options) {
  auto x = bs::ExtractBootState(log, match, options);
  if (!x.ok())
    Fail("ExtractBootState failed", std::string(x.status().message()));
  for (const bs::Finding& f : x->findings) {
    if (f.event_index >= log.events.size() && !log.events.empty()) {
      Fail("finding names an event outside the log", f.message);
    }
  }
  for (const auto& e : x->state.events()) {
    if (e.digest_basis() == vtpm_attest::v1::DIGEST_BASIS_UNSPECIFIED) {
      Fail("event without a digest basis", std::to_string(e.index()));
    }
  }
  std::string wire;
  if (!x->state.SerializeToString(&wire)) Fail("BootState does not serialize");
  vtpm_attest::v1::BootState back;
  if (!back.ParseFromString(wire)) {
    Fail("BootState does not parse back (invalid UTF-8 in a string?)");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto log = ev::ParseEventLog(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!log.ok()) return 0;
  ev::ReplayMatch all;
  for (const ev::Event& e : log->events) {
    for (TPMI_ALG_HASH bank : log->banks) all.verified.insert({bank, e.pcr});
  }
  bs::ExtractOptions strict;
  ExtractAndCheck(*log, all, strict);
  bs::ExtractOptions lenient;
  lenient.allowed_quirks = {"qemu-direct-kernel-boot",
                            "shim-secureboot-off-by-one",
                            "log-before-exit-boot-services", "empty-log"};
  lenient.os_extended_pcrs = {8, 11, 12, 13, 14};
  lenient.include_events = false;
  ExtractAndCheck(*log, all, lenient);
  return 0;
}
