// `vtpm-attest policy learn|check`, run as a user would run the built
// binary, on the real OVMF logs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_replace.h"
#include "tests/harness/process.h"
#include "tests/policy/real_logs.h"
#include "verifier/policy/policy.h"

namespace vtpm::verifier {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Binary() {
  return testing::BinaryDir() + "/verifier/cli/vtpm-attest";
}
std::string Log(const std::string& name) {
  return testing::RealLogPath(testing::SourceDir(), name);
}
std::string Pcrs(const std::string& name) {
  return testing::RealPcrsPath(testing::SourceDir(), name);
}

testing::CommandResult RunPolicy(std::vector<std::string> args) {
  args.insert(args.begin(), {Binary(), "policy"});
  auto r = testing::RunCommand(args);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : testing::CommandResult{};
}

// Learns a policy from fixture `name` into `dir` and returns its path.
std::string LearnInto(const testing::TempDir& dir, const std::string& name,
                      std::vector<std::string> extra = {}) {
  std::string out = dir.Sub(name + ".json");
  std::vector<std::string> args = {"learn",  "--from-eventlog", Log(name),
                                   "--pcrs", Pcrs(name),        "--name",
                                   name,     "--out",           out};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = RunPolicy(args);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return out;
}

TEST(PolicyCliTest, LearnThenCheckPassesOnEveryRealLog) {
  testing::TempDir dir;
  for (const char* name : testing::kRealLogs) {
    SCOPED_TRACE(name);
    std::string policy = LearnInto(dir, name, {"--golden-pcrs"});
    // The learned file is a policy the verifier loads.
    auto loaded = LoadPolicyFile(policy);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ(loaded->match_labels().at("policy"), name);
    EXPECT_FALSE(loaded->pcr_values().empty());
    auto r = RunPolicy({"check", "--policy", policy, "--eventlog", Log(name),
                        "--pcrs", Pcrs(name)});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_THAT(r.output,
                AllOf(HasSubstr("result: PASS"), Not(HasSubstr("FAIL"))));
  }
}

TEST(PolicyCliTest, CheckPrintsEveryFailedRule) {
  testing::TempDir dir;
  std::string policy = LearnInto(dir, "ovmf-shim-secboot-crb");
  auto r = RunPolicy({"check", "--policy", policy, "--eventlog",
                      Log("ovmf-uki-plain-crb"), "--pcrs",
                      Pcrs("ovmf-uki-plain-crb")});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output,
              AllOf(HasSubstr("FAIL  POLICY_SECURE_BOOT: policy "
                              "ovmf-shim-secboot-crb: boot.requireSecureBoot"),
                    HasSubstr("POLICY_SECURE_BOOT_DB"),
                    HasSubstr("POLICY_SECURE_BOOT_DBX"),
                    HasSubstr("POLICY_BOOT_APPLICATION"),
                    HasSubstr("boot.allowedBootApplications: boot "
                              "application event 21 (PCR 4"),
                    HasSubstr("result: FAIL")));
}

TEST(PolicyCliTest, CheckJson) {
  testing::TempDir dir;
  std::string policy = LearnInto(dir, "ovmf-uki-plain-crb");
  auto pass = RunPolicy({"check", "--policy", policy, "--eventlog",
                         Log("ovmf-uki-plain-crb"), "--json"});
  EXPECT_EQ(pass.exit_code, 0) << pass.output;
  EXPECT_THAT(pass.output, AllOf(HasSubstr(R"("result":"PASS")"),
                                 HasSubstr(R"("reasons":[])")));
  auto fail = RunPolicy({"check", "--policy", policy, "--eventlog",
                         Log("ovmf-direct-plain-crb"), "--pcrs",
                         Pcrs("ovmf-direct-plain-crb"), "--json"});
  EXPECT_EQ(fail.exit_code, 1) << fail.output;
  EXPECT_THAT(fail.output, AllOf(HasSubstr(R"("result":"FAIL")"),
                                 HasSubstr(R"("code":"POLICY_QUIRK")"),
                                 HasSubstr(R"("code":"POLICY_INITRD")"),
                                 HasSubstr("boot.allowedKernels")));
}

TEST(PolicyCliTest, ReplayMismatchFails) {
  testing::TempDir dir;
  std::string policy = LearnInto(dir, "ovmf-uki-plain-crb");
  auto pcrs = testing::ReadFile(Pcrs("ovmf-uki-plain-crb"));
  ASSERT_TRUE(pcrs.ok());
  // PCR 4 of another boot.
  std::string tampered = absl::StrReplaceAll(
      *pcrs,
      {{"5d579e45ba9a4163c62d531d8763f793b9065da7f05a3c98128437cc1985e4a2",
        "060e9de2a8ba0bf1e4846483d9bb34fc54df20581da42a4fd18ecef9f4747491"}});
  ASSERT_NE(tampered, *pcrs);
  ASSERT_TRUE(testing::WriteFile(dir.Sub("pcrs.txt"), tampered).ok());
  auto r =
      RunPolicy({"check", "--policy", policy, "--eventlog",
                 Log("ovmf-uki-plain-crb"), "--pcrs", dir.Sub("pcrs.txt")});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("EVENTLOG_REPLAY_MISMATCH"));
  // Learning from a log that does not match its PCRs is refused too.
  r = RunPolicy({"learn", "--from-eventlog", Log("ovmf-uki-plain-crb"),
                 "--pcrs", dir.Sub("pcrs.txt")});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("EVENTLOG_REPLAY_MISMATCH"));
}

