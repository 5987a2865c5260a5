// `vtpm-attest verify-quote`: loads tpm2-tools files, runs
// vtpm::verifier::VerifyQuote and reports every check.
#include "verifier/cli/verify_quote_command.h"

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/hex.h"
#include "common/reason.h"
#include "common/tpm_alg.h"
#include "verifier/cli/json_writer.h"
#include "verifier/cli/quote_inputs.h"
#include "verifier/cli/safe_print.h"
#include "verifier/quote/quote_verifier.h"

namespace vtpm::cli {
namespace {

namespace po = ::boost::program_options;
using verifier::QuoteCheck;
using verifier::QuoteCheckResult;
using verifier::VerifiedQuote;

constexpr char kUsage[] =
    "Usage: vtpm-attest verify-quote --ak-public FILE --message FILE\n"
    "         --signature FILE --pcr-values FILE --nonce HEX\n"
    "         [--pcrs SELECTION] [--json]\n\n"
    "Verifies a TPM2_Quote as the vtpm-attest verifier does, from the files\n"
    "of `tpm2_quote -m MSG -s SIG -o PCRS -q NONCE`. Prints each check with\n"
    "ok/FAIL; exit 0 when every check holds, 1 when one fails, 2 on a usage\n"
    "or I/O error.\n\n"
    "The AK may be a TPM2B_PUBLIC (tpm2_createak -u) or a PEM public key;\n"
    "with PEM the AK's TPM attributes (restricted, sign, fixedTPM,\n"
    "sensitiveDataOrigin, not decrypt) and its own signing scheme are\n"
    "unknown and not checked.\n\n"
    "Options";

struct Args {
  std::string ak_public;
  std::string message;
  std::string signature;
  std::string pcr_values;
  std::string nonce_hex;
  std::string pcrs;
  bool json = false;
};

// Parses the command line into `args`. Returns -1 to go on, or an exit
// code (help printed, or a usage error reported).
int ParseArgs(int argc, char** argv, Args* args) {
  po::options_description desc(kUsage);
  desc.add_options()("help,h", "show this help")(
      "ak-public", po::value(&args->ak_public)->required(),
      "AK public key: TPM2B_PUBLIC or PEM")(
      "message", po::value(&args->message)->required(),
      "TPMS_ATTEST (tpm2_quote -m)")(
      "signature", po::value(&args->signature)->required(),
      "TPMT_SIGNATURE (tpm2_quote -s, format tss)")(
      "pcr-values", po::value(&args->pcr_values)->required(),
      "PCR file (tpm2_quote -o; serialized, or values with --pcrs)")(
      "nonce", po::value(&args->nonce_hex)->required(),
      "expected qualifying data, hex (tpm2_quote -q)")(
      "pcrs", po::value(&args->pcrs),
      "PCR selection, e.g. sha256:0-7 (needed for a values file)")(
      "json", po::bool_switch(&args->json), "print a JSON object");
  // Boost.Program_options reports errors by throwing; this is the one
  // place they are turned into an exit code.
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return kExitOk;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "vtpm-attest verify-quote: " << e.what() << "\n\n"
              << desc << "\n";
    return kExitUsage;
  }
  return -1;
}

std::string ClockText(const TPMS_CLOCK_INFO& c) {
  return absl::StrFormat("clock %d ms, resetCount %d, restartCount %d, safe %s",
                         c.clock, c.resetCount, c.restartCount,
                         c.safe == TPM2_YES ? "yes" : "no");
}

void PrintText(const std::string& ak_desc,
               const std::vector<QuoteCheckResult>& trace,
               const absl::StatusOr<VerifiedQuote>& result) {
  SafePrintf("verify-quote: AK %s\n", ak_desc.c_str());
  for (int i = 0; i < verifier::kNumQuoteChecks; ++i) {
    auto check = static_cast<QuoteCheck>(i);
    std::string name(verifier::QuoteCheckName(check));
    if (static_cast<size_t>(i) >= trace.size()) {
      SafePrintf("  --    %-14s not run\n", name.c_str());
      continue;
    }
    const QuoteCheckResult& r = trace[i];
    if (r.status.ok()) {
      SafePrintf("  ok    %s%s%s\n", name.c_str(), r.note.empty() ? "" : ": ",
                 r.note.c_str());
    } else {
      SafePrintf("  FAIL  %s: %s: %s\n", name.c_str(),
                 ReasonCode_Name(ReasonOf(r.status)).c_str(),
                 std::string(r.status.message()).c_str());
    }
  }
  if (!result.ok()) {
    SafePrintf("result: FAIL (%s)\n",
               ReasonCode_Name(ReasonOf(result.status())).c_str());
    return;
  }
  SafePrintf("result: PASS\n%s, firmware 0x%016llx\n",
             ClockText(result->clock).c_str(),
             static_cast<unsigned long long>(result->firmware_version));
  SafePrintf("pcrDigest: %s\npcrs:\n", HexEncode(result->pcr_digest).c_str());
  for (const auto& [bank, values] : result->pcrs) {
    SafePrintf("  %s:\n", HashAlgName(bank).c_str());
    for (const auto& [index, value] : values) {
      SafePrintf("    %-2u: %s\n", index, HexEncode(value).c_str());
    }
  }
}

void PrintJson(const std::vector<QuoteCheckResult>& trace,
               const absl::StatusOr<VerifiedQuote>& result) {
  JsonWriter w;
  w.BeginObject();
  w.Key("result");
  w.String(result.ok() ? "PASS" : "FAIL");
  w.Key("reasons");
  w.BeginArray();
  if (!result.ok()) {
    w.BeginObject();
    w.Key("code");
    w.String(ReasonCode_Name(ReasonOf(result.status())));
    w.Key("message");
    w.String(result.status().message());
    w.EndObject();
  }
  w.EndArray();
  w.Key("checks");
  w.BeginArray();
  for (const QuoteCheckResult& r : trace) {
    w.BeginObject();
    w.Key("name");
    w.String(verifier::QuoteCheckName(r.check));
    w.Key("ok");
    w.Bool(r.status.ok());
    if (!r.note.empty()) {
      w.Key("note");
      w.String(r.note);
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("clock");
  if (result.ok()) {
    w.BeginObject();
    w.Key("clock");
    w.Number(result->clock.clock);
    w.Key("resetCount");
    w.Number(result->clock.resetCount);
    w.Key("restartCount");
    w.Number(result->clock.restartCount);
    w.Key("safe");
    w.Bool(result->clock.safe == TPM2_YES);
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("firmwareVersion");
  if (result.ok()) {
    w.String(absl::StrFormat("%016x", result->firmware_version));
  } else {
    w.Null();
  }
  w.Key("pcrDigest");
  if (result.ok()) {
    w.String(HexEncode(result->pcr_digest));
  } else {
    w.Null();
  }
  // Only verified values are reported.
  w.Key("pcrs");
  w.BeginObject();
  if (result.ok()) {
    for (const auto& [bank, values] : result->pcrs) {
      w.Key(HashAlgName(bank));
      w.BeginObject();
      for (const auto& [index, value] : values) {
        w.Key(absl::StrCat(index));
        w.String(HexEncode(value));
      }
      w.EndObject();
    }
  }
  w.EndObject();
  w.EndObject();
  PrintJsonLine(w.str());
}

// A usage or input error: stderr, plus a JSON object with --json.
int InputError(const Args& args, const absl::Status& status) {
  SafeFprintf(stderr, "vtpm-attest verify-quote: %s\n",
              std::string(status.message()).c_str());
  if (args.json) {
    JsonWriter w;
    w.BeginObject();
    w.Key("result");
    w.String("ERROR");
    w.Key("reasons");
    w.BeginArray();
    w.BeginObject();
    w.Key("code");
    // Unreadable files are INTERNAL_ERROR, unparsable ones MALFORMED_MESSAGE.
    ReasonCode code = ReasonOf(status);
    if (code == vtpm_attest::v1::INTERNAL_ERROR &&
        status.code() == absl::StatusCode::kInvalidArgument) {
      code = vtpm_attest::v1::MALFORMED_MESSAGE;
    }
    w.String(ReasonCode_Name(code));
    w.Key("message");
    w.String(status.message());
    w.EndObject();
    w.EndArray();
    w.EndObject();
    PrintJsonLine(w.str());
  }
  return kExitUsage;
}

int Run(int argc, char** argv) {
  Args args;
  if (int rc = ParseArgs(argc, argv, &args); rc >= 0) return rc;

  auto ak_file = ReadFileBytes(args.ak_public);
  if (!ak_file.ok()) return InputError(args, ak_file.status());
  auto ak = LoadAk(*ak_file);
  if (!ak.ok()) {
    return InputError(args, WithContext(ak.status(), args.ak_public));
  }
  auto nonce = HexDecode(args.nonce_hex);
  if (!nonce.ok()) {
    return InputError(args, WithContext(nonce.status(), "--nonce"));
  }
  verifier::QuoteEvidence evidence;
  auto message = ReadFileBytes(args.message);
  if (!message.ok()) return InputError(args, message.status());
  evidence.attest = *std::move(message);
  auto signature = ReadFileBytes(args.signature);
  if (!signature.ok()) return InputError(args, signature.status());
  evidence.signature = *std::move(signature);
  auto pcr_file = ReadFileBytes(args.pcr_values);
  if (!pcr_file.ok()) return InputError(args, pcr_file.status());
  auto pcrs = LoadPcrs(*pcr_file, args.pcrs);
  if (!pcrs.ok()) {
    return InputError(args, WithContext(pcrs.status(), args.pcr_values));
  }

  verifier::QuoteExpectation expected;
  if (ak->public_area) {
    expected.ak = *ak->public_area;
  } else {
    expected.prepared_ak = ak->bare_key;
  }
  expected.nonce = *std::move(nonce);
  expected.selection = pcrs->first;
  evidence.pcrs = std::move(pcrs->second);

  std::vector<QuoteCheckResult> trace;
  auto result = verifier::VerifyQuote(evidence, expected, &trace);
  if (args.json) {
    PrintJson(trace, result);
  } else {
    PrintText(ak->description, trace, result);
  }
  if (result.ok()) return kExitOk;
  // A failed check carries a reason code; anything else is the tool's own
  // failure.
  return ReasonOf(result.status()) == vtpm_attest::v1::INTERNAL_ERROR
             ? kExitUsage
             : kExitFailed;
}

}  // namespace

Subcommand VerifyQuoteSubcommand() {
  return {"verify-quote", "verify a TPM2_Quote from tpm2_quote's files", &Run};
}

}  // namespace vtpm::cli
