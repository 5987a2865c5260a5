// Adversarial boot tests: the real OVMF logs of tests/data/eventlogs and
// the edits a guest-root attacker makes to them (tests/eventlog/log_edit.h
// does the editing).
#ifndef VTPM_TESTS_ADVERSARIAL_BOOT_ATTACK_LOGS_H_
#define VTPM_TESTS_ADVERSARIAL_BOOT_ATTACK_LOGS_H_

#include <set>
#include <string>
#include <vector>

#include "common/eventlog/event_log.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::testing {

inline constexpr char kShimLog[] = "ovmf-shim-secboot-crb";
inline constexpr char kUkiLog[] = "ovmf-uki-plain-crb";
inline constexpr char kDirectLog[] = "ovmf-direct-plain-crb";

// Digests (sha256, hex) measured by the real logs.
inline constexpr char kShimKernel[] =  // PCR 9 /vmlinuz, UKI .linux
    "26f2e57c99338feaf71c46fa4babdc7e1a6c115943002d109fdb746667104f5f";
inline constexpr char kShimGrub[] =  // PCR 4 grubx64.efi
    "a68f6d71ebddaa19751ff8d729f67d11b0df8e4c49400c3e7e90de16119e1265";
inline constexpr char kMsWindowsPca2011[] =  // db entry
    "e8e95f0733a55e8bad7be0a1413ee23c51fcea64b3c8fa6a786935fddcc71961";
inline constexpr char kShimCmdline[] = "/vmlinuz console=ttyS0 panic=-1";

// The parsed binary_bios_measurements of a fixture.
eventlog::ParsedLog LoadRealLog(const std::string& fixture);

// "Exit Boot Services Invocation" (PCR 5): where events are inserted to
// be logged before ExitBootServices.
size_t ExitBootServicesPosition(const std::vector<eventlog::Event>& events);

// Sorted, de-duplicated reason codes.
std::set<vtpm_attest::v1::ReasonCode> CodeSet(
    const std::vector<vtpm_attest::v1::ReasonCode>& codes);

}  // namespace vtpm::testing

#endif  // VTPM_TESTS_ADVERSARIAL_BOOT_ATTACK_LOGS_H_
