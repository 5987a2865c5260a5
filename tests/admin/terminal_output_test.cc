// Guest-chosen text in the fleet's records reaches the operator only as
// visible escapes: identities, verdicts, audit entries and evidence with
// hostile strings (CR + "PASS", OSC 0/2/52, CSI, bidi overrides, C1
// controls, NUL, ill-formed UTF-8) are written straight into the store,
// and the real vtpm-attest binary prints them over the real admin API.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/text_escape.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/admin/admin_fixture.h"

namespace vtpm::testing {
namespace {

namespace v1 = ::vtpm_attest::v1;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kFpH[] =
    "bbbb000000000000000000000000000000000000000000000000000000000002";
constexpr char kFpP[] =
    "cccc000000000000000000000000000000000000000000000000000000000003";
constexpr char kVmH[] = "22222222-3333-4444-5555-666666666666";
constexpr char kVmP[] = "33333333-4444-5555-6666-777777777777";

// What a guest's root can make its hostname, labels and logged strings.
const std::string kCrPass = "web-01\r\x1b[32mPASS\x1b[0m";  // fake status
const std::string kOscTitle = "\x1b]0;all good\x07";        // retitle
const std::string kOscClip = "\x1b]52;c;cm0gLXJmIH4K\x07";  // clipboard
const std::string kCsiClear = "\x1b[2J\x1b[H";              // clear screen
const std::string kBidi = "invoice\xE2\x80\xAEgpj.exe";     // U+202E
const std::string kIsolate = "a\xE2\x81\xA6z\xE2\x81\xA9";  // U+2066/2069
const std::string kC1Csi =
    "x\xC2\x9B"
    "2J";  // 8-bit CSI
const std::string kNul = std::string("before\0after", 12);
const std::string kBell = "ding\x07";

// Every byte is printable (or the CLI's own newline), the text is
// well-formed UTF-8 without bidi or invisible format characters.
void ExpectTerminalSafe(const std::string& text, const std::string& what) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if ((b < 0x20 && b != '\n') || b == 0x7F) {
      ADD_FAILURE() << what << ": raw control byte 0x" << std::hex
                    << static_cast<int>(b) << " at " << std::dec << i
                    << " in:\n"
                    << EscapeForTerminal(text);
      return;
    }
  }
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    EXPECT_TRUE(IsTerminalSafe(line))
        << what << ": unsafe characters in: " << EscapeForTerminal(line);
  }
}

class TerminalOutputTest : public AdminFixture {
 protected:
  void SetUp() override {
    AdminFixture::SetUp();
    if (HasFatalFailure()) return;
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    // An identity whose hostname and labels the guest chose.
    verifier::IdentityRecord r;
    r.ek_fingerprint = kFpH;
    r.vm_uuid = kVmH;
    r.hostname = kCrPass;
    r.ek_public = "ekpub-h";
    r.policy = "base";
    r.labels = {{"image", kOscTitle},     {"clip", kOscClip},
                {"k" + kCsiClear, kBidi}, {"iso", kIsolate},
                {"c1", kC1Csi},           {"nul", kNul},
                {"bell", kBell},          {"trusted", "no,trusted=yes"}};
    r.first_seen_unix = r.last_seen_unix = now;
    ASSERT_TRUE(store_->UpsertIdentity(r).ok());
    ASSERT_TRUE(store_->SetActivatedAk(kFpH, "ak", "akpub").ok());
    // Stored strings the verifier derived from a guest's event log: a
    // policy name on record, reason messages quoting the kernel command
    // line, a device path and a file name.
    verifier::IdentityRecord p = r;
    p.ek_fingerprint = kFpP;
    p.vm_uuid = kVmP;
    p.hostname = "plain";
    p.policy = "base" + kOscTitle;
    p.labels = {{"image", "debian-12"}};
    ASSERT_TRUE(store_->UpsertIdentity(p).ok());

    verdict_.set_result(v1::RESULT_FAIL);
    verdict_.mutable_identity()->set_vm_uuid(kVmH);
    verdict_.mutable_identity()->set_ek_fingerprint(kFpH);
    verdict_.mutable_identity()->set_hostname(kCrPass + " policy=gold");
    verdict_.set_policy("base");
    verdict_.set_verified_at_unix(now - 10);
    verdict_.set_verdict_id("v-hostile-1");
    verdict_.set_replica("replica\x1b]2;owned\x07");
    auto add = [&](v1::ReasonCode code, const std::string& message) {
      auto* reason = verdict_.add_reasons();
      reason->set_code(code);
      reason->set_message(message);
    };
    add(v1::POLICY_PCR_MISMATCH,
        "kernel command line 'quiet" + kCrPass + "' does not match");
    add(v1::POLICY_PCR_MISMATCH, "boot application " + kBidi + kC1Csi);
    add(v1::POLICY_PCR_MISMATCH, "device path " + kOscClip + kNul + kBell);
    add(v1::POLICY_PCR_MISMATCH, "file " + kCsiClear + kIsolate);
    auto out = store_->RecordVerdict(kFpH, verdict_, verifier::VerdictWrite{});
    ASSERT_TRUE(out.ok()) << out.status();

    verifier::AuditRecord a;
    a.at_unix = now;
    a.actor = "alice\r\x1b[2Kroot";
    a.action = "forget" + kCsiClear;
    a.target = kVmH + kBidi;
    a.detail = "reason: " + kOscClip + kNul + kC1Csi;
    ASSERT_TRUE(store_->AppendAudit(a).ok());
  }