TEST(PolicyCliTest, OfflineCheckSaysWhatItCannotJudge) {
  auto r = RunPolicy({"check", "--policy",
                      testing::SourceDir() + "/policies/libvirt-swtpm.json",
                      "--eventlog", Log("ovmf-uki-plain-crb")});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output,
              AllOf(HasSubstr("not judged offline: tpmFamily, "
                              "allowedTpmManufacturers, trustPlatforms"),
                    HasSubstr("no --pcrs")));
  // The shipped Secure Boot policy holds for the shim boot only.
  r = RunPolicy({"check", "--policy",
                 testing::SourceDir() + "/policies/ovmf-secureboot.json",
                 "--eventlog", Log("ovmf-shim-secboot-crb"), "--pcrs",
                 Pcrs("ovmf-shim-secboot-crb")});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = RunPolicy({"check", "--policy",
                 testing::SourceDir() + "/policies/ovmf-secureboot.json",
                 "--eventlog", Log("ovmf-direct-plain-crb")});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("POLICY_SECURE_BOOT"));
}

TEST(PolicyCliTest, LearnToStdoutWithLabels) {
  auto r = RunPolicy({"learn", "--from-eventlog", Log("ovmf-shim-secboot-crb"),
                      "--name", "golden", "--label", "image=debian-12",
                      "--label", "flavor=small"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, AllOf(HasSubstr(R"("name": "golden")"),
                              HasSubstr(R"("image": "debian-12")"),
                              HasSubstr(R"("flavor": "small")"),
                              HasSubstr(R"("requireSecureBoot": true)"),
                              HasSubstr("48e99b991f57fc52f76149599bff0a58c47154"
                                        "229b9f8d603ac40d3500248507")));
}

TEST(PolicyCliTest, UsageAndInputErrorsExitTwo) {
  testing::TempDir dir;
  ASSERT_TRUE(testing::WriteFile(dir.Sub("bad.json"),
                                 R"({"boot": {"requiredDb": ["abcd"]}})")
                  .ok());
  struct Case {
    std::vector<std::string> args;
    std::string want;
  } cases[] = {
      {{}, "Usage"},
      {{"frobnicate"}, "unknown command"},
      {{"check", "--eventlog", Log("ovmf-uki-plain-crb")}, "policy"},
      {{"learn"}, "from-eventlog"},
      {{"learn", "--from-eventlog", dir.Sub("missing")}, "missing"},
      {{"check", "--policy", dir.Sub("bad.json"), "--eventlog",
        Log("ovmf-uki-plain-crb")},
       "field boot.requiredDb[0]"},
      {{"check", "--policy", dir.Sub("missing.json"), "--eventlog",
        Log("ovmf-uki-plain-crb")},
       "missing.json"},
      {{"check", "--policy", testing::SourceDir() + "/policies/default.json",
        "--eventlog", Log("ovmf-uki-plain-crb"), "--pcrs", dir.Sub("bad.json")},
       "line 1"},
      {{"learn", "--from-eventlog", Log("ovmf-uki-plain-crb"), "--label",
        "novalue"},
       "KEY=VALUE"},
  };
  for (const Case& c : cases) {
    auto r = RunPolicy(c.args);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_THAT(r.output, HasSubstr(c.want)) << r.output;
  }
  auto r = RunPolicy({"check", "--policy", dir.Sub("bad.json"), "--eventlog",
                      Log("ovmf-uki-plain-crb"), "--json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr(R"("result":"ERROR")"));
  EXPECT_EQ(RunPolicy({"--help"}).exit_code, 0);
  EXPECT_EQ(RunPolicy({"check", "--help"}).exit_code, 0);
}

TEST(PolicyCliTest, MalformedLogFailsTheCheck) {
  testing::TempDir dir;
  ASSERT_TRUE(testing::WriteFile(dir.Sub("log.bin"), "not an event log").ok());
  auto r = RunPolicy(
      {"check", "--policy", testing::SourceDir() + "/policies/default.json",
       "--eventlog", dir.Sub("log.bin"), "--pcrs", Pcrs("ovmf-uki-plain-crb")});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("EVENTLOG_MALFORMED"));
}

}  // namespace
}  // namespace vtpm::verifier
