// Attacks on the boot rules that need the TPM, end to end through the real
// agent, swtpm and verifier: a swtpm extended with a real OVMF log's
// digests (as in tests/e2e/boot_integrity_test.cc), then, as root in the
// booted guest can, PCRs 7, 8, 9 or 11 extended once more and the matching
// events added to the log the agent serves, with the real event hidden
// behind an unmeasured type or name where that helps. The quote and the
// replay agree, so only the boot rules can catch it; each verdict must
// FAIL with exactly the listed reason codes (before issue 9 the last
// measurement won and each of these passed).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/tpm/pcr.h"
#include "common/eventlog/event_log.h"
#include "common/hex.h"
#include "common/tpm_alg.h"
#include "tests/adversarial/boot_attack_logs.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/eventlog/log_builder.h"
#include "tests/eventlog/log_edit.h"

namespace vtpm::testing {
namespace {

namespace ev = ::vtpm::eventlog;
namespace v1 = ::vtpm_attest::v1;
namespace fs = std::filesystem;
using ReasonSet = std::set<v1::ReasonCode>;

class BootAttackE2eTest : public E2eTest {
 protected:
  // Extends the swtpm with fixture `name`'s log, makes the agent serve it,
  // starts the verifier with `policy` and creates the agent.
  void Boot(const std::string& name, const std::string& policy) {
    real_ = LoadRealLog(name);
    auto skipped = ExtendTpmWithLog(real_, tpm_->tools_env());
    ASSERT_TRUE(skipped.ok()) << skipped.status();
    ASSERT_TRUE(skipped->empty());
    auto bytes = ReadFile(SourceDir() + "/tests/data/eventlogs/" + name +
                          "/binary_bios_measurements");
    ASSERT_TRUE(bytes.ok());
    ServeLog(*bytes);
    WritePolicy(policy);
    StartVerifier();
    agent_ = MakeAttestor(*tpm_);
    ASSERT_NE(agent_, nullptr);
  }

  void ServeLog(const std::string& bytes) {
    std::string path = dir_.Sub(
        "guest-root/sys/kernel/security/tpm0/binary_bios_measurements");
    fs::create_directories(fs::path(path).parent_path());
    ASSERT_TRUE(WriteFile(path, bytes).ok());
  }

  // What root does after boot (once per test): `edit` changes the real
  // log (types, names, order, new events); every event it adds (one made
  // by log_edit.h's NewEvent*, which has no offset in a log) is first
  // extended into the TPM, so the quote and the replay of the served log
  // agree.
  void AsRoot(const std::function<void(std::vector<ev::Event>&)>& edit) {
    std::vector<ev::Event> added;
    EditedLog edited = EditLog(real_, [&](std::vector<ev::Event>& events) {
      edit(events);
      for (const ev::Event& e : events) {
        if (e.offset == 0) added.push_back(e);
      }
    });
    ASSERT_FALSE(edited.bytes.empty());
    for (const ev::Event& e : added) {
      const std::string* d = e.DigestFor(TPM2_ALG_SHA256);
      ASSERT_NE(d, nullptr);
      ASSERT_TRUE(
          agent::ExtendPcr(agent_->tpm(), e.pcr, TPM2_ALG_SHA256, *d).ok());
    }
    ServeLog(edited.bytes);
  }

  ReasonSet RunCodes() {
    RunResult run = Run(*agent_);
    EXPECT_TRUE(run.verdict.has_value()) << run.status.error_message();
    if (!run.verdict.has_value()) return {};
    last_ = *run.verdict;
    EXPECT_EQ(run.verdict->result(), v1::RESULT_FAIL)
        << run.verdict->DebugString();
    std::vector<int> codes = Codes(*run.verdict);
    ReasonSet out;
    for (int c : codes) out.insert(static_cast<v1::ReasonCode>(c));
    return out;
  }

  std::string ReasonsText() const {
    std::string out;
    for (const auto& r : last_.reasons()) {
      absl::StrAppend(&out, v1::ReasonCode_Name(r.code()), ": ", r.message(),
                      "\n");
    }
    return out;
  }

  static std::string Policy(const std::string& pcrs, const std::string& boot) {
    return absl::StrCat(R"json({
      "name": "attack",
      "tpmFamily": "2.0",
      "requireEkCertificate": true,
      "quotePcrs": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": [)json",
                        pcrs, R"json(]}],
      "boot": {"requireEventLog": true, )json",
                        boot, "}}");
  }

  static std::string Sha256Hex(absl::string_view data) {
    return HexEncode(*Hash(TPM2_ALG_SHA256, data));
  }

