// `vtpm-attest reenroll|forget|attest-now`: operator actions on one
// identity.
#include <cstdio>
#include <string>

#include "common/text_escape.h"
#include "verifier/cli/admin_client.h"
#include "verifier/cli/admin_commands.h"
#include "verifier/cli/admin_format.h"

namespace vtpm::cli {
namespace {

namespace po = ::boost::program_options;
namespace v1 = ::vtpm_attest::v1;

constexpr char kReenrollUsage[] =
    "Usage: vtpm-attest reenroll (--vm UUID | --ek FINGERPRINT)\n"
    "         [--reason TEXT] [--json]\n\n"
    "Lets the identity enroll again on its next contact: its AK is\n"
    "activated anew, and a new EK presented by the same VM UUID (a replaced\n"
    "vTPM) replaces this one, which becomes retired. Audited.\n";
constexpr char kForgetUsage[] =
    "Usage: vtpm-attest forget (--vm UUID | --ek FINGERPRINT)\n"
    "         [--reason TEXT] [--json]\n\n"
    "Deletes the identity (its verdict history stays); its next contact\n"
    "enrolls it as new. Audited.\n";
constexpr char kAttestNowUsage[] =
    "Usage: vtpm-attest attest-now (--vm UUID | --ek FINGERPRINT) [--json]\n\n"
    "Asks the replica holding the agent's stream to challenge it now. The\n"
    "verdict arrives on `vtpm-attest watch` (or use `wait`).\n";

enum class Action { kReenroll, kForget, kAttestNow };

int RunAction(Action action, const char* name, const char* usage, int argc,
              char** argv) {
  AdminConnectionOptions conn;
  bool json = false;
  std::string vm, ek, reason;
  po::options_description desc(std::string(name) + " options");
  desc.add_options()("vm", po::value(&vm), "VM UUID")("ek", po::value(&ek),
                                                      "EK fingerprint");
  if (action != Action::kAttestNow) {
    desc.add_options()("reason", po::value(&reason),
                       "why (kept in the audit trail)");
  }
  AddConnectionOptions(desc, &conn, &json);
  if (int rc = ParseCommandLine(name, usage, argc, argv, desc); rc >= 0) {
    return rc;
  }
  auto sel = MakeSelector(vm, ek, /*required=*/true);
  if (!sel.ok()) return ReportError(name, sel.status());
  auto client = AdminClient::Connect(conn);
  if (!client.ok()) return ReportError(name, client.status());
  auto ctx = (*client)->Context();
  v1::AdminActionResponse resp;
  grpc::Status st;
  switch (action) {
    case Action::kReenroll: {
      v1::ReenrollRequest req;
      *req.mutable_identity() = *sel;
      req.set_reason(reason);
      st = (*client)->stub().Reenroll(ctx.get(), req, &resp);
      break;
    }
    case Action::kForget: {
      v1::ForgetRequest req;
      *req.mutable_identity() = *sel;
      req.set_reason(reason);
      st = (*client)->stub().Forget(ctx.get(), req, &resp);
      break;
    }
    case Action::kAttestNow: {
      v1::AttestNowRequest req;
      *req.mutable_identity() = *sel;
      st = (*client)->stub().AttestNow(ctx.get(), req, &resp);
      break;
    }
  }
  if (!st.ok()) return ReportRpcError(name, st);
  if (json) return PrintJson(resp) ? kExitOk : kExitUsage;
  std::printf("%s\n", EscapeForTerminal(resp.message()).c_str());
  return kExitOk;
}

int RunReenroll(int argc, char** argv) {
  return RunAction(Action::kReenroll, "reenroll", kReenrollUsage, argc, argv);
}
int RunForget(int argc, char** argv) {
  return RunAction(Action::kForget, "forget", kForgetUsage, argc, argv);
}
int RunAttestNow(int argc, char** argv) {
  return RunAction(Action::kAttestNow, "attest-now", kAttestNowUsage, argc,
                   argv);
}

}  // namespace

Subcommand ReenrollSubcommand() {
  return {"reenroll", "let an identity enroll again (new AK or new EK)",
          &RunReenroll};
}
Subcommand ForgetSubcommand() {
  return {"forget", "delete an identity (its history stays)", &RunForget};
}
Subcommand AttestNowSubcommand() {
  return {"attest-now", "ask for an immediate attestation of an agent",
          &RunAttestNow};
}

}  // namespace vtpm::cli
