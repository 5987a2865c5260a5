// `vtpm-attest policy list|apply|reload`: the fleet's policies through the
// admin API (`policy learn|check` work offline, policy_command.cc).
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "common/text_escape.h"
#include "verifier/cli/admin_client.h"
#include "verifier/cli/admin_commands.h"
#include "verifier/cli/admin_format.h"

namespace vtpm::cli {
namespace {

namespace po = ::boost::program_options;
namespace v1 = ::vtpm_attest::v1;

constexpr char kUsage[] =
    "Usage: vtpm-attest policy list [--json]\n"
    "       vtpm-attest policy apply FILE [--name NAME] [--dry-run] [--json]\n"
    "       vtpm-attest policy reload [--json]\n\n"
    "list    the policies every replica applies: files of the policy\n"
    "        directory, overridden by name by applied policies.\n"
    "apply   validates FILE (\"-\": stdin) and, unless --dry-run, stores it\n"
    "        for every replica (they pick it up within seconds). An invalid\n"
    "        policy is refused with the field at fault (exit 1).\n"
    "reload  re-reads the policy directory and the stored policies now.\n";

void PrintPolicies(const v1::ListPoliciesResponse& resp) {
  Table t({"NAME", "SOURCE", "UPDATED", "MATCH LABELS", "SHA256"});
  for (const auto& p : resp.policies()) {
    const auto& match = p.policy().match_labels();
    t.AddRow({EscapeForTerminal(p.policy().name()),
              EscapeForTerminal(p.source()), FormatTime(p.updated_unix()),
              match.empty() ? "(any)" : LabelsText(match),
              EscapeForTerminal(p.sha256().substr(0, 16))});
  }
  t.Print();
}

int RunListOrReload(bool reload, int argc, char** argv) {
  const char* name = reload ? "policy reload" : "policy list";
  AdminConnectionOptions conn;
  bool json = false;
  po::options_description desc(std::string(name) + " options");
  AddConnectionOptions(desc, &conn, &json);
  if (int rc = ParseCommandLine(name, kUsage, argc, argv, desc); rc >= 0) {
    return rc;
  }
  auto client = AdminClient::Connect(conn);
  if (!client.ok()) return ReportError(name, client.status());
  v1::ListPoliciesResponse resp;
  auto ctx = (*client)->Context();
  grpc::Status st = reload
                        ? (*client)->stub().ReloadPolicies(ctx.get(), {}, &resp)
                        : (*client)->stub().ListPolicies(ctx.get(), {}, &resp);
  if (!st.ok()) return ReportRpcError(name, st);
  if (json) return PrintJson(resp) ? kExitOk : kExitUsage;
  PrintPolicies(resp);
  return kExitOk;
}

int RunApply(int argc, char** argv) {
  AdminConnectionOptions conn;
  bool json = false, dry_run = false;
  std::string file, name;
  po::options_description desc("policy apply options");
  desc.add_options()("file", po::value(&file)->required(),
                     "policy JSON file (\"-\": stdin)")(
      "name", po::value(&name), "name, when the JSON has none")(
      "dry-run", po::bool_switch(&dry_run), "validate only");
  AddConnectionOptions(desc, &conn, &json);
  po::positional_options_description pos;
  pos.add("file", 1);
  if (int rc = ParseCommandLine("policy apply", kUsage, argc, argv, desc, &pos);
      rc >= 0) {
    return rc;
  }
  std::stringstream ss;
  if (file == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      return ReportError("policy apply",
                         absl::NotFoundError("cannot read " + file));
    }
    ss << in.rdbuf();
  }
  auto client = AdminClient::Connect(conn);
  if (!client.ok()) return ReportError("policy apply", client.status());
  v1::ApplyPolicyRequest req;
  req.set_json(ss.str());
  req.set_name(name);
  req.set_dry_run(dry_run);
  v1::ApplyPolicyResponse resp;
  auto ctx = (*client)->Context();
  grpc::Status st = (*client)->stub().ApplyPolicy(ctx.get(), req, &resp);
  if (!st.ok()) return ReportRpcError("policy apply", st);
  if (json) return PrintJson(resp) ? kExitOk : kExitUsage;
  std::printf("policy %s %s (sha256 %s)\n",
              EscapeForTerminal(resp.policy().policy().name()).c_str(),
              dry_run ? "is valid (dry run, not stored)" : "applied",
              EscapeForTerminal(resp.policy().sha256()).c_str());
  return kExitOk;
}

}  // namespace

bool IsPolicyAdminVerb(const char* verb) {
  return std::strcmp(verb, "list") == 0 || std::strcmp(verb, "apply") == 0 ||
         std::strcmp(verb, "reload") == 0;
}

int RunPolicyAdmin(int argc, char** argv) {
  if (std::strcmp(argv[0], "list") == 0)
    return RunListOrReload(false, argc, argv);
  if (std::strcmp(argv[0], "reload") == 0)
    return RunListOrReload(true, argc, argv);
  if (std::strcmp(argv[0], "apply") == 0) return RunApply(argc, argv);
  std::fputs(kUsage, stderr);
  return kExitUsage;
}

}  // namespace vtpm::cli