  CommandResult Run(const std::vector<std::string>& args) {
    auto r = RunCommand(CliArgs(args));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : CommandResult{};
  }

  // Runs python3 `code` with the file holding `text` as sys.argv[1].
  CommandResult Python(const std::string& code, const std::string& text) {
    std::string f = dir_->Sub(absl::StrCat("py", ++n_, ".txt"));
    EXPECT_TRUE(WriteFile(f, text).ok());
    auto r = RunCommand({"python3", "-c", code, f});
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : CommandResult{};
  }

  v1::Verdict verdict_;
  int n_ = 0;
};

TEST_F(TerminalOutputTest, AgentsListShowsEscapes) {
  CommandResult r = Run({"agents", "list"});
  ASSERT_EQ(r.exit_code, 0) << EscapeForTerminal(r.output);
  ExpectTerminalSafe(r.output, "agents list");
  EXPECT_THAT(r.stdout_text, HasSubstr("web-01\\r\\x1b[32mPASS\\x1b[0m"));
  EXPECT_THAT(r.stdout_text, HasSubstr("image=\\x1b]0;all good\\x07"));
  EXPECT_THAT(r.stdout_text, HasSubstr("clip=\\x1b]52;c;cm0gLXJmIH4K\\x07"));
  EXPECT_THAT(r.stdout_text,
              HasSubstr("k\\x1b[2J\\x1b[H=invoice\\u{202e}gpj.exe"));
  EXPECT_THAT(r.stdout_text, HasSubstr("iso=a\\u{2066}z\\u{2069}"));
  EXPECT_THAT(r.stdout_text, HasSubstr("c1=x\\u{9b}2J"));
  EXPECT_THAT(r.stdout_text, HasSubstr("nul=before\\x00after"));
  EXPECT_THAT(r.stdout_text, HasSubstr("bell=ding\\x07"));
  EXPECT_THAT(r.stdout_text, HasSubstr("trusted=no\\x2ctrusted\\x3dyes"));
  EXPECT_THAT(r.stdout_text, HasSubstr("base\\x1b]0;all good\\x07"));
  // Each identity is one line: 1 header + 2 rows + the count.
  std::vector<std::string> lines =
      absl::StrSplit(absl::StripTrailingAsciiWhitespace(r.stdout_text), '\n');
  EXPECT_EQ(lines.size(), 4u) << r.stdout_text;
}

TEST_F(TerminalOutputTest, AgentsShowShowsEscapes) {
  CommandResult r = Run({"agents", "show", "--vm", kVmH});
  ASSERT_EQ(r.exit_code, 0) << EscapeForTerminal(r.output);
  ExpectTerminalSafe(r.output, "agents show");
  EXPECT_THAT(r.stdout_text, HasSubstr("web-01\\r\\x1b[32mPASS\\x1b[0m"));
  EXPECT_THAT(r.stdout_text, HasSubstr("616b"));  // the AK name, in hex
  EXPECT_THAT(r.stdout_text, HasSubstr("replica\\x1b]2;owned\\x07"));
  EXPECT_THAT(r.stdout_text, HasSubstr("quiet" + EscapeForTerminal(kCrPass)));
  EXPECT_THAT(r.stdout_text, HasSubstr("invoice\\u{202e}gpj.exex\\u{9b}2J"));
  EXPECT_THAT(r.stdout_text,
              HasSubstr("\\x1b]52;c;cm0gLXJmIH4K\\x07before\\x00afterding"));
  EXPECT_THAT(r.stdout_text, HasSubstr("\\x1b[2J\\x1b[Ha\\u{2066}z\\u{2069}"));
}

