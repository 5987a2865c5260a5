// vtpm-attest-agent: proves this machine's boot state to a verifier with
// its (v)TPM.
//
//   vtpm-attest-agent run                 daemon: keep a stream, answer
//                                         every challenge, reconnect
//   vtpm-attest-agent attest --once       CI gate: one attestation; exit 0
//                                         PASS, 1 FAIL, 2 error
//   vtpm-attest-agent quote --nonce HEX --pcrs sha256:0-7 --out DIR
//                                         offline evidence in tpm2-tools
//                                         formats
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/attestor.h"
#include "agent/client.h"
#include "agent/tpm/quote.h"
#include "agent/version.h"
#include "common/guest_text.h"
#include "common/hex.h"
#include "common/pcr_selection.h"
#include "common/proto_json.h"
#include "common/reason.h"
#include "common/tpm2tools/pcr_file.h"
#include "common/tpm_public.h"
#include "google/protobuf/util/json_util.h"

namespace po = boost::program_options;
using vtpm::agent::AkAlgorithm;
using vtpm::agent::EkAlgorithm;

namespace {

constexpr int kExitPass = 0;
constexpr int kExitFail = 1;
constexpr int kExitError = 2;

std::atomic<bool> g_stop{false};

struct Common {
  std::string config;
  std::string tcti;
  std::string state_dir;
  std::string ek_alg;
  std::string ak_alg;
  std::vector<std::string> labels;
  std::string verifier;
  std::string ca_cert;
  std::string tls_server_name;
  unsigned timeout = 120;
  bool json = false;
  std::string platform_root;
};

// The platform, with every /sys, /etc and /proc path under `root` when it
// is set (containers and tests that present a guest's files elsewhere).
std::unique_ptr<vtpm::agent::Platform> MakePlatform(const Common& c) {
  if (c.platform_root.empty()) return vtpm::agent::CreateNativePlatform();
  vtpm::agent::LinuxPaths paths;
  paths.root = c.platform_root;
  return vtpm::agent::CreateLinuxPlatform(paths);
}

po::options_description CommonOptions(Common* c) {
  po::options_description o("Agent options (also read from --config, INI)");
  o.add_options()(
      "tcti", po::value(&c->tcti),
      "TPM TCTI, e.g. device:/dev/tpmrm0 or swtpm:path=SOCK (default: "
      "device:/dev/tpmrm0, then device:/dev/tpm0)")(
      "state-dir",
      po::value(&c->state_dir)->default_value("/var/lib/vtpm-attest"),
      "where the AK blobs are kept")(
      "ek-algorithm", po::value(&c->ek_alg)->default_value("auto"),
      "auto|rsa2048|ecc-p256|ecc-p384")(
      "ak-algorithm", po::value(&c->ak_alg)->default_value("ecc-p256"),
      "ecc-p256 (ECDSA-SHA256) or rsa2048 (RSASSA-SHA256)")(
      "label", po::value(&c->labels)->composing(),
      "KEY=VALUE label sent to the verifier (repeatable)")(
      "verifier", po::value(&c->verifier),
      "verifier address host:port; several replicas as host1:port,host2:port")(
      "ca-cert",
      po::value(&c->ca_cert)->default_value("/etc/vtpm-attest/verifier-ca.pem"),
      "PEM CA bundle that signed the verifier's TLS certificate")(
      "tls-server-name", po::value(&c->tls_server_name),
      "name to expect in the verifier's certificate (default: host part of "
      "--verifier)")("timeout", po::value(&c->timeout)->default_value(120),
                     "seconds for one attestation (attest --once)")(
      "json", po::bool_switch(&c->json), "print verdicts as JSON")(
      "platform-root", po::value(&c->platform_root),
      "read the guest's /sys, /etc and /proc files under this directory "
      "(containers, tests)");
  return o;
}

absl::StatusOr<vtpm::agent::AttestorOptions> ToAttestorOptions(
    const Common& c) {
  vtpm::agent::AttestorOptions o;
  o.tcti = c.tcti;
  o.state_dir = c.state_dir;
  if (c.ek_alg == "auto")
    o.ek_algorithm = EkAlgorithm::kAuto;
  else if (c.ek_alg == "rsa2048")
    o.ek_algorithm = EkAlgorithm::kRsa2048;
  else if (c.ek_alg == "ecc-p256")
    o.ek_algorithm = EkAlgorithm::kEccP256;
  else if (c.ek_alg == "ecc-p384")
    o.ek_algorithm = EkAlgorithm::kEccP384;
  else
    return absl::InvalidArgumentError("unknown --ek-algorithm " + c.ek_alg);
  if (c.ak_alg == "ecc-p256")
    o.ak_algorithm = AkAlgorithm::kEccP256;
  else if (c.ak_alg == "rsa2048")
    o.ak_algorithm = AkAlgorithm::kRsa2048;
  else
    return absl::InvalidArgumentError("unknown --ak-algorithm " + c.ak_alg);
  for (const auto& l : c.labels) {
    std::pair<std::string, std::string> kv =
        absl::StrSplit(l, absl::MaxSplits('=', 1));
    // The verifier refuses labels outside these sets (INVALID_TEXT): say so
    // here, before anything is sent.
    if (!vtpm::IsValidLabelKey(kv.first) ||
        !vtpm::IsValidLabelValue(kv.second)) {
      return absl::InvalidArgumentError(
          "bad --label " + l +
          ": KEY is 1-63 of [A-Za-z0-9._/-] starting with a letter or digit, "
          "VALUE up to 256 printable ASCII characters");
    }
    o.labels[kv.first] = kv.second;
  }
  if (absl::StartsWith(c.tcti, "swtpm") || absl::StartsWith(c.tcti, "mssim")) {
    o.interface_override = vtpm_attest::v1::TPM_INTERFACE_EMULATOR;
  }
  return o;
}

void PrintVerdict(const vtpm_attest::v1::Verdict& v, bool json) {
  if (json) {
    auto out = vtpm::ToJson(v);
    std::cout << (out.ok() ? *out : "{}") << std::endl;
    return;
  }
  absl::string_view result = vtpm_attest::v1::Result_Name(v.result());
  absl::ConsumePrefix(&result, "RESULT_");
  std::cout << "verdict: " << result << "\n"
            << "  vm_uuid: " << v.identity().vm_uuid() << "\n"
            << "  ek_fingerprint: " << v.identity().ek_fingerprint() << "\n"
            << "  policy: " << v.policy() << "\n"
            << "  verdict_id: " << v.verdict_id() << "\n"
            << "  replica: " << v.replica() << "\n";
  for (const auto& r : v.reasons()) {
    std::cout << "  reason: " << vtpm_attest::v1::ReasonCode_Name(r.code())
              << ": " << r.message() << "\n";
  }
  std::cout << std::flush;
}

// Parses the subcommand's options plus the INI config file.
bool ParseOptions(int argc, char** argv, po::options_description& opts,
                  Common* c, po::variables_map* vm) {
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).run(), *vm);
    if (vm->count("help")) {
      std::cout << opts << "\n";
      exit(0);
    }
    std::ifstream in((*vm)["config"].as<std::string>());
    if (in) po::store(po::parse_config_file(in, opts, true), *vm);
    po::notify(*vm);
  } catch (const po::error& e) {
    std::cerr << "vtpm-attest-agent: " << e.what() << "\n";
    return false;
  }
  return true;
}

