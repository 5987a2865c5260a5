// Attacks on the boot rules that need no TPM, run offline through the
// shipped `vtpm-attest policy check` binary: a real OVMF log whose
// unmeasured parts (event types, data, names, GRUB prefixes, position
// across PCRs) a guest-root attacker changed, checked against the PCR
// values the TPM holds (--pcrs: the guest's, or, where the attacker also
// extended PCRs after boot, those values). Each verdict must FAIL with
// exactly the listed reason codes; before issue 9 each attacked log
// passed its policy.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/eventlog/event_log.h"
#include "common/hex.h"
#include "common/tpm_alg.h"
#include "tests/adversarial/boot_attack_logs.h"
#include "tests/eventlog/log_edit.h"
#include "tests/harness/process.h"
#include "verifier/policy/policy.h"
#include "verifier/policy/policy_learn.h"

namespace vtpm::testing {
namespace {

namespace ev = ::vtpm::eventlog;
namespace v1 = ::vtpm_attest::v1;
using ::testing::HasSubstr;
using Codes = std::set<v1::ReasonCode>;
using Edit = std::function<void(std::vector<ev::Event>&)>;

struct CheckResult {
  int exit_code = -1;
  Codes codes;
  std::string output;
};

class BootCliAttackTest : public ::testing::Test {
 protected:
  // Learns the policy of fixture `name` with the CLI, lets `change` edit
  // it, writes it back and returns its path.
  std::string Policy(
      const std::string& name,
      const std::function<void(verifier::Policy*)>& change = {}) {
    std::string path = dir_.Sub(absl::StrCat("policy-", ++files_, ".json"));
    auto r = RunCommand(
        {Binary(), "policy", "learn", "--from-eventlog", RealLog(name),
         "--pcrs",
         SourceDir() + "/tests/data/eventlogs/" + name + "/pcrs-sha256.txt",
         "--name", name, "--out", path});
    EXPECT_TRUE(r.ok() && r->exit_code == 0) << (r.ok() ? r->output : "");
    if (!change) return path;
    auto p = verifier::LoadPolicyFile(path);
    EXPECT_TRUE(p.ok()) << p.status();
    verifier::Policy policy = p.value_or(verifier::Policy());
    change(&policy);
    auto json = verifier::PolicyToJson(policy);
    EXPECT_TRUE(json.ok());
    EXPECT_TRUE(WriteFile(path, json.value_or("")).ok());
    return path;
  }

  // `policy check` of `log` edited by `edit`, against the PCR values the
  // edited log replays to (what the TPM holds once the attacker extended
  // the PCRs of any added event).
  CheckResult Check(const std::string& policy, const std::string& name,
                    const Edit& edit) {
    EditedLog edited = EditLog(LoadRealLog(name), edit);
    std::string log = dir_.Sub(absl::StrCat("log-", ++files_, ".bin"));
    std::string pcrs = dir_.Sub(absl::StrCat("pcrs-", files_, ".txt"));
    EXPECT_TRUE(WriteFile(log, edited.bytes).ok());
    EXPECT_TRUE(WriteFile(pcrs, PcrText(edited.pcrs)).ok());
    auto r = RunCommand({Binary(), "policy", "check", "--policy", policy,
                         "--eventlog", log, "--pcrs", pcrs, "--json"});
    EXPECT_TRUE(r.ok()) << r.status();
    CheckResult out;
    if (!r.ok()) return out;
    out.exit_code = r->exit_code;
    out.output = r->output;
    re2::StringPiece in(r->output);
    std::string code;
    while (RE2::FindAndConsume(&in, R"re("code":"([A-Z_0-9]+)")re", &code)) {
      v1::ReasonCode c;
      EXPECT_TRUE(v1::ReasonCode_Parse(code, &c)) << code;
      out.codes.insert(c);
    }
    return out;
  }

  // The log as the guest read it, replaying to the guest's PCR values.
  static void Unchanged(std::vector<ev::Event>&) {}