  ev::ParsedLog real_;
  std::unique_ptr<agent::Attestor> agent_;
  v1::Verdict last_;
};

constexpr char kShimPcrs[] = "0,1,2,3,4,5,6,7,8,9,14";
constexpr char kUkiPcrs[] = "0,1,2,3,4,5,6,7,9,11";

// PCR 8: GRUB's command line is not allowed; root appends an allowed one
// (last wins), then also hides the real one and moves the appended event
// before ExitBootServices.
TEST_F(BootAttackE2eTest, AppendedGrubCommandLine) {
  const std::string allowed = std::string(kShimCmdline) + " quiet";
  Boot(kShimLog,
       Policy(kShimPcrs, absl::StrCat(R"("allowedKernelCmdlines": [")", allowed,
                                      R"("])")));
  EXPECT_EQ(RunCodes(), ReasonSet{v1::POLICY_KERNEL_CMDLINE});
  AsRoot([&](std::vector<ev::Event>& e) {
    e.push_back(GrubEvent(real_, "kernel_cmdline: ", allowed));
  });
  EXPECT_EQ(RunCodes(), (ReasonSet{v1::POLICY_KERNEL_CMDLINE,
                                   v1::EVENTLOG_REPEATED_MEASUREMENT,
                                   v1::EVENTLOG_AFTER_EXIT_BOOT_SERVICES}))
      << ReasonsText();
  // The message names the real command line's own event.
  EXPECT_THAT(ReasonsText(),
              ::testing::HasSubstr("(event 39 (PCR 8, EV_IPL), grub)"));
}

// The real command line retyped to EV_ACTION with data = its text (H(data)
// still matches) and the appended one moved before ExitBootServices: the
// real one is still found by its content.
TEST_F(BootAttackE2eTest, RetypedGrubCommandLineWithAReorderedAppend) {
  const std::string allowed = std::string(kShimCmdline) + " quiet";
  Boot(kShimLog,
       Policy(kShimPcrs, absl::StrCat(R"("allowedKernelCmdlines": [")", allowed,
                                      R"("])")));
  AsRoot([&](std::vector<ev::Event>& e) {
    ev::Event& real = e[PositionOf(e, 39)];
    real.type = ev::EV_ACTION;
    real.data = kShimCmdline;
    e.insert(e.begin() + ExitBootServicesPosition(e),
             GrubEvent(real_, "kernel_cmdline: ", allowed));
  });
  EXPECT_EQ(RunCodes(), (ReasonSet{v1::POLICY_KERNEL_CMDLINE,
                                   v1::EVENTLOG_REPEATED_MEASUREMENT}))
      << ReasonsText();
}

// The real command line made unreadable (its digest then covers nothing
// in the log): PCR 8 holds an extend no rule can account for.
TEST_F(BootAttackE2eTest, UnreadableGrubCommandLineWithAReorderedAppend) {
  const std::string allowed = std::string(kShimCmdline) + " quiet";
  Boot(kShimLog,
       Policy(kShimPcrs, absl::StrCat(R"("allowedKernelCmdlines": [")", allowed,
                                      R"("])")));
  AsRoot([&](std::vector<ev::Event>& e) {
    e[PositionOf(e, 39)].data = "unreadable";
    e.insert(e.begin() + ExitBootServicesPosition(e),
             GrubEvent(real_, "kernel_cmdline: ", allowed));
  });
  EXPECT_EQ(RunCodes(), ReasonSet{v1::EVENTLOG_UNCLASSIFIED_EVENT})
      << ReasonsText();
}

std::string UkiCmdlinePolicy(const std::string& allowed) {
  return absl::StrCat(R"json({
      "name": "attack", "tpmFamily": "2.0", "requireEkCertificate": true,
      "quotePcrs": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": [)json",
                      kUkiPcrs, R"json(]}],
      "boot": {"requireEventLog": true, "allowedKernelCmdlineSha256": [")json",
                      HexEncode(*Hash(TPM2_ALG_SHA256, allowed)),
                      R"json("]}})json");
}

// PCR 11: a second .cmdline section with the allowed digest.
TEST_F(BootAttackE2eTest, AppendedUkiCommandLine) {
  const std::string allowed = "console=ttyS0 panic=-1 quiet";
  Boot(kUkiLog, UkiCmdlinePolicy(allowed));
  EXPECT_EQ(RunCodes(), ReasonSet{v1::POLICY_KERNEL_CMDLINE});
  AsRoot([&](std::vector<ev::Event>& e) {
    auto pair = UkiSectionEvents(real_, ".cmdline", allowed);
    e.insert(e.end(), pair.begin(), pair.end());
  });
  EXPECT_EQ(RunCodes(), (ReasonSet{v1::POLICY_KERNEL_CMDLINE,
                                   v1::EVENTLOG_REPEATED_MEASUREMENT,
                                   v1::EVENTLOG_AFTER_EXIT_BOOT_SERVICES}))
      << ReasonsText();
}

// The real pair retyped away, the allowed pair before ExitBootServices.
TEST_F(BootAttackE2eTest, HiddenUkiCommandLineWithAReorderedPair) {
  const std::string allowed = "console=ttyS0 panic=-1 quiet";
  Boot(kUkiLog, UkiCmdlinePolicy(allowed));
  AsRoot([&](std::vector<ev::Event>& e) {
    e[PositionOf(e, 26)].type = ev::EV_EVENT_TAG;
    e[PositionOf(e, 27)].type = ev::EV_EVENT_TAG;
    auto pair = UkiSectionEvents(real_, ".cmdline", allowed);
    e.insert(e.begin() + ExitBootServicesPosition(e), pair.begin(), pair.end());
  });
  EXPECT_EQ(RunCodes(), ReasonSet{v1::EVENTLOG_UNCLASSIFIED_EVENT})
      << ReasonsText();
}

// PCR 7: SecureBoot=1 after the real SecureBoot=0.
TEST_F(BootAttackE2eTest, AppendedSecureBootOn) {
  Boot(kUkiLog, Policy(kUkiPcrs, R"("requireSecureBoot": true)"));
  EXPECT_EQ(RunCodes(), ReasonSet{v1::POLICY_SECURE_BOOT});
  AsRoot([&](std::vector<ev::Event>& e) {
    e.push_back(EfiGlobalVariableEvent(real_, ev::EV_EFI_VARIABLE_DRIVER_CONFIG,
                                       "SecureBoot", "\1"));
  });
  EXPECT_EQ(RunCodes(), (ReasonSet{v1::POLICY_SECURE_BOOT,
                                   v1::EVENTLOG_REPEATED_MEASUREMENT,
                                   v1::EVENTLOG_AFTER_EXIT_BOOT_SERVICES}))
      << ReasonsText();
  EXPECT_FALSE(last_.boot_state().secure_boot());
}

// The real SecureBoot=0 retyped into an (unknown) EFI action and the
// added SecureBoot=1 moved before ExitBootServices (it must stay after the
// real PCR 7 events: the order within a PCR is measured).
TEST_F(BootAttackE2eTest, HiddenSecureBootOffWithAReorderedOn) {
  Boot(kUkiLog, Policy(kUkiPcrs, R"("requireSecureBoot": true)"));
  AsRoot([&](std::vector<ev::Event>& e) {
    e[PositionOf(e, 3)].type = ev::EV_EFI_ACTION;
    e.insert(e.begin() + ExitBootServicesPosition(e),
             EfiGlobalVariableEvent(real_, ev::EV_EFI_VARIABLE_DRIVER_CONFIG,
                                    "SecureBoot", "\1"));
  });
  EXPECT_EQ(RunCodes(), ReasonSet{v1::EVENTLOG_UNCLASSIFIED_EVENT})
      << ReasonsText();
  EXPECT_TRUE(last_.boot_state().secure_boot());  // the forged one alone
}

// PCR 9: the kernel renamed out of the kernels and an allowed kernel
// measured after boot.
TEST_F(BootAttackE2eTest, RenamedKernelWithAnAppendedOne) {
  const std::string allowed_kernel = "a kernel the policy allows";
  Boot(kShimLog,
       Policy(kShimPcrs,
              absl::StrCat(R"("allowedKernels": [")", Sha256Hex(allowed_kernel),
                           R"("], "allowedInitrds": [")",
                           "c2bcd12cf4fe20f15474b4e79b8feeb184149db71a2653ebf46"
                           "918f8ccacd7b8",
                           R"("], "allowedBootFiles": [")",
                           "a3ff122daed150696d8bfdfc74442ed3f02d555618369bbbc32"
                           "4333fb640dd2f",
                           R"("])")));
  EXPECT_EQ(RunCodes(), ReasonSet{v1::POLICY_INITRD});
  AsRoot([&](std::vector<ev::Event>& e) {
    e[PositionOf(e, 36)].data = std::string("/boot/grub/unicode.pf2\0", 23);
    e.push_back(NewEventHashing(real_, 9, ev::EV_IPL,
                                std::string("/vmlinuz\0", 9), allowed_kernel));
  });
  EXPECT_EQ(RunCodes(), (ReasonSet{v1::EVENTLOG_UNCLASSIFIED_EVENT,
                                   v1::EVENTLOG_AFTER_EXIT_BOOT_SERVICES}))
      << ReasonsText();
}

// A policy that lets the OS extend PCR 8 after boot: no after-EBS finding
// there, but the repeat still fails the verdict.
TEST_F(BootAttackE2eTest, OsExtendedPcrKeepsTheRepeat) {
  Boot(kShimLog,
       Policy(kShimPcrs,
              absl::StrCat(R"("allowedKernelCmdlines": [")", kShimCmdline,
                           R"("], "osExtendedPcrs": [8])")));
  RunResult golden = Run(*agent_);
  ASSERT_TRUE(golden.verdict.has_value());
  EXPECT_EQ(golden.verdict->result(), v1::RESULT_PASS)
      << golden.verdict->DebugString();
  AsRoot([&](std::vector<ev::Event>& e) {
    e.push_back(GrubEvent(real_, "kernel_cmdline: ", kShimCmdline));
  });
  EXPECT_EQ(RunCodes(), ReasonSet{v1::EVENTLOG_REPEATED_MEASUREMENT})
      << ReasonsText();
}

}  // namespace
}  // namespace vtpm::testing
