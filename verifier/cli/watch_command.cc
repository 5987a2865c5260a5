// `vtpm-attest watch` (live verdicts) and `vtpm-attest wait` (a CI gate:
// wait for a VM's fresh verdict, exit by its result).
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/text_escape.h"
#include "verifier/cli/admin_client.h"
#include "verifier/cli/admin_commands.h"
#include "verifier/cli/admin_format.h"
#include "verifier/cli/junit.h"

namespace vtpm::cli {
namespace {

namespace po = ::boost::program_options;
namespace v1 = ::vtpm_attest::v1;

constexpr char kWatchUsage[] =
    "Usage: vtpm-attest watch [--vm UUID] [--since DURATION] [--json]\n\n"
    "Prints verdicts as any verifier replica records them (including STALE\n"
    "transitions), one line each (a JSON object per line with --json),\n"
    "until interrupted. --since first prints the verdicts of that period.\n"
    "Exit code 2 when the stream breaks (connection, authentication).\n";

constexpr char kWaitUsage[] =
    "Usage: vtpm-attest wait --vm UUID [--timeout 300s] [--policy NAME]\n"
    "         [--since DURATION | --after-now] [--json] [--junit FILE]\n\n"
    "Waits until the VM has a fresh verdict, prints it and exits by it: a\n"
    "gate for CI pipelines that boot a VM and must not go on unless it\n"
    "attests.\n\n"
    "Fresh: made (verified_at) at or after the time `wait` started minus\n"
    "--since (default 5m). The default accepts a verdict the VM got shortly\n"
    "before `wait` ran, since an agent may attest as soon as it boots, before\n"
    "the pipeline gets to its gate; an older verdict (e.g. from an earlier\n"
    "VM with that UUID) is not fresh. Among fresh verdicts already recorded\n"
    "the newest counts; otherwise the first one recorded while waiting.\n"
    "--after-now (= --since 0) only accepts verdicts made after `wait`\n"
    "started (combine with `attest-now` for a daemon-mode agent). Times are\n"
    "the verifier's; keep clocks in sync. STALE entries are not verdicts\n"
    "and are ignored; with --policy only verdicts under that policy count.\n\n"
    "--json prints the verdict as JSON; --junit FILE writes a JUnit XML\n"
    "report (testcase \"attestation UUID\", failing with the reasons).\n\n"
    "Exit codes: 0 PASS, 1 FAIL or ERROR, 2 timeout, usage, connection or\n"
    "authentication error.\n";

// A value of a "key=value" field of a one-line format: escaped for the
// terminal with spaces escaped too, so no value can pass for more fields.
std::string FieldValue(absl::string_view s) {
  return s.empty() ? "-" : EscapeForTerminal(s, " ");
}

void PrintLine(const v1::Verdict& v) {
  std::string reasons = ReasonsText(v);
  std::printf("%s  %-5s  vm=%s host=%s policy=%s replica=%s ek=%s%s%s\n",
              FormatTime(v.verified_at_unix()).c_str(),
              ResultName(v.result()).c_str(),
              FieldValue(v.identity().vm_uuid()).c_str(),
              FieldValue(v.identity().hostname()).c_str(),
              FieldValue(v.policy()).c_str(), FieldValue(v.replica()).c_str(),
              FieldValue(v.identity().ek_fingerprint().substr(0, 16)).c_str(),
              reasons.empty() ? "" : "  ", reasons.c_str());
  std::fflush(stdout);
}

int RunWatch(int argc, char** argv) {
  AdminConnectionOptions conn;
  bool json = false;
  std::string vm, since;
  po::options_description desc("watch options");
  desc.add_options()("vm", po::value(&vm), "only this VM UUID")(
      "since", po::value(&since),
      "first print verdicts since (duration before now or RFC 3339)");
  AddConnectionOptions(desc, &conn, &json);
  if (int rc = ParseCommandLine("watch", kWatchUsage, argc, argv, desc);
      rc >= 0) {
    return rc;
  }
  v1::WatchVerdictsRequest req;
  req.set_vm_uuid(vm);
  if (!since.empty()) {
    auto t = ParseSince(since, absl::Now());
    if (!t.ok()) return ReportError("watch", t.status());
    req.set_since_unix(*t);
  }
  auto client = AdminClient::Connect(conn);
  if (!client.ok()) return ReportError("watch", client.status());
  auto ctx = (*client)->Context(absl::InfiniteDuration());
  auto reader = (*client)->stub().WatchVerdicts(ctx.get(), req);
  v1::VerdictEvent e;
  while (reader->Read(&e)) {
    if (json) {
      if (!PrintJson(e)) return kExitUsage;
      std::fflush(stdout);
    } else {
      PrintLine(e.verdict());
    }
  }
  grpc::Status st = reader->Finish();
  if (st.ok()) return kExitOk;
  ReportRpcError("watch", st);
  return kExitUsage;
}

struct WaitArgs {
  std::string vm;
  std::string policy;
  std::string junit;
  bool json = false;
};

// Whether `v` ends the wait.
bool Qualifies(const v1::Verdict& v, const WaitArgs& a, int64_t threshold) {
  if (v.result() == v1::RESULT_STALE || v.result() == v1::RESULT_UNSPECIFIED) {
    return false;
  }
  if (v.verified_at_unix() < threshold) return false;
  if (!a.policy.empty() && v.policy() != a.policy) return false;
  return true;
}

void WriteJunit(const WaitArgs& a, const JunitCase& c,
                const std::optional<v1::Verdict>& v) {
  if (a.junit.empty()) return;
  std::vector<std::pair<std::string, std::string>> props = {{"vm_uuid", a.vm}};
  if (v.has_value()) {
    props.push_back({"result", ResultName(v->result())});
    props.push_back({"policy", v->policy()});
    props.push_back({"verdict_id", v->verdict_id()});
    props.push_back({"ek_fingerprint", v->identity().ek_fingerprint()});
    props.push_back({"verified_at", FormatTime(v->verified_at_unix())});
    props.push_back({"replica", v->replica()});
  }
  absl::Status st =
      WriteJunitFile(a.junit, JunitXml("vtpm-attest", props, {c}));
  if (!st.ok()) {
    std::fprintf(stderr, "vtpm-attest wait: %s\n",
                 std::string(st.message()).c_str());
  }
}

// Reports the end of a wait without a verdict (timeout or error).
int WaitError(const WaitArgs& a, absl::Time start, const std::string& what) {
  std::fprintf(stderr, "vtpm-attest wait: %s\n",
               EscapeForTerminal(what).c_str());
  JunitCase c;
  c.classname = "vtpm-attest";
  c.name = absl::StrCat("attestation ", a.vm);
  c.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  c.outcome = JunitCase::Outcome::kError;
  c.message = what;
  c.details = what;
  WriteJunit(a, c, std::nullopt);
  return kExitUsage;
}

int Decide(const WaitArgs& a, absl::Time start, const v1::Verdict& v) {
  bool pass = v.result() == v1::RESULT_PASS;
  if (a.json) {
    if (!PrintJson(v)) return kExitUsage;
  } else {
    std::printf("%s  vm=%s policy=%s verified_at=%s verdict=%s replica=%s\n",
                ResultName(v.result()).c_str(), FieldValue(a.vm).c_str(),
                FieldValue(v.policy()).c_str(),
                FormatTime(v.verified_at_unix()).c_str(),
                FieldValue(v.verdict_id()).c_str(),
                FieldValue(v.replica()).c_str());
    for (const auto& r : v.reasons()) {
      std::printf("  %s: %s\n", v1::ReasonCode_Name(r.code()).c_str(),
                  EscapeForTerminal(r.message()).c_str());
    }
  }
  JunitCase c;
  c.classname = "vtpm-attest";
  c.name = absl::StrCat("attestation ", a.vm);
  c.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (!pass) {
    c.outcome = v.result() == v1::RESULT_FAIL ? JunitCase::Outcome::kFailure
                                              : JunitCase::Outcome::kError;
    c.message = absl::StrCat(ResultName(v.result()), ": ", v.reasons_size(),
                             " reason(s)");
    for (const auto& r : v.reasons()) {
      absl::StrAppend(&c.details, v1::ReasonCode_Name(r.code()), ": ",
                      r.message(), "\n");
    }
  }
  c.system_out =
      absl::StrCat("verdict ", v.verdict_id(), " policy ", v.policy(), " at ",
                   FormatTime(v.verified_at_unix()));
  WriteJunit(a, c, v);
  return pass ? kExitOk : kExitFailed;
}

int RunWait(int argc, char** argv) {
  absl::Time start = absl::Now();
  AdminConnectionOptions conn;
  WaitArgs a;
  std::string timeout_text = "300s", since_text = "5m";
  bool after_now = false;
  po::options_description desc("wait options");
  desc.add_options()("vm", po::value(&a.vm)->required(), "VM UUID")(
      "timeout", po::value(&timeout_text), "give up after (default 300s)")(
      "policy", po::value(&a.policy), "only verdicts under this policy")(
      "since", po::value(&since_text),
      "verdicts made this long before the wait started count (default 5m)")(
      "after-now", po::bool_switch(&after_now),
      "only verdicts made after the wait started (--since 0)")(
      "junit", po::value(&a.junit), "write a JUnit XML report to FILE");
  AddConnectionOptions(desc, &conn, &a.json);
  if (int rc = ParseCommandLine("wait", kWaitUsage, argc, argv, desc);
      rc >= 0) {
    return rc;
  }
  auto timeout = ParseDurationArg(timeout_text);
  if (!timeout.ok()) return ReportError("wait", timeout.status());
  auto since = ParseDurationArg(since_text);
  if (!since.ok()) return ReportError("wait", since.status());
  if (after_now) since = absl::ZeroDuration();
  a.vm = absl::AsciiStrToLower(a.vm);
  const int64_t threshold = absl::ToUnixSeconds(start - *since);
  const absl::Time deadline = start + *timeout;

  conn.rpc_timeout = *timeout;
  auto client = AdminClient::Connect(conn);
  if (!client.ok())
    return WaitError(a, start, std::string(client.status().message()));

  // 1. A fresh verdict already recorded: the newest counts.
  v1::ListVerdictsRequest list;
  list.mutable_identity()->set_vm_uuid(a.vm);
  list.set_since_unix(threshold);
  list.set_limit(200);
  const int64_t listed_at = absl::ToUnixSeconds(absl::Now());
  v1::ListVerdictsResponse recorded;
  auto ctx = (*client)->Context(deadline - absl::Now());
  grpc::Status st = (*client)->stub().ListVerdicts(ctx.get(), list, &recorded);
  if (!st.ok()) {
    return WaitError(
        a, start,
        absl::StrCat(GrpcCodeName(st.error_code()), ": ", st.error_message()));
  }
  for (const auto& v : recorded.verdicts()) {
    if (Qualifies(v, a, threshold)) return Decide(a, start, v);
  }

  // 2. The first fresh verdict recorded from now on (the stream's backlog
  // covers what was recorded since the list was read).
  v1::WatchVerdictsRequest watch;
  watch.set_vm_uuid(a.vm);
  watch.set_since_unix(std::max<int64_t>(threshold, listed_at - 1));
  auto wctx = (*client)->Context(deadline - absl::Now());
  auto reader = (*client)->stub().WatchVerdicts(wctx.get(), watch);
  v1::VerdictEvent e;
  while (reader->Read(&e)) {
    if (Qualifies(e.verdict(), a, threshold)) {
      wctx->TryCancel();
      reader->Finish();
      return Decide(a, start, e.verdict());
    }
  }
  st = reader->Finish();
  if (st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return WaitError(a, start,
                     absl::StrCat("timed out after ", timeout_text,
                                  ": no fresh verdict for VM ", a.vm));
  }
  return WaitError(
      a, start,
      absl::StrCat(GrpcCodeName(st.error_code()), ": ", st.error_message()));
}

}  // namespace

Subcommand WatchSubcommand() {
  return {"watch", "print verdicts as the verifier fleet records them",
          &RunWatch};
}

Subcommand WaitSubcommand() {
  return {"wait", "wait for a VM's fresh verdict (CI gate; exit by result)",
          &RunWait};
}

}  // namespace vtpm::cli
