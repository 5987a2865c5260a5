// `vtpm-attest policy learn|check`. Both run the verifier's event-log path
// (VerifyEventLog: parse, match the replay against PCR values, extract the
// boot state); `check` then judges with FindingsToReasons + EvaluatePolicy
// exactly as the verifier service does, minus the rules that need a live
// agent (OfflinePolicy).
#include "verifier/cli/policy_command.h"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/eventlog/event_log.h"
#include "common/eventlog/replay.h"
#include "common/reason.h"
#include "common/tpm_alg.h"
#include "verifier/cli/admin_commands.h"
#include "verifier/cli/json_writer.h"
#include "verifier/cli/policy_from_store.h"
#include "verifier/cli/quote_inputs.h"
#include "verifier/cli/safe_print.h"
#include "verifier/policy/boot_evidence.h"
#include "verifier/policy/offline_policy.h"
#include "verifier/policy/pcr_text.h"
#include "verifier/policy/policy.h"
#include "verifier/policy/policy_learn.h"
#include "verifier/policy/policy_names.h"

namespace vtpm::cli {
namespace {

namespace po = ::boost::program_options;
namespace v1 = ::vtpm_attest::v1;
using verifier::Policy;

// The parser's own limit (eventlog::ParseLimits) is 4 MiB.
constexpr size_t kMaxEventLogFile = 4 << 20;

constexpr char kUsage[] =
    "Usage: vtpm-attest policy learn --from-eventlog FILE [--pcrs FILE]\n"
    "       vtpm-attest policy learn --from-database DB (--vm-uuid UUID | "
    "--ek-fingerprint HEX)\n"
    "         [--name NAME] [--label KEY=VALUE]... [--golden-pcrs] [--out "
    "FILE]\n"
    "       vtpm-attest policy check --policy FILE --eventlog FILE\n"
    "         [--pcrs FILE] [--json]\n"
    "       vtpm-attest policy list|apply|reload ...   (the fleet's policies,\n"
    "         through a verifier's admin API; see `policy apply --help`)\n\n"
    "learn  writes the policy that accepts exactly the boot an event log\n"
    "       describes (a known-good \"golden\" VM's\n"
    "       /sys/kernel/security/tpm0/binary_bios_measurements).\n"
    "check  judges an event log against a policy file with the verifier's\n"
    "       rules; rules that need a live agent (TPM facts, EK, freshness)\n"
    "       are listed as not judged.\n\n"
    "--pcrs names the PCR values the log must replay to, one \"INDEX HEX\"\n"
    "(sha256) or \"BANK:INDEX HEX\" per line (e.g. read in the guest from\n"
    "/sys/class/tpm/tpm0/pcr-sha256/N). Without it the log is only checked\n"
    "against itself.\n\n"
    "Exit codes: 0 the policy holds (learn: policy written), 1 a rule or\n"
    "an event-log check failed, 2 usage or I/O error.\n";

void PrintUsage(std::FILE* out) { std::fputs(kUsage, out); }

// Boost.Program_options reports errors by throwing; this is the one place
// they are turned into an exit code. Returns -1 to go on.
int ParseOptions(const char* what, int argc, char** argv,
                 po::options_description& desc) {
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    if (vm.count("help")) {
      PrintUsage(stdout);
      std::cout << "\n" << desc << "\n";
      return kExitOk;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "vtpm-attest policy " << what << ": " << e.what() << "\n\n"
              << desc << "\n";
    return kExitUsage;
  }
  return -1;
}

// The evidence both subcommands start from.
struct Evidence {
  vtpm::PcrValues quoted;  // from --pcrs, or the log's own replay
  bool pcrs_from_file = false;
  verifier::VerifiedBoot boot;
};

// Loads --pcrs, or replays the log (banks the policy accepts only) when
// there is no PCR file. I/O and format errors are plain statuses (exit 2).
absl::StatusOr<vtpm::PcrValues> LoadQuoted(const std::string& log,
                                           const std::string& pcrs_path,
                                           const Policy& policy) {
  if (!pcrs_path.empty()) {
    auto text = ReadFileBytes(pcrs_path);
    if (!text.ok()) return text.status();
    auto pcrs = verifier::ParsePcrText(*text);
    if (!pcrs.ok()) return WithContext(pcrs.status(), pcrs_path);
    return pcrs;
  }
  auto parsed = eventlog::ParseEventLog(log);
  if (!parsed.ok()) {
    return ReasonError(v1::EVENTLOG_MALFORMED,
                       absl::StrCat("event log: ", parsed.status().message()));
  }
  auto replayed = eventlog::Replay(*parsed);
  if (!replayed.ok()) {
    return ReasonError(
        v1::EVENTLOG_MALFORMED,
        absl::StrCat("event log replay: ", replayed.status().message()));
  }
  vtpm::PcrValues out;
  for (auto& [bank, values] : *replayed) {
    if (verifier::BankAccepted(policy, bank)) out[bank] = std::move(values);
  }
  if (out.empty()) {
    return ReasonError(v1::POLICY_BANK,
                       "the event log carries no bank the policy accepts");
  }
  return out;
}

// Reads the log and runs VerifyEventLog. A status with a reason code is
// evidence failing a check (exit 1); any other is an input error (exit 2).
absl::StatusOr<Evidence> LoadEvidence(const std::string& log_path,
                                      const std::string& pcrs_path,
                                      const Policy& policy,
                                      const bootstate::ExtractOptions& opts) {
  auto log = ReadFileBytes(log_path, kMaxEventLogFile);
  if (!log.ok()) return log.status();
  Evidence ev;
  auto quoted = LoadQuoted(*log, pcrs_path, policy);
  if (!quoted.ok()) return quoted.status();
  ev.quoted = *std::move(quoted);
  ev.pcrs_from_file = !pcrs_path.empty();
  auto boot = verifier::VerifyEventLog(*log, ev.quoted, opts);
  if (!boot.ok()) return WithContext(boot.status(), log_path);
  ev.boot = *std::move(boot);
  return ev;
}

bool IsEvidenceFailure(const absl::Status& s) {
  return ReasonOf(s) != v1::INTERNAL_ERROR;
}

// "sha256:0-9,14" for the (bank, PCR) pairs the replay verified.
std::string VerifiedText(const eventlog::ReplayMatch& match) {
  vtpm::PcrSelection sel;
  for (const auto& [bank, pcr] : match.verified) {
    auto it = std::find_if(sel.begin(), sel.end(),
                           [&](const auto& b) { return b.hash == bank; });
    if (it == sel.end()) {
      sel.push_back({bank, {}});
      it = sel.end() - 1;
    }
    it->pcrs.set(pcr);
  }
  return sel.empty() ? std::string("none") : vtpm::PcrSelectionToString(sel);
}

// ---------------------------------------------------------------- learn

struct LearnArgs {
  std::string eventlog;
  std::string database;
  std::string vm_uuid;
  std::string ek_fingerprint;
  std::string pcrs;
  std::string name = "learned";
  std::vector<std::string> labels;
  bool golden_pcrs = false;
  std::string out;
};

// Learns the policy for `state`, checks it loads, and writes it.
int WriteLearned(const vtpm_attest::v1::BootState& state,
                 const verifier::LearnOptions& learn, const LearnArgs& args,
                 const std::string& source) {
  auto policy = verifier::LearnPolicy(state, learn);
  if (!policy.ok()) {
    SafeFprintf(stderr, "vtpm-attest policy learn: %s\n",
                std::string(policy.status().message()).c_str());
    return kExitFailed;
  }
  auto json = verifier::PolicyToJson(*policy);
  if (!json.ok()) {
    SafeFprintf(stderr, "vtpm-attest policy learn: %s\n",
                std::string(json.status().message()).c_str());
    return kExitUsage;
  }
  // What is written must load: the verifier will read it back.
  auto reloaded = verifier::ParsePolicy(*json, "learned policy", args.name);
  if (!reloaded.ok()) {
    SafeFprintf(stderr, "vtpm-attest policy learn: internal error: %s\n",
                std::string(reloaded.status().message()).c_str());
    return kExitUsage;
  }
  if (args.out.empty()) {
    // The policy quotes the golden boot's strings (command lines): JSON
    // with terminal controls written as escapes, the same policy.
    std::string safe = MakeJsonTerminalSafe(*json);
    std::fputs(safe.c_str(), stdout);
  } else {
    std::ofstream out(args.out, std::ios::binary | std::ios::trunc);
    out << *json;
    out.close();
    if (!out) {
      SafeFprintf(stderr, "vtpm-attest policy learn: cannot write %s\n",
                  args.out.c_str());
      return kExitUsage;
    }
  }
  SafeFprintf(stderr, "vtpm-attest policy learn: policy '%s' from %s%s%s\n",
              args.name.c_str(), source.c_str(),
              args.out.empty() ? "" : " written to ", args.out.c_str());
  return kExitOk;
}

int RunLearn(int argc, char** argv) {
  LearnArgs args;
  po::options_description desc("policy learn options");
  desc.add_options()("help,h", "show this help")(
      "from-eventlog", po::value(&args.eventlog),
      "TCG event log of the known-good boot")(
      "from-database", po::value(&args.database),
      "or: the verifier's SQLite database, to learn from the last verified "
      "attestation of a golden VM (with --vm-uuid or --ek-fingerprint)")(
      "vm-uuid", po::value(&args.vm_uuid), "the golden VM (--from-database)")(
      "ek-fingerprint", po::value(&args.ek_fingerprint),
      "the golden VM's EK fingerprint (--from-database)")(
      "pcrs", po::value(&args.pcrs),
      "PCR values the log must replay to (\"[BANK:]INDEX HEX\" lines)")(
      "name", po::value(&args.name), "policy name (default \"learned\")")(
      "label", po::value(&args.labels)->composing(),
      "KEY=VALUE label that selects the policy (repeatable; default "
      "policy=NAME)")("golden-pcrs", po::bool_switch(&args.golden_pcrs),
                      "also pin the replayed PCR values (pcrValues)")(
      "out", po::value(&args.out), "write the policy here (default stdout)");
  if (int rc = ParseOptions("learn", argc, argv, desc); rc >= 0) return rc;

  verifier::LearnOptions learn;
  learn.name = args.name;
  learn.source = args.eventlog;
  learn.golden_pcrs = args.golden_pcrs;
  for (const std::string& kv : args.labels) {
    std::pair<std::string, std::string> p = absl::StrSplit(kv, '=');
    if (p.first.empty() || kv.find('=') == std::string::npos) {
      SafeFprintf(stderr,
                  "vtpm-attest policy learn: --label wants KEY=VALUE, got "
                  "'%s'\n",
                  kv.c_str());
      return kExitUsage;
    }
    learn.match_labels[p.first] = p.second;
  }

  if (args.eventlog.empty() == args.database.empty()) {
    SafeFprintf(stderr,
                "vtpm-attest policy learn: give exactly one of "
                "--from-eventlog and --from-database\n");
    return kExitUsage;
  }
  if (!args.database.empty()) {
    if (args.vm_uuid.empty() == args.ek_fingerprint.empty()) {
      SafeFprintf(stderr,
                  "vtpm-attest policy learn: --from-database needs exactly "
                  "one of --vm-uuid and --ek-fingerprint\n");
      return kExitUsage;
    }
    auto stored =
        LoadStoredBoot(args.database, args.vm_uuid, args.ek_fingerprint);
    if (!stored.ok()) {
      SafeFprintf(stderr, "vtpm-attest policy learn: %s\n",
                  std::string(stored.status().message()).c_str());
      return stored.status().code() == absl::StatusCode::kNotFound ? kExitFailed
                                                                   : kExitUsage;
    }
    learn.source = stored->description;
    return WriteLearned(stored->state, learn, args, stored->description);
  }

  // Learning tolerates every known quirk and records the ones the log
  // needed in allowedQuirks.
  bootstate::ExtractOptions opts;
  for (auto q : verifier::kKnownQuirks) opts.allowed_quirks.emplace(q);
  auto ev = LoadEvidence(args.eventlog, args.pcrs, Policy(), opts);
  if (!ev.ok()) {
    std::fprintf(
        stderr, "vtpm-attest policy learn: %s%s\n",
        IsEvidenceFailure(ev.status())
            ? absl::StrCat(ReasonCode_Name(ReasonOf(ev.status())), ": ").c_str()
            : "",
        std::string(ev.status().message()).c_str());
    return IsEvidenceFailure(ev.status()) ? kExitFailed : kExitUsage;
  }
  if (!ev->boot.findings.empty()) {
    SafeFprintf(stderr,
                "vtpm-attest policy learn: refusing to learn from a log "
                "with findings:\n");
    for (const auto& r : verifier::FindingsToReasons(ev->boot.findings)) {
      SafeFprintf(stderr, "  FAIL  %s: %s\n", ReasonCode_Name(r.code()).c_str(),
                  r.message().c_str());
    }
    return kExitFailed;
  }
  return WriteLearned(
      ev->boot.state, learn, args,
      absl::StrCat(
          args.eventlog, " (PCRs verified: ", VerifiedText(ev->boot.match),
          ev->pcrs_from_file ? "" : ", against the log's own replay", ")"));
}

// ---------------------------------------------------------------- check

struct CheckArgs {
  std::string policy;
  std::string eventlog;
  std::string pcrs;
  bool json = false;
};

void PrintCheckJson(const std::string& result, const std::string& policy_name,
                    const std::vector<v1::Reason>& reasons,
                    const std::vector<std::string>& not_judged,
                    const std::string& verified) {
  JsonWriter w;
  w.BeginObject();
  w.Key("result");
  w.String(result);
  w.Key("policy");
  w.String(policy_name);
  w.Key("reasons");
  w.BeginArray();
  for (const auto& r : reasons) {
    w.BeginObject();
    w.Key("code");
    w.String(ReasonCode_Name(r.code()));
    w.Key("message");
    w.String(r.message());
    w.EndObject();
  }
  w.EndArray();
  w.Key("notJudged");
  w.BeginArray();
  for (const auto& f : not_judged) w.String(f);
  w.EndArray();
  w.Key("verifiedPcrs");
  w.String(verified);
  w.EndObject();
  PrintJsonLine(w.str());
}

// A usage or input error: stderr, plus a JSON object with --json.
int CheckInputError(const CheckArgs& args, const absl::Status& status) {
  SafeFprintf(stderr, "vtpm-attest policy check: %s\n",
              std::string(status.message()).c_str());
  if (args.json) {
    v1::Reason r;
    r.set_code(v1::INTERNAL_ERROR);
    r.set_message(std::string(status.message()));
    PrintCheckJson("ERROR", "", {r}, {}, "");
  }
  return kExitUsage;
}

int RunCheck(int argc, char** argv) {
  CheckArgs args;
  po::options_description desc("policy check options");
  desc.add_options()("help,h", "show this help")(
      "policy", po::value(&args.policy)->required(), "policy file (JSON)")(
      "eventlog", po::value(&args.eventlog)->required(), "TCG event log")(
      "pcrs", po::value(&args.pcrs),
      "PCR values the log must replay to (\"[BANK:]INDEX HEX\" lines)")(
      "json", po::bool_switch(&args.json), "print a JSON object");
  if (int rc = ParseOptions("check", argc, argv, desc); rc >= 0) return rc;

  auto loaded = verifier::LoadPolicyFile(args.policy);
  if (!loaded.ok()) return CheckInputError(args, loaded.status());
  std::vector<std::string> not_judged;
  Policy policy = verifier::OfflinePolicy(*loaded, &not_judged);

  std::vector<v1::Reason> reasons;
  std::string verified = "none";
  auto ev = LoadEvidence(args.eventlog, args.pcrs, policy,
                         verifier::ExtractOptionsForPolicy(policy));
  if (!ev.ok()) {
    if (!IsEvidenceFailure(ev.status())) {
      return CheckInputError(args, ev.status());
    }
    // The verifier would fail the verdict with this one reason.
    reasons.push_back(ToReason(ev.status()));
  } else {
    verified = VerifiedText(ev->boot.match);
    reasons = verifier::FindingsToReasons(ev->boot.findings);
    verifier::PolicyInput in;
    in.pcrs = &ev->quoted;
    in.boot = &ev->boot.state;
    for (const auto& [bank, values] : ev->quoted) in.banks.insert(bank);
    for (auto& r : verifier::EvaluatePolicy(policy, in)) {
      reasons.push_back(std::move(r));
    }
  }

  const char* result = reasons.empty() ? "PASS" : "FAIL";
  if (args.json) {
    PrintCheckJson(result, policy.name(), reasons, not_judged, verified);
  } else {
    SafePrintf("policy check: policy %s (%s), event log %s\n",
               policy.name().c_str(), args.policy.c_str(),
               args.eventlog.c_str());
    SafePrintf("  PCRs verified: %s%s\n", verified.c_str(),
               ev.ok() && !ev->pcrs_from_file
                   ? " (against the log's own replay: no --pcrs)"
                   : "");
    if (!not_judged.empty()) {
      SafePrintf("  not judged offline: %s\n",
                 absl::StrJoin(not_judged, ", ").c_str());
    }
    for (const auto& r : reasons) {
      SafePrintf("  FAIL  %s: %s\n", ReasonCode_Name(r.code()).c_str(),
                 r.message().c_str());
    }
    SafePrintf("result: %s\n", result);
  }
  return reasons.empty() ? kExitOk : kExitFailed;
}

int Run(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return kExitUsage;
  }
  if (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    PrintUsage(stdout);
    return kExitOk;
  }
  if (std::strcmp(argv[1], "learn") == 0) return RunLearn(argc - 1, argv + 1);
  if (std::strcmp(argv[1], "check") == 0) return RunCheck(argc - 1, argv + 1);
  if (IsPolicyAdminVerb(argv[1])) return RunPolicyAdmin(argc - 1, argv + 1);
  SafeFprintf(stderr, "vtpm-attest policy: unknown command '%s'\n\n", argv[1]);
  PrintUsage(stderr);
  return kExitUsage;
}

}  // namespace

Subcommand PolicySubcommand() {
  return {"policy",
          "learn|check a policy offline; list|apply|reload the fleet's", &Run};
}

}  // namespace vtpm::cli
