// A guest's root attacks the operator's terminal through the whole
// pipeline: its agent (real Attestor, real swtpm) attests to a real
// verifier over TLS with a hostname and labels full of terminal controls
// (CR + fake "PASS", OSC 0 title, OSC 52 clipboard, CSI clear screen,
// bidi override and isolates, 8-bit CSI), then the operator runs the real
// vtpm-attest binary against the verifier's admin API. Whatever the
// verifier does with such a Hello (store it, or refuse it once input
// validation is in place), nothing the CLI prints may carry a raw control
// byte or a bidi/invisible character, --json must parse and JUnit must
// be well-formed XML.
#include <openssl/sha.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/eventlog/event_log.h"
#include "common/text_escape.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/eventlog/log_builder.h"
#include "tests/harness/process.h"

namespace vtpm::testing {
namespace {

namespace v1 = ::vtpm_attest::v1;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kVm[] = "5a5a5a5a-1111-2222-3333-444444444444";

const std::string kHostileHost =
    "web-01\r\x1b[32mPASS\x1b[0m\x1b]0;all good\x07\xE2\x80\xAE";
const std::map<std::string, std::string> kHostileLabels = {
    {"image", "debian\x1b]52;c;cm0gLXJmIH4K\x07"},
    {"k\x1b[2J\x1b[H", "invoice\xE2\x80\xAEgpj.exe"},
    {"iso", "a\xE2\x81\xA6z\xE2\x81\xA9"},
    {"c1",
     "x\xC2\x9B"
     "2J"},
};

void ExpectTerminalSafe(const std::string& text, const std::string& what) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if ((b < 0x20 && b != '\n') || b == 0x7F) {
      ADD_FAILURE() << what << ": raw control byte 0x" << std::hex
                    << static_cast<int>(b) << " in:\n"
                    << EscapeForTerminal(text);
      return;
    }
  }
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    EXPECT_TRUE(IsTerminalSafe(line))
        << what << ": unsafe characters in: " << EscapeForTerminal(line);
  }
}

class TerminalEscapeTest : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    if (HasFatalFailure()) return;
    token_file_ = dir_.Sub("admin.token");
    ASSERT_TRUE(WriteFile(token_file_, "terminal-test-token\n").ok());
    ASSERT_EQ(::chmod(token_file_.c_str(), 0600), 0);
    ASSERT_TRUE(WriteFile(dir_.Sub("empty-cli.conf"), "").ok());
    WritePolicy(R"json({
      "name": "default",
      "tpmFamily": "2.0",
      "requireEkCertificate": true,
      "quotePcrs": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": [0, 7]}]
    })json");
    StartVerifier([this](verifier::VerifierConfig* c) {
      c->admin.token_file = token_file_;
    });
    SetVmUuid(kVm);
  }

  CommandResult Cli(const std::vector<std::string>& args,
                    const std::string& prefix = "") {
    std::vector<std::string> argv;
    if (!prefix.empty()) argv = {"timeout", prefix};
    argv.push_back(BinaryPath("verifier/cli/vtpm-attest"));
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(),
                {"--verifier", absl::StrCat("localhost:", verifier_->port()),
                 "--ca-cert", tls_.ca_cert, "--token-file", token_file_,
                 "--config", dir_.Sub("empty-cli.conf")});
    auto r = RunCommand(argv);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : CommandResult{};
  }

  bool PythonOk(const std::string& code, const std::string& text) {
    std::string f = dir_.Sub(absl::StrCat("py", ++n_, ".txt"));
    EXPECT_TRUE(WriteFile(f, text).ok());
    auto r = RunCommand({"python3", "-c", code, f});
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r->exit_code, 0) << r->output;
    return r.ok() && r->exit_code == 0;
  }

  std::string token_file_;
  int n_ = 0;
};