TEST_F(TerminalOutputTest, HistoryAuditWatchShowEscapes) {
  CommandResult r = Run({"history"});
  ASSERT_EQ(r.exit_code, 0) << EscapeForTerminal(r.output);
  ExpectTerminalSafe(r.output, "history");
  EXPECT_THAT(r.stdout_text, HasSubstr("replica\\x1b]2;owned\\x07"));
  EXPECT_THAT(r.stdout_text, HasSubstr("invoice\\u{202e}gpj.exe"));

  r = Run({"audit"});
  ASSERT_EQ(r.exit_code, 0) << EscapeForTerminal(r.output);
  ExpectTerminalSafe(r.output, "audit");
  EXPECT_THAT(r.stdout_text, HasSubstr("alice\\r\\x1b[2Kroot"));
  EXPECT_THAT(r.stdout_text, HasSubstr("forget\\x1b[2J\\x1b[H"));
  EXPECT_THAT(r.stdout_text, HasSubstr(std::string(kVmH) + "invoice\\u{202e}"));
  EXPECT_THAT(r.stdout_text,
              HasSubstr("reason: \\x1b]52;c;cm0gLXJmIH4K\\x07before\\x00after"
                        "x\\u{9b}2J"));

  // watch prints until interrupted: bound it with timeout(1).
  std::vector<std::string> argv = {"timeout", "3"};
  for (const auto& a : CliArgs({"watch", "--since", "5m"})) argv.push_back(a);
  auto w = RunCommand(argv);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->exit_code, 124) << EscapeForTerminal(w->output);
  ExpectTerminalSafe(w->output, "watch");
  // The hostname cannot pass for more fields of the line either.
  EXPECT_THAT(w->stdout_text,
              HasSubstr("host=web-01\\r\\x1b[32mPASS\\x1b[0m\\x20policy=gold"
                        " policy=base replica=replica\\x1b]2;owned\\x07"));
  EXPECT_THAT(w->stdout_text, Not(HasSubstr(" policy=gold")));
  std::vector<std::string> lines =
      absl::StrSplit(absl::StripTrailingAsciiWhitespace(w->stdout_text), '\n');
  EXPECT_EQ(lines.size(), 1u) << w->stdout_text;
}