  static std::string Binary() {
    return BinaryDir() + "/verifier/cli/vtpm-attest";
  }
  static std::string RealLog(const std::string& name) {
    return SourceDir() + "/tests/data/eventlogs/" + name +
           "/binary_bios_measurements";
  }

  TempDir dir_;
  int files_ = 0;
};

#define EXPECT_FAILS_WITH(result, ...)                                  \
  do {                                                                  \
    EXPECT_EQ((result).exit_code, 1) << (result).output;                \
    EXPECT_EQ((result).codes, (Codes{__VA_ARGS__})) << (result).output; \
  } while (0)

void RemoveDigest(google::protobuf::RepeatedPtrField<std::string>* list,
                  const std::string& digest) {
  for (int i = 0; i < list->size(); ++i) {
    if (list->Get(i) == digest) {
      list->DeleteSubrange(i, 1);
      return;
    }
  }
  ADD_FAILURE() << digest << " is not in the list";
}

std::string Sha256(absl::string_view data) {
  return *Hash(TPM2_ALG_SHA256, data);
}

// ---------------------------------------------------------------------------
// Class 1: event types are not measured.

// grub (PCR 4) is not allowed; retyped to another type PCR 4 allows by
// default whose digest is not recomputed, it used to vanish from the
// boot applications.
TEST_F(BootCliAttackTest, RetypedBootApplication) {
  std::string policy = Policy(kShimLog, [](verifier::Policy* p) {
    RemoveDigest(p->mutable_boot()->mutable_allowed_boot_applications(),
                 kShimGrub);
  });
  EXPECT_FAILS_WITH(Check(policy, kShimLog, Unchanged),
                    v1::POLICY_BOOT_APPLICATION);
  for (uint32_t type :
       {ev::EV_COMPACT_HASH, ev::EV_IPL, ev::EV_OMIT_BOOT_DEVICE_EVENTS}) {
    SCOPED_TRACE(ev::EventTypeName(type));
    CheckResult r = Check(policy, kShimLog, [&](std::vector<ev::Event>& e) {
      e[PositionOf(e, 28)].type = type;
    });
    EXPECT_FAILS_WITH(r, v1::EVENTLOG_UNCLASSIFIED_EVENT);
    EXPECT_THAT(r.output, HasSubstr(absl::StrCat("event 28 (PCR 4, ",
                                                 ev::EventTypeName(type),
                                                 ", sha256 ", kShimGrub, ")")));
  }
}

// The app's digest moved into an EV_EFI_ACTION whose data does not hash
// to it; or into a driver type PCR 4 does not allow.
TEST_F(BootCliAttackTest, BootApplicationAsActionOrDriver) {
  std::string policy = Policy(kShimLog);
  EXPECT_EQ(Check(policy, kShimLog, Unchanged).exit_code, 0);
  EXPECT_FAILS_WITH(Check(policy, kShimLog,
                          [](std::vector<ev::Event>& e) {
                            ev::Event& app = e[PositionOf(e, 28)];
                            app.type = ev::EV_EFI_ACTION;
                            app.data =
                                "Calling EFI Application from Boot "
                                "Option";
                          }),
                    v1::EVENTLOG_DIGEST_MISMATCH);
  EXPECT_FAILS_WITH(Check(policy, kShimLog,
                          [](std::vector<ev::Event>& e) {
                            e[PositionOf(e, 28)].type =
                                ev::EV_EFI_BOOT_SERVICES_DRIVER;
                          }),
                    v1::EVENTLOG_UNEXPECTED_EVENT, v1::POLICY_BOOT_APPLICATION);
}

// A PCR 2 option ROM retyped to EV_NONHOST_CODE / EV_NONHOST_INFO, which
// PCR 2 allows: the direct-boot log with a driver added before the PCR 2
// separator (the firmware measured it), against the policy learned from
// the boot without it (no driver allowed).
TEST_F(BootCliAttackTest, RetypedDriver) {
  std::string policy = Policy(kDirectLog);
  const ev::ParsedLog log = LoadRealLog(kDirectLog);
  auto with_driver = [&](uint32_t type) {
    return [&log, type](std::vector<ev::Event>& e) {
      size_t sep = FindEvent(e, 2, ev::EV_SEPARATOR);
      e.insert(e.begin() + sep,
               NewEventHashing(log, 2, type, "option ROM", "evil ROM"));
    };
  };
  EXPECT_FAILS_WITH(
      Check(policy, kDirectLog, with_driver(ev::EV_EFI_BOOT_SERVICES_DRIVER)),
      v1::POLICY_BOOT_APPLICATION);
  for (uint32_t type : {ev::EV_NONHOST_CODE, ev::EV_NONHOST_INFO}) {
    SCOPED_TRACE(ev::EventTypeName(type));
    CheckResult r = Check(policy, kDirectLog, with_driver(type));
    EXPECT_FAILS_WITH(r, v1::EVENTLOG_UNCLASSIFIED_EVENT);
    EXPECT_THAT(r.output, HasSubstr("boot.allowedDrivers: event 15 (PCR 2"));
  }
}

// PCR 9 file names are not measured: the kernel renamed so it is no
// kernel, and an allowed kernel measured (appended) in its place.
TEST_F(BootCliAttackTest, RenamedKernel) {
  const std::string bad_kernel = Sha256("a kernel the policy does not allow");
  std::string policy = Policy(kShimLog);
  const ev::ParsedLog log = LoadRealLog(kShimLog);
  auto bad_boot = [&](std::vector<ev::Event>& e) {
    e[PositionOf(e, 36)].digests = {{TPM2_ALG_SHA256, bad_kernel}};
  };
  EXPECT_FAILS_WITH(Check(policy, kShimLog, bad_boot), v1::POLICY_INITRD);
  auto renamed = [&](bool before_ebs) {
    return [&, before_ebs](std::vector<ev::Event>& e) {
      bad_boot(e);
      e[PositionOf(e, 36)].data = std::string("/boot/grub/unicode.pf2\0", 23);
      size_t at = before_ebs ? ExitBootServicesPosition(e) : e.size();
      e.insert(e.begin() + at,
               NewEventWithSha256(9, ev::EV_IPL, std::string("/vmlinuz\0", 9),
                                  *HexDecode(kShimKernel)));
    };
  };
  CheckResult reordered = Check(policy, kShimLog, renamed(true));
  EXPECT_FAILS_WITH(reordered, v1::EVENTLOG_UNCLASSIFIED_EVENT);
  EXPECT_THAT(reordered.output,
              HasSubstr(absl::StrCat("event 36 (PCR 9, EV_IPL, sha256 ",
                                     HexEncode(bad_kernel), ")")));
  EXPECT_FAILS_WITH(Check(policy, kShimLog, renamed(false)),
                    v1::EVENTLOG_UNCLASSIFIED_EVENT,
                    v1::EVENTLOG_AFTER_EXIT_BOOT_SERVICES);
}

// A kernel measured into PCR 8 under a name that is no kernel's.
TEST_F(BootCliAttackTest, KernelHiddenInPcr8) {
  std::string policy = Policy(kShimLog);
  const ev::ParsedLog log = LoadRealLog(kShimLog);
  CheckResult r = Check(policy, kShimLog, [&](std::vector<ev::Event>& e) {
    e.insert(
        e.begin() + PositionOf(e, 36),
        NewEventHashing(log, 8, ev::EV_IPL,
                        "(hd0)/boot/grub/x86_64-efi/normal.mod", "a kernel"));
  });
  EXPECT_FAILS_WITH(r, v1::EVENTLOG_UNCLASSIFIED_EVENT);
  // Both the command-line rule (PCR 8 must be readable) and the file rule
  // (its digest is in no list) account for it.
  EXPECT_THAT(r.output,
              HasSubstr("boot.allowedKernelCmdlines: event 36 (PCR 8"));
  EXPECT_THAT(r.output, HasSubstr("boot.allowedBootFiles: event 36 (PCR 8"));
}

// GRUB's prefix and the event type are not measured: the real command
// line hidden (retyped to EV_ACTION with data = its text, relabelled,
// made unreadable) and an allowed one appended.
TEST_F(BootCliAttackTest, HiddenGrubCommandLine) {
  std::string policy = Policy(kShimLog);
  const ev::ParsedLog log = LoadRealLog(kShimLog);
  const std::string bad = std::string(kShimCmdline) + " init=/bin/sh";
  auto bad_boot = [&](std::vector<ev::Event>& e) {
    ev::Event& real = e[PositionOf(e, 39)];
    ev::Event grub = GrubEvent(log, "kernel_cmdline: ", bad);
    real.data = grub.data;
    real.digests = grub.digests;
  };
  EXPECT_FAILS_WITH(Check(policy, kShimLog, bad_boot),
                    v1::POLICY_KERNEL_CMDLINE);
  auto attack = [&](std::function<void(ev::Event&)> hide, bool before_ebs) {
    return [&, hide, before_ebs](std::vector<ev::Event>& e) {
      bad_boot(e);
      hide(e[PositionOf(e, 39)]);
      size_t at = before_ebs ? ExitBootServicesPosition(e) : e.size();
      e.insert(e.begin() + at,
               GrubEvent(log, "kernel_cmdline: ", kShimCmdline));
    };
  };
  auto retype = [&](ev::Event& x) {
    x.type = ev::EV_ACTION;
    x.data = bad;
  };
  auto relabel = [&](ev::Event& x) { x.data = "grub_cmd: " + bad + '\0'; };
  auto unreadable = [](ev::Event& x) { x.data = "xx"; };
  CheckResult r = Check(policy, kShimLog, attack(retype, true));
  EXPECT_FAILS_WITH(r, v1::POLICY_KERNEL_CMDLINE,
                    v1::EVENTLOG_REPEATED_MEASUREMENT);
  // The message names the hidden instance's own event.
  EXPECT_THAT(r.output,
              HasSubstr("init=/bin/sh' (event 39 (PCR 8, EV_ACTION)"));
  EXPECT_FAILS_WITH(Check(policy, kShimLog, attack(relabel, false)),
                    v1::POLICY_KERNEL_CMDLINE,
                    v1::EVENTLOG_REPEATED_MEASUREMENT,
                    v1::EVENTLOG_AFTER_EXIT_BOOT_SERVICES);
  EXPECT_FAILS_WITH(Check(policy, kShimLog, attack(unreadable, true)),
                    v1::EVENTLOG_UNCLASSIFIED_EVENT);
}

// PCR 7: db retyped as an authority to escape forbiddenDb (its data is
// no EFI_SIGNATURE_DATA, so it is unreadable as one); shim's authority
// retyped as a configuration variable (a second db).
TEST_F(BootCliAttackTest, RetypedSecureBootVariables) {
  std::string policy = Policy(kShimLog, [](verifier::Policy* p) {
    p->mutable_boot()->clear_required_db();
    p->mutable_boot()->add_forbidden_db(kMsWindowsPca2011);
  });
  EXPECT_FAILS_WITH(Check(policy, kShimLog, Unchanged),
                    v1::POLICY_SECURE_BOOT_DB);
  CheckResult r = Check(policy, kShimLog, [](std::vector<ev::Event>& e) {
    e[PositionOf(e, 6)].type = ev::EV_EFI_VARIABLE_AUTHORITY;
  });
  EXPECT_FAILS_WITH(r, v1::EVENTLOG_UNCLASSIFIED_EVENT);
  EXPECT_THAT(r.output, HasSubstr("boot.requireSecureBoot: event 6 (PCR 7, "
                                  "EV_EFI_VARIABLE_AUTHORITY"));
  std::string learned = Policy(kShimLog);
  EXPECT_FAILS_WITH(Check(learned, kShimLog,
                          [](std::vector<ev::Event>& e) {
                            e[PositionOf(e, 21)].type =
                                ev::EV_EFI_VARIABLE_DRIVER_CONFIG;
                          }),
                    v1::EVENTLOG_REPEATED_MEASUREMENT);
}

// SecureBoot=1 measured after the real SecureBoot=0 (root extends PCR 7):
// appended, moved before ExitBootServices, or before the real one; or
// the real one hidden as an unreadable action.
TEST_F(BootCliAttackTest, SecondSecureBootVariable) {
  std::string policy = Policy(kUkiLog, [](verifier::Policy* p) {
    p->mutable_boot()->set_require_secure_boot(true);
  });
  EXPECT_FAILS_WITH(Check(policy, kUkiLog, Unchanged), v1::POLICY_SECURE_BOOT);
  const ev::ParsedLog log = LoadRealLog(kUkiLog);
  const ev::Event on = EfiGlobalVariableEvent(
      log, ev::EV_EFI_VARIABLE_DRIVER_CONFIG, "SecureBoot", "\1");
  auto insert_at = [&](std::function<size_t(std::vector<ev::Event>&)> where) {
    return [&, where](std::vector<ev::Event>& e) {
      e.insert(e.begin() + where(e), on);
    };
  };
  EXPECT_FAILS_WITH(
      Check(policy, kUkiLog,
            insert_at([](std::vector<ev::Event>& e) { return e.size(); })),
      v1::POLICY_SECURE_BOOT, v1::EVENTLOG_REPEATED_MEASUREMENT,
      v1::EVENTLOG_AFTER_EXIT_BOOT_SERVICES);
  EXPECT_FAILS_WITH(Check(policy, kUkiLog, insert_at(ExitBootServicesPosition)),
                    v1::POLICY_SECURE_BOOT, v1::EVENTLOG_REPEATED_MEASUREMENT);
  EXPECT_FAILS_WITH(
      Check(policy, kUkiLog, insert_at([](std::vector<ev::Event>& e) {
              return PositionOf(e, 3);
            })),
      v1::POLICY_SECURE_BOOT, v1::EVENTLOG_REPEATED_MEASUREMENT);
  EXPECT_FAILS_WITH(Check(policy, kUkiLog,
                          [&](std::vector<ev::Event>& e) {
                            e[PositionOf(e, 3)].type = ev::EV_EFI_ACTION;
                            e.insert(e.begin() + ExitBootServicesPosition(e),
                                     on);
                          }),
                    v1::EVENTLOG_UNCLASSIFIED_EVENT);
}

// ---------------------------------------------------------------------------
// Class 2: the last measurement wins (UKI).

// A second .cmdline section appended after the real (not allowed) one.
TEST_F(BootCliAttackTest, SecondUkiCommandLine) {
  std::string policy = Policy(kUkiLog);
  EXPECT_EQ(Check(policy, kUkiLog, Unchanged).exit_code, 0);
  const ev::ParsedLog log = LoadRealLog(kUkiLog);
  auto bad_boot = [&](std::vector<ev::Event>& e) {
    e[PositionOf(e, 27)].digests = {
        {TPM2_ALG_SHA256, Sha256("console=ttyS0 init=/bin/sh")}};
  };
  EXPECT_FAILS_WITH(Check(policy, kUkiLog, bad_boot),
                    v1::POLICY_KERNEL_CMDLINE);
  auto pair = UkiSectionEvents(log, ".cmdline", "console=ttyS0 panic=-1");
  EXPECT_FAILS_WITH(Check(policy, kUkiLog,
                          [&](std::vector<ev::Event>& e) {
                            bad_boot(e);
                            e.insert(e.end(), pair.begin(), pair.end());
                          }),
                    v1::POLICY_KERNEL_CMDLINE,
                    v1::EVENTLOG_REPEATED_MEASUREMENT,
                    v1::EVENTLOG_AFTER_EXIT_BOOT_SERVICES);
  // The real pair retyped away and the allowed pair moved before
  // ExitBootServices: the retyped extends are unaccounted for.
  for (bool kernel_rules : {true, false}) {
    SCOPED_TRACE(kernel_rules ? "learned" : "only the command-line digest");
    std::string p = kernel_rules ? policy : Policy(kUkiLog, [](auto* q) {
      q->mutable_boot()->clear_allowed_kernels();
      q->mutable_boot()->clear_allowed_initrds();
      q->mutable_boot()->clear_allowed_boot_files();
    });
    EXPECT_FAILS_WITH(Check(p, kUkiLog,
                            [&](std::vector<ev::Event>& e) {
                              bad_boot(e);
                              e[PositionOf(e, 26)].type = ev::EV_EVENT_TAG;
                              e[PositionOf(e, 27)].type = ev::EV_EVENT_TAG;
                              size_t at = ExitBootServicesPosition(e);
                              e.insert(e.begin() + at, pair.begin(),
                                       pair.end());
                            }),
                      v1::EVENTLOG_UNCLASSIFIED_EVENT);
  }
}

// The UKI's kernel: its data event retyped (still its section), or its
// pair retyped away and an allowed pair measured.
TEST_F(BootCliAttackTest, HiddenUkiKernel) {
  std::string policy = Policy(kUkiLog);
  const ev::ParsedLog log = LoadRealLog(kUkiLog);
  const std::string bad = Sha256("a kernel the policy does not allow");
  auto bad_boot = [&](std::vector<ev::Event>& e) {
    e[PositionOf(e, 23)].digests = {{TPM2_ALG_SHA256, bad}};
  };
  EXPECT_FAILS_WITH(Check(policy, kUkiLog, bad_boot), v1::POLICY_INITRD);
  std::vector<ev::Event> pair = UkiSectionEvents(log, ".linux", "x");
  pair[1].digests = {{TPM2_ALG_SHA256, *HexDecode(kShimKernel)}};
  EXPECT_FAILS_WITH(Check(policy, kUkiLog,
                          [&](std::vector<ev::Event>& e) {
                            bad_boot(e);
                            e[PositionOf(e, 23)].type = ev::EV_EVENT_TAG;
                            e.insert(e.begin() + ExitBootServicesPosition(e),
                                     pair.begin(), pair.end());
                          }),
                    v1::EVENTLOG_DIGEST_MISMATCH, v1::POLICY_INITRD,
                    v1::EVENTLOG_REPEATED_MEASUREMENT);
  EXPECT_FAILS_WITH(Check(policy, kUkiLog,
                          [&](std::vector<ev::Event>& e) {
                            bad_boot(e);
                            e[PositionOf(e, 22)].type = ev::EV_EVENT_TAG;
                            e[PositionOf(e, 23)].type = ev::EV_EVENT_TAG;
                            e.insert(e.begin() + ExitBootServicesPosition(e),
                                     pair.begin(), pair.end());
                          }),
                    v1::EVENTLOG_UNCLASSIFIED_EVENT);
}

// A policy that lets the OS extend PCR 8 after boot still sees the
// repeat.
TEST_F(BootCliAttackTest, OsExtendedPcrStillJudgesRepeats) {
  std::string policy = Policy(kShimLog, [](verifier::Policy* p) {
    p->mutable_boot()->add_os_extended_pcrs(8);
  });
  const ev::ParsedLog log = LoadRealLog(kShimLog);
  EXPECT_FAILS_WITH(
      Check(policy, kShimLog,
            [&](std::vector<ev::Event>& e) {
              e.push_back(GrubEvent(log, "kernel_cmdline: ", kShimCmdline));
            }),
      v1::EVENTLOG_REPEATED_MEASUREMENT);
}

// The firmware version measured again after boot.
TEST_F(BootCliAttackTest, SecondFirmwareVersion) {
  std::string policy = Policy(kShimLog);
  const ev::ParsedLog log = LoadRealLog(kShimLog);
  EXPECT_FAILS_WITH(Check(policy, kShimLog,
                          [&](std::vector<ev::Event>& e) {
                            e.push_back(NewEvent(log, 0, ev::EV_S_CRTM_VERSION,
                                                 std::string("9\0.\0"
                                                             "9\0\0\0",
                                                             8)));
                          }),
                    v1::EVENTLOG_REPEATED_MEASUREMENT,
                    v1::EVENTLOG_AFTER_EXIT_BOOT_SERVICES);
}

}  // namespace
}  // namespace vtpm::testing
