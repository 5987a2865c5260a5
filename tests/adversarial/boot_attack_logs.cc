#include "tests/adversarial/boot_attack_logs.h"

#include <gtest/gtest.h>

#include "tests/eventlog/log_edit.h"
#include "tests/harness/process.h"

namespace vtpm::testing {

eventlog::ParsedLog LoadRealLog(const std::string& fixture) {
  auto bytes = ReadFile(SourceDir() + "/tests/data/eventlogs/" + fixture +
                        "/binary_bios_measurements");
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  auto log = eventlog::ParseEventLog(bytes.value_or(""));
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? *std::move(log) : eventlog::ParsedLog();
}

size_t ExitBootServicesPosition(const std::vector<eventlog::Event>& events) {
  size_t at = FindEvent(events, 5, eventlog::EV_EFI_ACTION,
                        "Exit Boot Services Invocation");
  EXPECT_LT(at, events.size());
  return at;
}

std::set<vtpm_attest::v1::ReasonCode> CodeSet(
    const std::vector<vtpm_attest::v1::ReasonCode>& codes) {
  return {codes.begin(), codes.end()};
}

}  // namespace vtpm::testing
