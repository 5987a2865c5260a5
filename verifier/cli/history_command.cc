// `vtpm-attest history` (verdicts) and `vtpm-attest audit` (operator
// actions).
#include <cstdio>
#include <string>

#include "absl/time/clock.h"
#include "common/text_escape.h"
#include "verifier/cli/admin_client.h"
#include "verifier/cli/admin_commands.h"
#include "verifier/cli/admin_format.h"

namespace vtpm::cli {
namespace {

namespace po = ::boost::program_options;
namespace v1 = ::vtpm_attest::v1;

constexpr char kHistoryUsage[] =
    "Usage: vtpm-attest history [--vm UUID | --ek FINGERPRINT]\n"
    "         [--since 1h|RFC3339] [--result pass|fail|error|stale]\n"
    "         [--limit N] [--json]\n\n"
    "Verdicts, newest first: of one VM (every EK it had), one identity, or\n"
    "the whole fleet.\n\n"
    "Exit codes: 0 ok, 1 bad request, 2 usage, connection or\n"
    "authentication error.\n";

constexpr char kEvidenceUsage[] =
    "Usage: vtpm-attest evidence --verdict ID\n\n"
    "The raw evidence the verifier kept for a failed verdict: the agent's\n"
    "Hello and QuoteResponse as received, as JSON (bytes in base64). Kept\n"
    "for the verifier's evidence-retention-days.\n\n"
    "Exit codes: 0 ok, 1 not found, 2 usage, connection or authentication\n"
    "error.\n";

constexpr char kAuditUsage[] =
    "Usage: vtpm-attest audit [--limit N] [--json]\n\n"
    "Operator actions (reenroll, forget, apply-policy, attest-now, ...),\n"
    "newest first.\n";

int RunHistory(int argc, char** argv) {
  AdminConnectionOptions conn;
  bool json = false;
  std::string vm, ek, since, result;
  int limit = 50;
  po::options_description desc("history options");
  desc.add_options()("vm", po::value(&vm), "VM UUID")("ek", po::value(&ek),
                                                      "EK fingerprint")(
      "since", po::value(&since),
      "only verdicts since: a duration before now (1h, 2d) or RFC 3339")(
      "result", po::value(&result), "only this result")(
      "limit", po::value(&limit), "at most N verdicts (50, at most 1000)");
  AddConnectionOptions(desc, &conn, &json);
  if (int rc = ParseCommandLine("history", kHistoryUsage, argc, argv, desc);
      rc >= 0) {
    return rc;
  }
  v1::ListVerdictsRequest req;
  auto sel = MakeSelector(vm, ek, /*required=*/false);
  if (!sel.ok()) return ReportError("history", sel.status());
  if (sel->by_case() != v1::IdentitySelector::BY_NOT_SET) {
    *req.mutable_identity() = *sel;
  }
  if (!since.empty()) {
    auto t = ParseSince(since, absl::Now());
    if (!t.ok()) return ReportError("history", t.status());
    req.set_since_unix(*t);
  }
  if (!result.empty()) {
    auto r = ParseResult(result);
    if (!r.ok()) return ReportError("history", r.status());
    req.set_result(*r);
  }
  req.set_limit(limit);
  auto client = AdminClient::Connect(conn);
  if (!client.ok()) return ReportError("history", client.status());
  v1::ListVerdictsResponse resp;
  auto ctx = (*client)->Context();
  grpc::Status st = (*client)->stub().ListVerdicts(ctx.get(), req, &resp);
  if (!st.ok()) return ReportRpcError("history", st);
  if (json) return PrintJson(resp) ? kExitOk : kExitUsage;
  Table t({"TIME", "VM UUID", "RESULT", "POLICY", "REPLICA", "REASONS"});
  for (const auto& v : resp.verdicts()) {
    t.AddRow({FormatTime(v.verified_at_unix()),
              ShownOrDash(v.identity().vm_uuid()), ResultName(v.result()),
              ShownOrDash(v.policy()), ShownOrDash(v.replica()),
              ReasonsText(v)});
  }
  t.Print();
  return kExitOk;
}

int RunAudit(int argc, char** argv) {
  AdminConnectionOptions conn;
  bool json = false;
  int limit = 50;
  po::options_description desc("audit options");
  desc.add_options()("limit", po::value(&limit), "at most N entries (50)");
  AddConnectionOptions(desc, &conn, &json);
  if (int rc = ParseCommandLine("audit", kAuditUsage, argc, argv, desc);
      rc >= 0) {
    return rc;
  }
  auto client = AdminClient::Connect(conn);
  if (!client.ok()) return ReportError("audit", client.status());
  v1::ListAuditRequest req;
  req.set_limit(limit);
  v1::ListAuditResponse resp;
  auto ctx = (*client)->Context();
  grpc::Status st = (*client)->stub().ListAudit(ctx.get(), req, &resp);
  if (!st.ok()) return ReportRpcError("audit", st);
  if (json) return PrintJson(resp) ? kExitOk : kExitUsage;
  Table t({"TIME", "ACTOR", "ACTION", "TARGET", "DETAIL"});
  for (const auto& e : resp.entries()) {
    t.AddRow({FormatTime(e.at_unix()), EscapeForTerminal(e.actor()),
              EscapeForTerminal(e.action()), ShownOrDash(e.target()),
              EscapeForTerminal(e.detail())});
  }
  t.Print();
  return kExitOk;
}

int RunEvidence(int argc, char** argv) {
  AdminConnectionOptions conn;
  bool json = false;
  std::string verdict_id;
  po::options_description desc("evidence options");
  desc.add_options()("verdict", po::value(&verdict_id),
                     "id of a failed verdict (see history --json)");
  AddConnectionOptions(desc, &conn, &json);
  if (int rc = ParseCommandLine("evidence", kEvidenceUsage, argc, argv, desc);
      rc >= 0) {
    return rc;
  }
  if (verdict_id.empty()) {
    std::cerr << "vtpm-attest evidence: --verdict is required\n";
    return kExitUsage;
  }
  auto client = AdminClient::Connect(conn);
  if (!client.ok()) return ReportError("evidence", client.status());
  v1::GetFailedEvidenceRequest req;
  req.set_verdict_id(verdict_id);
  v1::FailedEvidence resp;
  auto ctx = (*client)->Context();
  grpc::Status st = (*client)->stub().GetFailedEvidence(ctx.get(), req, &resp);
  if (!st.ok()) return ReportRpcError("evidence", st);
  // Raw evidence is binary (TPM structures): JSON (bytes as base64) is
  // the one readable form, with or without --json.
  return PrintJson(resp) ? kExitOk : kExitUsage;
}

}  // namespace

Subcommand EvidenceSubcommand() {
  return {"evidence",
          "raw evidence (Hello, QuoteResponse) kept for a failed verdict",
          &RunEvidence};
}

Subcommand HistorySubcommand() {
  return {"history", "verdict history of a VM, an identity or the fleet",
          &RunHistory};
}

Subcommand AuditSubcommand() {
  return {"audit", "operator actions recorded by the verifier", &RunAudit};
}

}  // namespace vtpm::cli