TEST_F(TerminalEscapeTest, HostileHostnameAndLabelsNeverReachTheTerminalRaw) {
  auto attestor = MakeAttestor(*tpm_);
  ASSERT_NE(attestor, nullptr);
  Tamper t;
  // What root in the guest can do: any hostname, any labels.
  t.hello = [](v1::Hello* h) {
    h->mutable_host()->set_hostname(kHostileHost);
    for (const auto& [k, v] : kHostileLabels) (*h->mutable_labels())[k] = v;
  };
  RunResult run = Run(*attestor, t);
  const bool got_verdict = run.verdict.has_value();

  CommandResult list = Cli({"agents", "list"});
  ASSERT_EQ(list.exit_code, 0) << EscapeForTerminal(list.output);
  ExpectTerminalSafe(list.output, "agents list");
  const bool stored = absl::StrContains(list.stdout_text, kVm);
  if (stored) {
    // The verifier kept the guest's strings: they show as escapes.
    EXPECT_THAT(list.stdout_text, HasSubstr("web-01\\r\\x1b[32mPASS"));
    EXPECT_THAT(list.stdout_text, HasSubstr("\\x1b]0;all good\\x07"));
    EXPECT_THAT(list.stdout_text, HasSubstr("\\x1b]52;c;cm0gLXJmIH4K\\x07"));
    EXPECT_THAT(list.stdout_text, HasSubstr("invoice\\u{202e}gpj.exe"));
    EXPECT_THAT(list.stdout_text, HasSubstr("a\\u{2066}z\\u{2069}"));
    EXPECT_THAT(list.stdout_text, HasSubstr("x\\u{9b}2J"));
  } else {
    // The verifier refused the Hello (input validation): no PASS for it.
    EXPECT_TRUE(!got_verdict || run.verdict->result() != v1::RESULT_PASS);
  }

  for (const std::vector<std::string>& cmd :
       std::vector<std::vector<std::string>>{{"agents", "list", "--json"},
                                             {"history", "--json"},
                                             {"audit", "--json"}}) {
    CommandResult r = Cli(cmd);
    ASSERT_EQ(r.exit_code, 0) << EscapeForTerminal(r.output);
    ExpectTerminalSafe(r.output, cmd[0] + " --json");
    PythonOk("import json, sys\njson.load(open(sys.argv[1]))\n", r.stdout_text);
  }
  if (stored) {
    CommandResult r = Cli({"agents", "list", "--json"});
    // Lossless: the JSON value is the guest's hostname, escapes decoded.
    PythonOk(
        absl::StrCat("import json, sys\n"
                     "v = json.load(open(sys.argv[1], encoding='utf-8'))\n"
                     "h = [i['hostname'] for i in v['identities'] if "
                     "i['vm_uuid'] == '",
                     kVm,
                     "'][0]\n"
                     "assert h == 'web-01\\r\\x1b[32mPASS\\x1b[0m\\x1b]0;all "
                     "good\\x07\\u202e', repr(h)\n"),
        r.stdout_text);
    CommandResult show = Cli({"agents", "show", "--vm", kVm});
    EXPECT_EQ(show.exit_code, 0) << EscapeForTerminal(show.output);
    ExpectTerminalSafe(show.output, "agents show");
  }

  CommandResult history = Cli({"history"});
  EXPECT_EQ(history.exit_code, 0) << EscapeForTerminal(history.output);
  ExpectTerminalSafe(history.output, "history");

  CommandResult watch = Cli({"watch", "--since", "10m"}, "3");
  EXPECT_EQ(watch.exit_code, 124) << EscapeForTerminal(watch.output);
  ExpectTerminalSafe(watch.output, "watch");
  if (got_verdict && stored) {
    // One line per verdict; the hostname cannot fake a second line or
    // more fields.
    EXPECT_THAT(watch.stdout_text, HasSubstr("host=web-01\\r\\x1b[32mPASS"));
    EXPECT_THAT(watch.stdout_text, Not(HasSubstr("\nPASS")));
  }

  std::string junit = dir_.Sub("wait.xml");
  CommandResult wait =
      Cli({"wait", "--vm", kVm, "--timeout", "3s", "--junit", junit});
  ExpectTerminalSafe(wait.output, "wait");
  auto xml = ReadFile(junit);
  ASSERT_TRUE(xml.ok()) << "no JUnit report: " << wait.output;
  ExpectTerminalSafe(*xml, "JUnit");
  PythonOk("import sys, xml.dom.minidom as m\nm.parse(sys.argv[1])\n", *xml);
}

