// `vtpm-attest eventlog show FILE [--format json|text] [--pcrs FILE]`.
#include "verifier/cli/eventlog_command.h"

#include <google/protobuf/util/json_util.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/bootstate/boot_state.h"
#include "common/eventlog/event_log.h"
#include "common/eventlog/replay.h"
#include "common/hex.h"
#include "common/proto_json.h"
#include "common/reason.h"
#include "common/tpm_alg.h"
#include "verifier/cli/json_writer.h"
#include "verifier/cli/quote_inputs.h"
#include "verifier/cli/safe_print.h"
#include "verifier/policy/pcr_text.h"

namespace vtpm::cli {
namespace {

namespace po = ::boost::program_options;
using bootstate::Extraction;
using bootstate::Finding;

constexpr char kUsage[] =
    "Usage: vtpm-attest eventlog show FILE [--format json|text] "
    "[--pcrs FILE]\n"
    "         [--allow-quirk NAME]... [--os-extended-pcr N]...\n\n"
    "Parses a TCG PC Client event log (binary_bios_measurements), replays\n"
    "it and prints the boot state the verifier extracts from it: Secure\n"
    "Boot databases and authorities, boot applications, kernel command\n"
    "lines, UKI sections, Windows boot configuration, and every finding\n"
    "(digest mismatches, unexpected event types, values measured twice,\n"
    "events after ExitBootServices, quirks the log needs). With --format\n"
    "json every event carries its digest basis (RECOMPUTED from data the\n"
    "verifier understands, or OPAQUE: only an allowlist accounts for it).\n\n"
    "Without --pcrs every PCR the log touches counts as verified, so the\n"
    "output is not checked against a quote. With --pcrs the log must\n"
    "replay to those values (lines \"INDEX HEX\" for sha256, or\n"
    "\"BANK:INDEX HEX\"; '#' starts a comment) and only matching PCRs are\n"
    "used. Exit 0 when there is no finding, 1 when the log is malformed,\n"
    "does not match --pcrs or has findings, 2 on a usage or I/O error.\n\n"
    "Options";

// Event logs are at most this large (ParseLimits' default).
constexpr size_t kMaxLogSize = 4 << 20;

struct Args {
  std::string action;
  std::string file;
  std::string format = "text";
  std::string pcrs;
  std::vector<std::string> allow_quirks;
  std::vector<uint32_t> os_extended_pcrs;
};

int ParseArgs(int argc, char** argv, Args* args) {
  po::options_description desc(kUsage);
  desc.add_options()("help,h", "show this help")(
      "format", po::value(&args->format)->default_value("text"),
      "output format: text or json")(
      "pcrs", po::value(&args->pcrs),
      "PCR values the log must replay to (\"INDEX HEX\" lines, sha256)")(
      "allow-quirk", po::value(&args->allow_quirks)->composing(),
      "a quirk to tolerate (repeatable), e.g. qemu-direct-kernel-boot")(
      "os-extended-pcr", po::value(&args->os_extended_pcrs)->composing(),
      "a PCR the OS may extend after ExitBootServices (repeatable, 0-23), "
      "as a policy's boot.osExtendedPcrs");
  po::options_description hidden;
  hidden.add_options()("action", po::value(&args->action))(
      "file", po::value(&args->file));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("action", 1).add("file", 1);
  // Boost.Program_options reports errors by throwing; this is the one
  // place they are turned into an exit code.
  try {
    po::variables_map vm;
    po::store(
        po::command_line_parser(argc, argv).options(all).positional(pos).run(),
        vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return kExitOk;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "vtpm-attest eventlog: " << e.what() << "\n\n" << desc << "\n";
    return kExitUsage;
  }
  std::string problem;
  if (args->action != "show") {
    problem = args->action.empty()
                  ? "missing action (show)"
                  : absl::StrCat("unknown action '", args->action, "'");
  } else if (args->file.empty()) {
    problem = "missing event log FILE";
  } else if (args->format != "text" && args->format != "json") {
    problem =
        absl::StrCat("--format must be text or json, not '", args->format, "'");
  }
  for (uint32_t pcr : args->os_extended_pcrs) {
    if (pcr > 23)
      problem = absl::StrCat("--os-extended-pcr ", pcr, " is not 0-23");
  }
  if (!problem.empty()) {
    std::cerr << "vtpm-attest eventlog: " << problem << "\n\n" << desc << "\n";
    return kExitUsage;
  }
  return -1;
}

std::string FindingsJson(const std::vector<Finding>& findings) {
  JsonWriter w;
  w.BeginArray();
  for (const Finding& f : findings) {
    w.BeginObject();
    w.Key("code");
    w.String(ReasonCode_Name(f.code));
    w.Key("event_index");
    w.Number(f.event_index);
    w.Key("message");
    w.String(f.message);
    w.EndObject();
  }
  w.EndArray();
  return w.str();
}

absl::Status PrintJson(const Extraction& x, bool checked,
                       const std::string& verification) {
  // The boot state, plus its PCR map and decoded events at the top level
  // for scripts: "pcrs": {"sha256": {"0": "hex", ...}, ...}.
  auto state = ToJsonValue(x.state, {.always_print_primitive_fields = true});
  if (!state.ok()) return state.status();
  const auto& fields = state->struct_value().fields();
  auto part = [&](const char* key) -> absl::StatusOr<std::string> {
    auto it = fields.find(key);
    if (it == fields.end()) return std::string("null");
    return JsonValueToString(it->second);
  };
  auto pcrs = part("pcrs");
  auto events = part("events");
  auto whole = JsonValueToString(*state);
  if (!pcrs.ok() || !events.ok() || !whole.ok()) {
    return absl::InternalError("boot state to JSON failed");
  }
  PrintJsonLine(absl::StrCat(
      "{\"result\":", JsonQuote(x.findings.empty() ? "PASS" : "FAIL"),
      ",\"pcrs_checked\":", checked ? "true" : "false",
      ",\"verification\":", JsonQuote(verification),
      ",\"findings\":", FindingsJson(x.findings), ",\"pcrs\":", *pcrs,
      ",\"events\":", *events, ",\"boot_state\":", *whole, "}"));
  return absl::OkStatus();
}

std::string DigestsText(
    const google::protobuf::Map<std::string, std::string>& digests) {
  std::vector<std::string> parts;
  for (const auto& [bank, hex] : digests) {
    parts.push_back(absl::StrCat(bank, ":", hex));
  }
  std::sort(parts.begin(), parts.end());
  return absl::StrJoin(parts, " ");
}

void PrintList(const char* title,
               const google::protobuf::RepeatedPtrField<std::string>& items) {
  if (items.empty()) return;
  SafePrintf("%s:\n", title);
  for (const auto& s : items) SafePrintf("  %s\n", s.c_str());
}

void PrintSignatures(
    const char* title,
    const google::protobuf::RepeatedPtrField<vtpm_attest::v1::SignatureEntry>&
        entries) {
  SafePrintf("%s: %d entries\n", title, entries.size());
  for (const auto& e : entries) {
    std::string what =
        !e.subject().empty()
            ? e.subject()
            : (e.type() == vtpm_attest::v1::SignatureEntry::TYPE_OTHER
                   ? absl::StrCat("type ", e.signature_type())
                   : absl::StrCat("sha256 ", e.sha256()));
    SafePrintf("  %s\n", what.c_str());
  }
}

void PrintText(const Extraction& x, const std::string& verification) {
  const auto& st = x.state;
  SafePrintf("eventlog: %s, banks %s; %s\n", st.log_format().c_str(),
             absl::StrJoin(st.banks(), ",",
                           [](std::string* out, int b) {
                             absl::StrAppend(
                                 out,
                                 HashAlgName(static_cast<TPMI_ALG_HASH>(b)));
                           })
                 .c_str(),
             verification.c_str());
  SafePrintf("events:\n");
  for (const auto& e : st.events()) {
    SafePrintf("  %4u  PCR %-2u %-34s %s\n", e.index(), e.pcr(),
               e.type_name().c_str(), e.description().c_str());
  }
  SafePrintf(
      "\nfirmware version: \"%s\"%s%s\n", st.firmware_version().c_str(),
      st.h_crtm() ? ", H-CRTM" : "",
      st.startup_locality() != 0
          ? absl::StrCat(", startup locality ", st.startup_locality()).c_str()
          : "");
  PrintList("firmware blobs", st.firmware_blobs());
  SafePrintf("secure boot: %s\n", !st.secure_boot_known() ? "unknown"
                                  : st.secure_boot()      ? "on"
                                                          : "off");
  PrintSignatures("PK", st.pk());
  PrintSignatures("KEK", st.kek());
  PrintSignatures("db", st.db());
  PrintSignatures("dbx", st.dbx());
  PrintSignatures("authorities", st.authorities());
  auto apps = [](const char* title, const auto& list) {
    if (list.empty()) return;
    SafePrintf("%s:\n", title);
    for (const auto& a : list) {
      SafePrintf("  event %u: %s\n    %s\n", a.event_index(),
                 a.device_path().empty() ? "<no device path>"
                                         : a.device_path().c_str(),
                 DigestsText(a.digests()).c_str());
    }
  };
  apps("drivers", st.drivers());
  apps("boot applications", st.boot_applications());
  PrintList("boot order", st.boot_order());
  PrintList("grub commands", st.grub_commands());
  for (const auto& c : st.kernel_cmdlines()) {
    const std::string what =
        c.text().empty() ? absl::StrCat("sha256 ", c.sha256()) : c.text();
    SafePrintf("kernel command line: %s (event %u, PCR %u, %s)\n", what.c_str(),
               c.event_index(), c.pcr(), c.source().c_str());
  }
  if (!st.kernel_and_initrd().empty()) {
    SafePrintf("kernel and initrd:\n");
    for (const auto& f : st.kernel_and_initrd()) {
      SafePrintf("  PCR %u %s\n    %s\n", f.pcr(), f.name().c_str(),
                 DigestsText(f.digests()).c_str());
    }
  }
  if (!st.uki_sections().empty()) {
    SafePrintf("UKI sections:\n");
    for (const auto& s : st.uki_sections()) {
      SafePrintf("  %-10s %s\n", s.name().c_str(),
                 DigestsText(s.digests()).c_str());
    }
  }
  if (!st.gpt().empty()) {
    SafePrintf("GPT:\n");
    for (const auto& p : st.gpt()) {
      SafePrintf(
          "  %s type %s LBA %llu-%llu \"%s\"\n", p.unique_guid().c_str(),
          p.type_guid().c_str(), static_cast<unsigned long long>(p.first_lba()),
          static_cast<unsigned long long>(p.last_lba()), p.name().c_str());
    }
  }
  if (st.has_windows()) {
    const auto& w = st.windows();
    SafePrintf(
        "windows: boot counter %llu, bitlocker unlocked %d, test signing %d, "
        "debugging %d (boot %d, kernel %d), code integrity %d, safe mode %d, "
        "WinPE %d\n",
        static_cast<unsigned long long>(w.boot_counter()),
        w.bitlocker_unlocked(), w.test_signing(), w.debugging(),
        w.boot_debugging(), w.kernel_debugging(), w.code_integrity_enabled(),
        w.safe_mode(), w.winpe());
    PrintList("windows loaded modules", w.loaded_modules());
  }
  PrintList("quirks used", st.quirks_used());
  SafePrintf("pcrs:\n");
  for (const auto& [bank, map] : st.pcrs()) {
    std::vector<std::pair<int, std::string>> sorted;
    for (const auto& [index, hex] : map.values()) {
      int i = 0;
      (void)absl::SimpleAtoi(index, &i);
      sorted.emplace_back(i, hex);
    }
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [i, hex] : sorted) {
      SafePrintf("  %s:%-2d %s\n", bank.c_str(), i, hex.c_str());
    }
  }
  PrintList("notes", st.notes());
  if (x.findings.empty()) {
    SafePrintf("result: PASS (no findings)\n");
    return;
  }
  SafePrintf("findings:\n");
  for (const Finding& f : x.findings) {
    SafePrintf("  %s: %s\n", ReasonCode_Name(f.code).c_str(),
               f.message.c_str());
  }
  SafePrintf("result: FAIL (%zu findings)\n", x.findings.size());
}

// A rejected log (malformed, or not matching --pcrs): stderr, plus a JSON
// object for --format json.
int Rejected(const Args& args, const absl::Status& status) {
  SafeFprintf(stderr, "vtpm-attest eventlog: %s: %s\n",
              ReasonCode_Name(ReasonOf(status)).c_str(),
              std::string(status.message()).c_str());
  if (args.format == "json") {
    JsonWriter w;
    w.BeginObject();
    w.Key("result");
    w.String("FAIL");
    w.Key("findings");
    w.BeginArray();
    w.BeginObject();
    w.Key("code");
    w.String(ReasonCode_Name(ReasonOf(status)));
    w.Key("message");
    w.String(status.message());
    w.EndObject();
    w.EndArray();
    w.EndObject();
    PrintJsonLine(w.str());
  }
  return ReasonOf(status) == vtpm_attest::v1::INTERNAL_ERROR ? kExitUsage
                                                             : kExitFailed;
}

int Run(int argc, char** argv) {
  Args args;
  if (int rc = ParseArgs(argc, argv, &args); rc >= 0) return rc;
  auto bytes = ReadFileBytes(args.file, kMaxLogSize);
  if (!bytes.ok()) {
    SafeFprintf(stderr, "vtpm-attest eventlog: %s\n",
                std::string(bytes.status().message()).c_str());
    return kExitUsage;
  }
  auto log = eventlog::ParseEventLog(*bytes);
  if (!log.ok()) {
    return Rejected(args, ReasonError(vtpm_attest::v1::EVENTLOG_MALFORMED,
                                      log.status().message()));
  }

  PcrValues quoted;
  std::string verification;
  if (args.pcrs.empty()) {
    auto replayed = eventlog::Replay(*log);
    if (!replayed.ok()) return Rejected(args, replayed.status());
    quoted = *std::move(replayed);
    verification =
        "not checked against a quote: every PCR the log touches counts as "
        "verified";
  } else {
    auto text = ReadFileBytes(args.pcrs);
    if (!text.ok()) {
      SafeFprintf(stderr, "vtpm-attest eventlog: %s\n",
                  std::string(text.status().message()).c_str());
      return kExitUsage;
    }
    auto values = verifier::ParsePcrText(*text);
    if (!values.ok()) {
      SafeFprintf(stderr, "vtpm-attest eventlog: %s: %s\n", args.pcrs.c_str(),
                  std::string(values.status().message()).c_str());
      return kExitUsage;
    }
    quoted = *std::move(values);
    verification =
        absl::StrCat("checked against the PCR values in ", args.pcrs);
  }
  auto match = eventlog::MatchQuotedPcrs(*log, quoted);
  if (!match.ok()) return Rejected(args, match.status());

  bootstate::ExtractOptions options;
  options.allowed_quirks.insert(args.allow_quirks.begin(),
                                args.allow_quirks.end());
  options.os_extended_pcrs.insert(args.os_extended_pcrs.begin(),
                                  args.os_extended_pcrs.end());
  auto extraction = bootstate::ExtractBootState(*log, *match, options);
  if (!extraction.ok()) return Rejected(args, extraction.status());
  if (args.format == "json") {
    if (absl::Status s =
            PrintJson(*extraction, !args.pcrs.empty(), verification);
        !s.ok()) {
      return Rejected(args, s);
    }
  } else {
    PrintText(*extraction, verification);
  }
  return extraction->findings.empty() ? kExitOk : kExitFailed;
}

}  // namespace

Subcommand EventlogSubcommand() {
  return {"eventlog",
          "show the boot state in a TCG event log (eventlog show FILE)", &Run};
}

}  // namespace vtpm::cli
