// `vtpm-attest agents list|show`: the identities the fleet knows.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/hex.h"
#include "common/text_escape.h"
#include "verifier/cli/admin_client.h"
#include "verifier/cli/admin_commands.h"
#include "verifier/cli/admin_format.h"

namespace vtpm::cli {
namespace {

namespace po = ::boost::program_options;
namespace v1 = ::vtpm_attest::v1;

constexpr char kUsage[] =
    "Usage: vtpm-attest agents list [--status pass|fail|error|stale]\n"
    "         [--policy NAME] [--vm UUID] [--limit N] [--json]\n"
    "       vtpm-attest agents show (--vm UUID | --ek FINGERPRINT)\n"
    "         [--verdicts N] [--json]\n\n"
    "list  the identities (EKs) the verifier fleet knows, ordered by EK\n"
    "      fingerprint (all pages unless --limit).\n"
    "show  one identity with its recent verdicts and other identities of\n"
    "      its VM. --vm names the VM's identity that is not retired.\n\n"
    "Exit codes: 0 ok, 1 not found or bad request, 2 usage, connection or\n"
    "authentication error.\n";

int RunList(int argc, char** argv) {
  AdminConnectionOptions conn;
  bool json = false;
  std::string status, policy, vm;
  int limit = 0;
  po::options_description desc("agents list options");
  desc.add_options()("status", po::value(&status),
                     "only this status: pass, fail, error, stale")(
      "policy", po::value(&policy), "only identities under this policy")(
      "vm", po::value(&vm), "only this VM UUID")(
      "limit", po::value(&limit), "at most N identities (default: all)");
  AddConnectionOptions(desc, &conn, &json);
  if (int rc = ParseCommandLine("agents list", kUsage, argc, argv, desc);
      rc >= 0) {
    return rc;
  }
  v1::ListIdentitiesRequest req;
  if (!status.empty()) {
    auto r = ParseResult(status);
    if (!r.ok()) return ReportError("agents list", r.status());
    req.set_status(*r);
  }
  req.set_policy(policy);
  req.set_vm_uuid(vm);
  if (limit < 0) {
    return ReportError("agents list",
                       absl::InvalidArgumentError("--limit must be >= 0"));
  }
  auto client = AdminClient::Connect(conn);
  if (!client.ok()) return ReportError("agents list", client.status());

  v1::ListIdentitiesResponse all;
  while (true) {
    int want = limit > 0 ? limit - all.identities_size() : 1000;
    req.set_limit(std::min(want, 1000));
    v1::ListIdentitiesResponse page;
    auto ctx = (*client)->Context();
    grpc::Status st = (*client)->stub().ListIdentities(ctx.get(), req, &page);
    if (!st.ok()) return ReportRpcError("agents list", st);
    for (auto& s : *page.mutable_identities()) {
      *all.add_identities() = std::move(s);
    }
    if (page.next_page_token().empty() ||
        (limit > 0 && all.identities_size() >= limit)) {
      all.set_next_page_token(page.next_page_token());
      break;
    }
    req.set_page_token(page.next_page_token());
  }
  if (json) return PrintJson(all) ? kExitOk : kExitUsage;

  absl::Time now = absl::Now();
  Table t({"VM UUID", "HOSTNAME", "STATUS", "ENROLLMENT", "POLICY",
           "LAST VERDICT", "NEXT DUE", "EK", "LABELS"});
  for (const auto& s : all.identities()) {
    t.AddRow({ShownOrDash(s.vm_uuid()), ShownOrDash(s.hostname()),
              ResultName(s.status()), EnrollmentName(s.enrollment()),
              ShownOrDash(s.policy()), FormatAgo(s.last_verdict_unix(), now),
              FormatAgo(s.next_due_unix(), now),
              EscapeForTerminal(s.ek_fingerprint().substr(0, 16)),
              LabelsText(s.labels())});
  }
  t.Print();
  std::printf("%d identit%s\n", all.identities_size(),
              all.identities_size() == 1 ? "y" : "ies");
  return kExitOk;
}

void PrintSummary(const v1::IdentitySummary& s, absl::Time now) {
  Table t({"FIELD", "VALUE"});
  t.AddRow({"ek fingerprint", EscapeForTerminal(s.ek_fingerprint())});
  t.AddRow({"vm uuid", EscapeForTerminal(s.vm_uuid())});
  t.AddRow({"hostname", EscapeForTerminal(s.hostname())});
  t.AddRow({"status", ResultName(s.status())});
  t.AddRow({"enrollment", EnrollmentName(s.enrollment())});
  t.AddRow({"policy", EscapeForTerminal(s.policy())});
  t.AddRow({"labels", LabelsText(s.labels())});
  t.AddRow({"first seen", FormatTime(s.first_seen_unix())});
  t.AddRow(
      {"last seen", absl::StrCat(FormatTime(s.last_seen_unix()), " (",
                                 FormatAgo(s.last_seen_unix(), now), ")")});
  t.AddRow({"last verdict", FormatTime(s.last_verdict_unix())});
  t.AddRow({"next due", FormatTime(s.next_due_unix())});
  t.AddRow({"ak name", ShownOrDash(s.ak_name())});
  t.AddRow({"tpm clock",
            absl::StrCat("clock ", s.clock(), ", resets ", s.reset_count(),
                         ", restarts ", s.restart_count())});
  t.Print();
}

int RunShow(int argc, char** argv) {
  AdminConnectionOptions conn;
  bool json = false;
  std::string vm, ek;
  int verdicts = 10;
  po::options_description desc("agents show options");
  desc.add_options()("vm", po::value(&vm), "VM UUID")(
      "ek", po::value(&ek), "EK fingerprint (SHA-256 of the EK SPKI, hex)")(
      "verdicts", po::value(&verdicts), "recent verdicts to show (10)");
  AddConnectionOptions(desc, &conn, &json);
  if (int rc = ParseCommandLine("agents show", kUsage, argc, argv, desc);
      rc >= 0) {
    return rc;
  }
  auto sel = MakeSelector(vm, ek, /*required=*/true);
  if (!sel.ok()) return ReportError("agents show", sel.status());
  auto client = AdminClient::Connect(conn);
  if (!client.ok()) return ReportError("agents show", client.status());
  v1::GetIdentityRequest req;
  *req.mutable_identity() = *sel;
  req.set_verdicts(verdicts);
  v1::IdentityDetail d;
  auto ctx = (*client)->Context();
  grpc::Status st = (*client)->stub().GetIdentity(ctx.get(), req, &d);
  if (!st.ok()) return ReportRpcError("agents show", st);
  if (json) return PrintJson(d) ? kExitOk : kExitUsage;

  absl::Time now = absl::Now();
  PrintSummary(d.summary(), now);
  std::printf("\nrecent verdicts:\n");
  Table t({"TIME", "RESULT", "POLICY", "REPLICA", "REASONS"});
  for (const auto& v : d.recent_verdicts()) {
    t.AddRow({FormatTime(v.verified_at_unix()), ResultName(v.result()),
              EscapeForTerminal(v.policy()), ShownOrDash(v.replica()),
              ReasonsText(v)});
  }
  t.Print();
  if (d.same_vm_size() > 0) {
    std::printf("\nother identities of this VM:\n");
    Table o({"EK", "ENROLLMENT", "STATUS", "LAST SEEN"});
    for (const auto& s : d.same_vm()) {
      o.AddRow({EscapeForTerminal(s.ek_fingerprint()),
                EnrollmentName(s.enrollment()), ResultName(s.status()),
                FormatTime(s.last_seen_unix())});
    }
    o.Print();
  }
  return kExitOk;
}

int Run(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "list") == 0) {
    return RunList(argc - 1, argv + 1);
  }
  if (argc >= 2 && std::strcmp(argv[1], "show") == 0) {
    return RunShow(argc - 1, argv + 1);
  }
  if (argc >= 2 && (std::strcmp(argv[1], "--help") == 0 ||
                    std::strcmp(argv[1], "-h") == 0)) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  std::fputs(kUsage, stderr);
  return kExitUsage;
}

}  // namespace

Subcommand AgentsSubcommand() {
  return {"agents", "list or show the fleet's identities (admin API)", &Run};
}

}  // namespace vtpm::cli