// Input validation cannot restrict what a guest's event log says: a GRUB
// kernel command line with an OSC title, a bidi override and an 8-bit CSI
// is measured for real (the swtpm's PCR 8 holds its digest), fails the
// policy's allowedKernelCmdlines, and the reason quoting it is stored and
// shown by history, agents show, watch, wait and JUnit.
TEST_F(TerminalEscapeTest, KernelCmdlineFromTheEventLogIsShownEscaped) {
  const std::string cmdline =
      "BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro \x1b]0;all good\x07"
      "quiet\xE2\x80\xAE"
      "1=elosnoc\xC2\x9B"
      "2J";
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(cmdline.data()), cmdline.size(),
         digest);
  LogBuilder log;
  // GRUB measures the text after its "kernel_cmdline: " prefix.
  log.AddEventWithDigests(
      8, eventlog::EV_IPL, "kernel_cmdline: " + cmdline,
      {{TPM2_ALG_SHA256,
        std::string(reinterpret_cast<char*>(digest), sizeof(digest))}});
  ASSERT_TRUE(log.ExtendTpm(tpm_->tools_env()).ok());
  std::string path =
      dir_.Sub("guest-root/sys/kernel/security/tpm0/binary_bios_measurements");
  std::filesystem::create_directories(
      std::filesystem::path(path).parent_path());
  ASSERT_TRUE(WriteFile(path, log.Build()).ok());
  verifier_->Shutdown();
  verifier_.reset();
  WritePolicy(R"json({
    "name": "default",
    "tpmFamily": "2.0",
    "requireEkCertificate": true,
    "quotePcrs": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": [8]}],
    "boot": {"requireEventLog": true,
             "allowedKernelCmdlines": ["BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro"]}
  })json");
  StartVerifier([this](verifier::VerifierConfig* c) {
    c->admin.token_file = token_file_;
  });

  auto attestor = MakeAttestor(*tpm_);
  ASSERT_NE(attestor, nullptr);
  RunResult run = Run(*attestor);
  ASSERT_TRUE(run.verdict.has_value()) << run.status.error_message();
  ASSERT_EQ(run.verdict->result(), v1::RESULT_FAIL)
      << run.verdict->DebugString();
  bool quoted = false;
  for (const auto& r : run.verdict->reasons()) {
    quoted |= r.code() == v1::POLICY_KERNEL_CMDLINE &&
              absl::StrContains(r.message(), "1=elosnoc");
  }
  ASSERT_TRUE(quoted) << run.verdict->DebugString();

  for (const std::vector<std::string>& cmd :
       std::vector<std::vector<std::string>>{{"history"},
                                             {"agents", "show", "--vm", kVm}}) {
    CommandResult r = Cli(cmd);
    ASSERT_EQ(r.exit_code, 0) << EscapeForTerminal(r.output);
    ExpectTerminalSafe(r.output, cmd[0]);
    EXPECT_THAT(r.stdout_text, HasSubstr("quiet\\u{202e}1=elosnoc\\u{9b}2J"));
  }
  CommandResult watch = Cli({"watch", "--since", "10m"}, "3");
  ExpectTerminalSafe(watch.output, "watch");
  EXPECT_THAT(watch.stdout_text, HasSubstr("\\u{202e}1=elosnoc"));

  std::string junit = dir_.Sub("cmdline.xml");
  CommandResult wait = Cli({"wait", "--vm", kVm, "--timeout", "5s", "--junit",
                            junit, "--since", "10m"});
  EXPECT_EQ(wait.exit_code, 1) << EscapeForTerminal(wait.output);
  ExpectTerminalSafe(wait.output, "wait");
  EXPECT_THAT(wait.stdout_text, HasSubstr("POLICY_KERNEL_CMDLINE"));
  auto xml = ReadFile(junit);
  ASSERT_TRUE(xml.ok());
  ExpectTerminalSafe(*xml, "JUnit");
  PythonOk(
      "import sys, xml.dom.minidom as m\n"
      "d = m.parse(sys.argv[1])\n"
      "t = d.getElementsByTagName('failure')[0].firstChild.data\n"
      "assert r'\\u{202e}1=elosnoc\\u{9b}2J' in t, t\n",
      *xml);

  CommandResult json = Cli({"history", "--json"});
  ExpectTerminalSafe(json.stdout_text, "history --json");
  PythonOk(
      "import json, sys\n"
      "v = json.load(open(sys.argv[1], encoding='utf-8'))\n"
      "m = ' '.join(r['message'] for x in v['verdicts'] for r in "
      "x['reasons'])\n"
      "assert '\\u202e1=elosnoc\\x9b2J' in m, m\n",
      json.stdout_text);
}

// Ill-formed UTF-8 cannot be carried in the Hello's strings: the verifier
// cannot even parse such a message, so it never reaches the store, and the
// fleet's listing keeps working.
TEST_F(TerminalEscapeTest, IllFormedUtf8HostnameNeverReachesTheStore) {
  auto attestor = MakeAttestor(*tpm_);
  ASSERT_NE(attestor, nullptr);
  Tamper t;
  t.hello = [](v1::Hello* h) {
    h->mutable_host()->set_hostname("bad\xFF\xC0\x1b[2J");
  };
  RunResult run = Run(*attestor, t);
  EXPECT_TRUE(!run.verdict.has_value() ||
              run.verdict->result() != v1::RESULT_PASS);
  CommandResult list = Cli({"agents", "list"});
  EXPECT_EQ(list.exit_code, 0) << EscapeForTerminal(list.output);
  ExpectTerminalSafe(list.output, "agents list");
  EXPECT_THAT(list.stdout_text, Not(HasSubstr(kVm)));
}

}  // namespace
}  // namespace vtpm::testing
