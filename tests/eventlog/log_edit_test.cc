// What replay proves and what it does not, on the real OVMF logs, with the
// edits a guest-root attacker can make (log_edit.h): event types and data
// are not measured, nor is an event's position across PCRs; the order of
// events within a PCR is. And the real logs' own shape after
// ExitBootServices, which the boot-state checks rely on.
#include "tests/eventlog/log_edit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "common/eventlog/event_log.h"
#include "common/eventlog/replay.h"
#include "common/reason.h"
#include "tests/harness/process.h"

namespace vtpm::testing {
namespace {

namespace ev = ::vtpm::eventlog;

ev::ParsedLog Real(const std::string& name) {
  auto bytes = ReadFile(SourceDir() + "/tests/data/eventlogs/" + name +
                        "/binary_bios_measurements");
  EXPECT_TRUE(bytes.ok());
  auto log = ev::ParseEventLog(bytes.value_or(""));
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? *std::move(log) : ev::ParsedLog();
}

constexpr char kShim[] = "ovmf-shim-secboot-crb";

TEST(LogEditTest, TypesAndDataAreNotMeasured) {
  ev::ParsedLog log = Real(kShim);
  auto want = ev::Replay(log);
  ASSERT_TRUE(want.ok());
  EditedLog edited = EditLog(log, [](std::vector<ev::Event>& e) {
    e[PositionOf(e, 28)].type = ev::EV_COMPACT_HASH;  // grub
    e[PositionOf(e, 36)].data = "not the kernel";     // /vmlinuz
  });
  EXPECT_EQ(edited.pcrs, *want);
  EXPECT_TRUE(ev::MatchQuotedPcrs(edited.parsed, *want).ok());
}

TEST(LogEditTest, PositionAcrossPcrsIsNotMeasured) {
  ev::ParsedLog log = Real(kShim);
  auto want = ev::Replay(log);
  ASSERT_TRUE(want.ok());
  // GRUB's last PCR 8 event ("grub_cmd: boot") moved after
  // ExitBootServices (PCR 5): PCR 8's own order is unchanged.
  EditedLog moved = EditLog(log, [](std::vector<ev::Event>& e) {
    ev::Event last = e[PositionOf(e, 42)];
    e.erase(e.begin() + PositionOf(e, 42));
    e.push_back(last);
  });
  EXPECT_EQ(moved.pcrs, *want);
  EXPECT_TRUE(ev::MatchQuotedPcrs(moved.parsed, *want).ok());
}

TEST(LogEditTest, OrderWithinAPcrIsMeasured) {
  ev::ParsedLog log = Real(kShim);
  auto want = ev::Replay(log);
  ASSERT_TRUE(want.ok());
  // Two PCR 8 events swapped.
  EditedLog swapped = EditLog(log, [](std::vector<ev::Event>& e) {
    std::swap(e[PositionOf(e, 35)], e[PositionOf(e, 39)]);
  });
  auto match = ev::MatchQuotedPcrs(swapped.parsed, *want);
  ASSERT_FALSE(match.ok());
  EXPECT_EQ(ReasonOf(match.status()),
            vtpm_attest::v1::EVENTLOG_REPLAY_MISMATCH);
  EXPECT_NE(match.status().message().find("PCR 8"), std::string::npos);
}

TEST(LogEditTest, AddedEventsReplayToTheExtendedPcrs) {
  ev::ParsedLog log = Real(kShim);
  EditedLog added = EditLog(log, [&](std::vector<ev::Event>& e) {
    e.push_back(GrubEvent(log, "kernel_cmdline: ", "/vmlinuz quiet"));
  });
  auto before = ev::Replay(log);
  ASSERT_TRUE(before.ok());
  for (const auto& [pcr, value] : added.pcrs.at(TPM2_ALG_SHA256)) {
    if (pcr == 8) {
      EXPECT_NE(value, before->at(TPM2_ALG_SHA256).at(8));
    } else {
      EXPECT_EQ(value, before->at(TPM2_ALG_SHA256).at(pcr)) << "PCR " << pcr;
    }
  }
  // The quote of the real boot no longer matches.
  EXPECT_FALSE(ev::MatchQuotedPcrs(added.parsed, *before).ok());
  // PCR values as `--pcrs` files hold them.
  EXPECT_EQ(
      PcrText({{TPM2_ALG_SHA256, {{8, std::string(32, '\1')}}}}),
      "sha256:8 "
      "0101010101010101010101010101010101010101010101010101010101010101\n");
}

// The real logs end with "Exit Boot Services Invocation" and "Exit Boot
// Services Returned with Success" (PCR 5): nothing else is logged after
// ExitBootServices, so EVENTLOG_AFTER_EXIT_BOOT_SERVICES has no false
// finding on them.
TEST(LogEditTest, RealLogsEndAtExitBootServices) {
  for (const char* name : {"ovmf-direct-plain-crb", "ovmf-uki-plain-crb",
                           "ovmf-shim-secboot-crb"}) {
    SCOPED_TRACE(name);
    ev::ParsedLog log = Real(name);
    size_t ebs = FindEvent(log.events, 5, ev::EV_EFI_ACTION,
                           "Exit Boot Services Invocation");
    ASSERT_EQ(ebs + 2, log.events.size());
    EXPECT_EQ(log.events[ebs + 1].data,
              "Exit Boot Services Returned with Success");
    EXPECT_EQ(log.events[ebs + 1].pcr, 5u);
  }
}

}  // namespace
}  // namespace vtpm::testing