TEST_F(TerminalOutputTest, JsonIsValidSafeAndLossless) {
  const std::string check =
      "import json, sys\n"
      "v = json.load(open(sys.argv[1], encoding='utf-8'))\n"
      "s = json.dumps(v, ensure_ascii=False)\n";
  CommandResult r = Run({"agents", "list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << EscapeForTerminal(r.output);
  ExpectTerminalSafe(r.stdout_text, "agents list --json");
  CommandResult py =
      Python(check +
                 "ids = {i['ek_fingerprint']: i for i in v['identities']}\n"
                 "h = ids['" +
                 kFpH +
                 "']\n"
                 "assert h['hostname'] == 'web-01\\r\\x1b[32mPASS\\x1b[0m', h\n"
                 "assert h['labels']['image'] == '\\x1b]0;all good\\x07'\n"
                 "assert h['labels']['k\\x1b[2J\\x1b[H'] == "
                 "'invoice\\u202egpj.exe'\n"
                 "assert h['labels']['iso'] == 'a\\u2066z\\u2069'\n"
                 "assert h['labels']['c1'] == 'x\\x9b2J'\n"
                 "assert h['labels']['nul'] == 'before\\x00after'\n",
             r.stdout_text);
  EXPECT_EQ(py.exit_code, 0) << py.output;

  r = Run({"agents", "show", "--vm", kVmH, "--json"});
  ASSERT_EQ(r.exit_code, 0) << EscapeForTerminal(r.output);
  ExpectTerminalSafe(r.stdout_text, "agents show --json");
  py = Python(check +
                  "m = [x['message'] for x in v['recent_verdicts'][0]"
                  "['reasons']]\n"
                  "assert m[1] == 'boot application invoice\\u202egpj.exex"
                  "\\x9b2J', m\n",
              r.stdout_text);
  EXPECT_EQ(py.exit_code, 0) << py.output;

  for (const std::vector<std::string>& cmd :
       std::vector<std::vector<std::string>>{{"history", "--json"},
                                             {"audit", "--json"}}) {
    r = Run(cmd);
    ASSERT_EQ(r.exit_code, 0) << EscapeForTerminal(r.output);
    ExpectTerminalSafe(r.stdout_text, cmd[0] + " --json");
    py = Python(check, r.stdout_text);
    EXPECT_EQ(py.exit_code, 0) << cmd[0] << ": " << py.output;
  }
  r = Run({"audit", "--json"});
  py = Python(check +
                  "assert v['entries'][0]['actor'] == "
                  "'alice\\r\\x1b[2Kroot', v\n",
              r.stdout_text);
  EXPECT_EQ(py.exit_code, 0) << py.output;
}

TEST_F(TerminalOutputTest, WaitTextAndJunitShowEscapes) {
  std::string junit = dir_->Sub("report.xml");
  CommandResult r =
      Run({"wait", "--vm", kVmH, "--timeout", "10s", "--junit", junit});
  EXPECT_EQ(r.exit_code, 1) << EscapeForTerminal(r.output);
  ExpectTerminalSafe(r.output, "wait");
  EXPECT_THAT(r.stdout_text, HasSubstr("replica=replica\\x1b]2;owned\\x07"));
  EXPECT_THAT(r.stdout_text,
              HasSubstr("  POLICY_PCR_MISMATCH: boot application "
                        "invoice\\u{202e}gpj.exex\\u{9b}2J\n"));

  auto xml = ReadFile(junit);
  ASSERT_TRUE(xml.ok());
  ExpectTerminalSafe(*xml, "JUnit");
  CommandResult py = Python(
      "import sys, xml.dom.minidom as m\n"
      "d = m.parse(sys.argv[1])\n"
      "f = d.getElementsByTagName('failure')\n"
      "assert len(f) == 1\n"
      "t = f[0].firstChild.data\n"
      "assert 'quiet' + r'web-01\\r\\x1b[32mPASS\\x1b[0m' in t, t\n"
      "assert r'invoice\\u{202e}gpj.exe' in t, t\n"
      "assert r'before\\x00after' in t, t\n"
      "assert t.count('\\n') == 4, t\n"
      "p = {e.getAttribute('name'): e.getAttribute('value') for e in "
      "d.getElementsByTagName('property')}\n"
      "assert p['replica'] == r'replica\\x1b]2;owned\\x07', p\n",
      *xml);
  EXPECT_EQ(py.exit_code, 0) << py.output;

  r = Run({"wait", "--vm", kVmH, "--timeout", "10s", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  ExpectTerminalSafe(r.stdout_text, "wait --json");
  py =
      Python("import json, sys\njson.load(open(sys.argv[1]))\n", r.stdout_text);
  EXPECT_EQ(py.exit_code, 0) << py.output;
}

TEST_F(TerminalOutputTest, EvidenceJsonIsSafe) {
  v1::Hello hello;
  hello.mutable_host()->set_vm_uuid(kVmH);
  hello.mutable_host()->set_hostname(kCrPass + kBidi);
  (*hello.mutable_labels())["image"] = kOscClip + kIsolate;
  verifier::FailedEvidence raw;
  raw.verdict_id = "v-hostile-1";
  raw.ek_fingerprint = kFpH;
  raw.created_unix = absl::ToUnixSeconds(absl::Now());
  raw.hello = hello.SerializeAsString();
  ASSERT_TRUE(store_->RecordFailedEvidence(raw).ok());
  CommandResult r = Run({"evidence", "--verdict", "v-hostile-1"});
  ASSERT_EQ(r.exit_code, 0) << EscapeForTerminal(r.output);
  ExpectTerminalSafe(r.output, "evidence");
  CommandResult py = Python(
      "import json, sys\n"
      "v = json.load(open(sys.argv[1], encoding='utf-8'))\n"
      "h = v['hello']['host']['hostname']\n"
      "assert h == 'web-01\\r\\x1b[32mPASS\\x1b[0minvoice\\u202egpj.exe', h\n",
      r.stdout_text);
  EXPECT_EQ(py.exit_code, 0) << py.output;
}

// Ill-formed UTF-8 cannot travel in a proto3 string (today the client
// refuses the whole response) and the store keeps labels as JSON text (the
// server answers DATA_LOSS quoting them): whatever the CLI prints when a
// record holds some, the record or an error quoting it, must be safe.
TEST_F(TerminalOutputTest, IllFormedUtf8InTheStoreIsShownSafely) {
  for (int which = 0; which < 2; ++which) {
    verifier::IdentityRecord r;
    r.ek_fingerprint = absl::StrCat(
        "dddd00000000000000000000000000000000000000000000000000000000000",
        which);
    r.vm_uuid = absl::StrCat("44444444-5555-6666-7777-88888888888", which);
    r.hostname = which == 0 ? "bad\xFF\xFE\x1b[2J" : "fine";
    r.ek_public = "ekpub-u";
    r.policy = "base";
    r.labels = {{"image", which == 1 ? "\xC0\xAF\x1b]0;t\x07" : "ok"}};
    r.first_seen_unix = r.last_seen_unix = absl::ToUnixSeconds(absl::Now());
    ASSERT_TRUE(store_->UpsertIdentity(r).ok());
    for (const std::vector<std::string>& cmd :
         std::vector<std::vector<std::string>>{
             {"agents", "list"},
             {"agents", "list", "--json"},
             {"agents", "show", "--vm", r.vm_uuid},
             {"agents", "show", "--vm", r.vm_uuid, "--json"}}) {
      CommandResult out = Run(cmd);
      ExpectTerminalSafe(out.output, absl::StrJoin(cmd, " "));
    }
    ASSERT_TRUE(store_->ForgetIdentity(r.ek_fingerprint).ok());
  }
}

}  // namespace
}  // namespace vtpm::testing