vtpm::agent::ClientOptions ToClientOptions(const Common& c) {
  vtpm::agent::ClientOptions o;
  o.verifier = c.verifier;
  o.ca_cert = c.ca_cert;
  o.tls_server_name = c.tls_server_name;
  o.timeout = std::chrono::seconds(c.timeout);
  return o;
}

int CmdAttest(int argc, char** argv, bool daemon) {
  Common c;
  bool once = false;
  po::options_description opts = CommonOptions(&c);
  opts.add_options()("help,h", "show this help")(
      "config",
      po::value(&c.config)->default_value("/etc/vtpm-attest/agent.conf"),
      "INI config file (missing is fine)");
  if (!daemon)
    opts.add_options()("once", po::bool_switch(&once),
                       "one attestation (default)");
  po::variables_map vm;
  if (!ParseOptions(argc, argv, opts, &c, &vm)) return kExitError;
  if (c.verifier.empty()) {
    std::cerr << "vtpm-attest-agent: --verifier is required\n";
    return kExitError;
  }
  auto aopts = ToAttestorOptions(c);
  if (!aopts.ok()) {
    std::cerr << "vtpm-attest-agent: " << aopts.status().message() << "\n";
    return kExitError;
  }
  std::error_code ec;
  std::filesystem::create_directories(c.state_dir, ec);
  auto platform = MakePlatform(c);
  auto attestor = vtpm::agent::Attestor::Create(*aopts, *platform);
  if (!attestor.ok()) {
    std::cerr << "vtpm-attest-agent: " << attestor.status().message() << "\n";
    return kExitError;
  }
  auto copts = ToClientOptions(c);
  if (!daemon) {
    auto verdict = vtpm::agent::AttestOnce(**attestor, copts);
    if (!verdict.ok()) {
      std::cerr << "vtpm-attest-agent: " << verdict.status().message() << "\n";
      return kExitError;
    }
    PrintVerdict(*verdict, c.json);
    switch (verdict->result()) {
      case vtpm_attest::v1::RESULT_PASS:
        return kExitPass;
      case vtpm_attest::v1::RESULT_FAIL:
        return kExitFail;
      default:
        return kExitError;
    }
  }
  signal(SIGINT, [](int) { g_stop = true; });
  signal(SIGTERM, [](int) { g_stop = true; });
  vtpm::agent::RunDaemon(
      **attestor, copts, g_stop,
      [&](const vtpm_attest::v1::Verdict& v) { PrintVerdict(v, c.json); });
  return 0;
}

