// The vtpm-attest admin subcommands, run as a subprocess against the
// in-process admin API.
#include <future>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/admin/admin_fixture.h"

namespace vtpm::testing {
namespace {

namespace v1 = ::vtpm_attest::v1;
using ::testing::HasSubstr;

constexpr char kFpA[] =
    "aaaa000000000000000000000000000000000000000000000000000000000001";
constexpr char kVm1[] = "11111111-2222-3333-4444-555555555555";

class AdminCliTest : public AdminFixture {
 protected:
  CommandResult Run(const std::vector<std::string>& args,
                    const std::string& token_file = "") {
    auto r = RunCommand(CliArgs(args, token_file));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : CommandResult{};
  }
  // Whether `text` parses as JSON (python3's json module).
  bool IsJson(const std::string& text) {
    std::string f = dir_->Sub(absl::StrCat("out", ++n_, ".json"));
    EXPECT_TRUE(WriteFile(f, text).ok());
    auto r = RunCommand(
        {"python3", "-c", "import json,sys; json.load(open(sys.argv[1]))", f});
    return r.ok() && r->exit_code == 0;
  }
  // Starts `wait` in the background; returns its future result.
  std::future<CommandResult> StartWait(const std::vector<std::string>& args) {
    std::vector<std::string> argv = CliArgs(args);
    return std::async(std::launch::async, [argv] {
      auto r = RunCommand(argv);
      return r.ok() ? *r : CommandResult{};
    });
  }
  int n_ = 0;
};

TEST_F(AdminCliTest, AgentsListAndShowJson) {
  AddIdentity(kFpA, kVm1);
  Record(kFpA, kVm1, v1::RESULT_PASS);
  CommandResult r = Run({"agents", "list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(IsJson(r.stdout_text)) << r.stdout_text;
  EXPECT_THAT(r.stdout_text, HasSubstr(kFpA));

  r = Run({"agents", "show", "--vm", kVm1, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(IsJson(r.stdout_text)) << r.stdout_text;
  EXPECT_THAT(r.stdout_text, HasSubstr("RESULT_PASS"));

  r = Run({"agents", "list"});  // table
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.stdout_text, HasSubstr("VM UUID"));
  EXPECT_THAT(r.stdout_text, HasSubstr(kVm1));
  EXPECT_THAT(r.stdout_text, HasSubstr("PASS"));

  r = Run({"agents", "show", "--ek", std::string(64, 'f')});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("NOT_FOUND"));
  r = Run({"agents", "show"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

TEST_F(AdminCliTest, HistoryReenrollForgetAuditJson) {
  AddIdentity(kFpA, kVm1);
  Record(kFpA, kVm1, v1::RESULT_FAIL);
  CommandResult r = Run(
      {"history", "--vm", kVm1, "--since", "1h", "--result", "fail", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(IsJson(r.stdout_text));
  EXPECT_THAT(r.stdout_text, HasSubstr("POLICY_PCR_MISMATCH"));
  r = Run({"reenroll", "--vm", kVm1, "--reason", "new vTPM", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(IsJson(r.stdout_text));
  r = Run({"attest-now", "--ek", kFpA});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Run({"forget", "--ek", kFpA});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Run({"audit", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(IsJson(r.stdout_text));
  EXPECT_THAT(r.stdout_text, HasSubstr("new vTPM"));
  r = Run({"audit"});
  EXPECT_THAT(r.stdout_text, HasSubstr("forget"));
}

TEST_F(AdminCliTest, PolicyApplyListReload) {
  std::string bad = dir_->Sub("bad.json");
  ASSERT_TRUE(WriteFile(bad, R"({"name": "x", "tpmFamly": "2.0"})").ok());
  CommandResult r = Run({"policy", "apply", bad});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("tpmFamly"));
  std::string good = dir_->Sub("good.json");
  ASSERT_TRUE(WriteFile(good, R"({"name": "x", "tpmFamily": "2.0"})").ok());
  r = Run({"policy", "apply", good, "--dry-run"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(registry_->Current()->Find("x"), nullptr);
  r = Run({"policy", "apply", good});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(registry_->Current()->Find("x"), nullptr);
  r = Run({"policy", "list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(IsJson(r.stdout_text));
  r = Run({"policy", "list"});
  EXPECT_THAT(r.stdout_text, HasSubstr("stored"));
  EXPECT_THAT(r.stdout_text, HasSubstr("file:"));
  r = Run({"policy", "reload"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(AdminCliTest, WaitPassesOnPassRecordedWhileWaiting) {
  AddIdentity(kFpA, kVm1);
  // An old FAIL outside the window does not count.
  Record(kFpA, kVm1, v1::RESULT_FAIL, "base",
         absl::ToUnixSeconds(absl::Now()) - 3600);
  auto fut = StartWait({"wait", "--vm", kVm1, "--timeout", "30s"});
  absl::SleepFor(absl::Milliseconds(1500));
  Record(kFpA, kVm1, v1::RESULT_STALE);  // not a verdict to wait for
  Record(kFpA, kVm1, v1::RESULT_PASS);
  CommandResult r = fut.get();
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.stdout_text, HasSubstr("PASS"));
}

TEST_F(AdminCliTest, WaitTakesRecentVerdictAndFailsWithJunit) {
  AddIdentity(kFpA, kVm1);
  Record(kFpA, kVm1, v1::RESULT_FAIL, "base",
         absl::ToUnixSeconds(absl::Now()) - 30);
  std::string junit = dir_->Sub("report.xml");
  CommandResult r = Run(
      {"wait", "--vm", kVm1, "--timeout", "10s", "--junit", junit, "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(IsJson(r.stdout_text)) << r.stdout_text;
  auto x = RunCommand({"python3", "-c",
                       "import sys, xml.dom.minidom as m\n"
                       "d = m.parse(sys.argv[1])\n"
                       "f = d.getElementsByTagName('failure')\n"
                       "assert len(f) == 1, 'no failure'\n"
                       "t = f[0].firstChild.data\n"
                       "assert 'POLICY_PCR_MISMATCH' in t, t\n"
                       "assert '<is> & \"bad\"' in t, t\n"
                       "c = d.getElementsByTagName('testcase')[0]\n"
                       "assert c.getAttribute('name') == 'attestation " +
                           std::string(kVm1) + "', c.getAttribute('name')\n",
                       junit});
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(x->exit_code, 0) << x->output;
}

TEST_F(AdminCliTest, WaitAfterNowIgnoresEarlierVerdictsAndTimesOut) {
  AddIdentity(kFpA, kVm1);
  Record(kFpA, kVm1, v1::RESULT_PASS, "base",
         absl::ToUnixSeconds(absl::Now()) - 10);
  std::string junit = dir_->Sub("timeout.xml");
  absl::Time start = absl::Now();
  CommandResult r = Run({"wait", "--vm", kVm1, "--timeout", "2s", "--after-now",
                         "--junit", junit});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("timed out"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  auto x = RunCommand({"python3", "-c",
                       "import sys, xml.dom.minidom as m\n"
                       "d = m.parse(sys.argv[1])\n"
                       "assert len(d.getElementsByTagName('error')) == 1\n",
                       junit});
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(x->exit_code, 0) << x->output;
}

TEST_F(AdminCliTest, WaitPolicyFilter) {
  AddIdentity(kFpA, kVm1);
  auto fut = StartWait(
      {"wait", "--vm", kVm1, "--timeout", "30s", "--policy", "strict"});
  absl::SleepFor(absl::Milliseconds(1500));
  Record(kFpA, kVm1, v1::RESULT_PASS, "base");  // other policy: ignored
  Record(kFpA, kVm1, v1::RESULT_FAIL, "strict");
  CommandResult r = fut.get();
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.stdout_text, HasSubstr("FAIL"));
}

TEST_F(AdminCliTest, WrongTokenOrNoVerifierExitsTwo) {
  std::string wrong = dir_->Sub("wrong.token");
  ASSERT_TRUE(WriteFile(wrong, "nope\n").ok());
  CommandResult r = Run({"wait", "--vm", kVm1, "--timeout", "5s"}, wrong);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("UNAUTHENTICATED"));
  r = Run({"agents", "list"}, wrong);
  EXPECT_EQ(r.exit_code, 2) << r.output;

  // Nothing listens on the port any more.
  StopServer();
  r = Run({"wait", "--vm", kVm1, "--timeout", "2s"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

TEST_F(AdminCliTest, ConfigFileAndEnvironmentDefaults) {
  AddIdentity(kFpA, kVm1);
  std::string conf = dir_->Sub("cli.conf");
  ASSERT_TRUE(WriteFile(conf, absl::StrCat("# admin CLI\n[admin]\n",
                                           "verifier = 127.0.0.1:", port_,
                                           "\nca_cert = ", tls_.ca_cert, "\n"))
                  .ok());
  auto r = RunCommand({CliPath(), "agents", "list", "--json"},
                      {"VTPM_ATTEST_CLI_CONF=" + conf,
                       "VTPM_ATTEST_TOKEN_FILE=" + token_file_});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->output;
  EXPECT_THAT(r->stdout_text, HasSubstr(kFpA));
}

TEST_F(AdminCliTest, WatchPrintsJsonLines) {
  AddIdentity(kFpA, kVm1);
  int64_t t = absl::ToUnixSeconds(absl::Now());
  Record(kFpA, kVm1, v1::RESULT_PASS, "base", t - 60);
  Record(kFpA, kVm1, v1::RESULT_FAIL, "base", t - 30);
  // `watch` runs until interrupted: bound it with timeout(1).
  std::vector<std::string> argv = {"timeout", "3"};
  for (const auto& a :
       CliArgs({"watch", "--vm", kVm1, "--since", "5m", "--json"})) {
    argv.push_back(a);
  }
  auto r = RunCommand(argv);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 124) << r->output;  // killed by timeout
  std::vector<std::string> lines =
      absl::StrSplit(absl::StripTrailingAsciiWhitespace(r->stdout_text), '\n');
  ASSERT_EQ(lines.size(), 2u) << r->stdout_text;
  for (const auto& l : lines) EXPECT_TRUE(IsJson(l)) << l;
  EXPECT_THAT(lines[0], HasSubstr("RESULT_PASS"));
  EXPECT_THAT(lines[1], HasSubstr("RESULT_FAIL"));
}

}  // namespace
}  // namespace vtpm::testing