int CmdQuote(int argc, char** argv) {
  Common c;
  std::string nonce_hex, pcrs = "sha256:0-7", out;
  po::options_description opts = CommonOptions(&c);
  opts.add_options()("help,h", "show this help")(
      "config",
      po::value(&c.config)->default_value("/etc/vtpm-attest/agent.conf"),
      "INI config file (missing is fine)")(
      "nonce", po::value(&nonce_hex)->required(), "qualifying data, hex")(
      "pcrs", po::value(&pcrs)->default_value(pcrs),
      "PCR selection, e.g. sha256:0-7")("out", po::value(&out)->required(),
                                        "directory for the evidence files");
  po::variables_map vm;
  if (!ParseOptions(argc, argv, opts, &c, &vm)) return kExitError;
  auto fail = [](const absl::Status& s) {
    std::cerr << "vtpm-attest-agent quote: " << s.message() << "\n";
    return kExitError;
  };
  auto nonce = vtpm::HexDecode(nonce_hex);
  if (!nonce.ok()) return fail(vtpm::WithContext(nonce.status(), "--nonce"));
  auto sel = vtpm::ParsePcrSelection(pcrs);
  if (!sel.ok()) return fail(vtpm::WithContext(sel.status(), "--pcrs"));
  auto aopts = ToAttestorOptions(c);
  if (!aopts.ok()) return fail(aopts.status());
  std::error_code ec;
  std::filesystem::create_directories(c.state_dir, ec);
  std::filesystem::create_directories(out, ec);
  auto platform = MakePlatform(c);
  auto attestor = vtpm::agent::Attestor::Create(*aopts, *platform);
  if (!attestor.ok()) return fail(attestor.status());
  auto q =
      vtpm::agent::Quote((*attestor)->tpm(), (*attestor)->ak(), *nonce, *sel);
  if (!q.ok()) return fail(q.status());
  auto pcr_file = vtpm::tpm2tools::SerializePcrs(*sel, q->pcrs);
  if (!pcr_file.ok()) return fail(pcr_file.status());
  auto ak_pub = vtpm::MarshalPublic((*attestor)->ak().pub);
  if (!ak_pub.ok()) return fail(ak_pub.status());
  auto ak_key = vtpm::PublicToEvp((*attestor)->ak().pub.publicArea);
  if (!ak_key.ok()) return fail(ak_key.status());
  auto ak_pem = vtpm::PublicKeyToPem(ak_key->get());
  if (!ak_pem.ok()) return fail(ak_pem.status());
  const std::pair<const char*, const std::string*> files[] = {
      {"quote.msg", &q->attest},
      {"quote.sig", &q->signature},
      {"pcrs.bin", &*pcr_file},
      {"ak.pub", &*ak_pub},
      {"ak.pem", &*ak_pem}};
  for (const auto& [name, data] : files) {
    std::string path = out + "/" + name;
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << *data;
    if (!f) return fail(absl::InternalError("cannot write " + path));
  }
  std::cout << "wrote quote.msg quote.sig pcrs.bin ak.pub ak.pem to " << out
            << "\n"
            << "check with: tpm2_checkquote -u " << out << "/ak.pem -m " << out
            << "/quote.msg -s " << out << "/quote.sig -f " << out
            << "/pcrs.bin -g sha256 -q " << nonce_hex << "\n";
  return 0;
}

void Usage() {
  std::cerr
      << "usage: vtpm-attest-agent COMMAND [options]\n"
         "  run                 keep a stream to the verifier, answer every "
         "challenge\n"
         "  attest [--once]     one attestation; exit 0 PASS, 1 FAIL, 2 error\n"
         "  quote               write a quote in tpm2-tools formats (offline)\n"
         "  version             print the version\n"
         "'vtpm-attest-agent COMMAND --help' lists a command's options.\n";
}

}  // namespace

int main(int argc, char** argv) {
  // tpm2-tss logs to stderr by itself; the agent reports errors with
  // context instead. TSS2_LOG set by the user still wins.
  setenv("TSS2_LOG", "all+NONE", /*overwrite=*/0);
  if (argc < 2) {
    Usage();
    return kExitError;
  }
  std::string cmd = argv[1];
  if (cmd == "run") return CmdAttest(argc - 1, argv + 1, /*daemon=*/true);
  if (cmd == "attest") return CmdAttest(argc - 1, argv + 1, /*daemon=*/false);
  if (cmd == "quote") return CmdQuote(argc - 1, argv + 1);
  if (cmd == "version" || cmd == "--version") {
    std::cout << "vtpm-attest-agent " << vtpm::agent::kAgentVersion << "\n";
    return 0;
  }
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    Usage();
    return 0;
  }
  std::cerr << "vtpm-attest-agent: unknown command '" << cmd << "'\n";
  Usage();
  return kExitError;
}
