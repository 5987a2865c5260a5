// fuzz_make_seeds: writes the seed corpora of fuzz_session, fuzz_quote,
// fuzz_public and fuzz_pcr_file from a real run, and the trust store
// fuzz_session loads.
//
//   fuzz_make_seeds /work/main/tests/fuzz
//
// It makes a per-run CA and a real provisioned swtpm (test harness),
// extends a few PCRs with tpm2_pcrextend, and drives the real agent
// Attestor against the verifier exactly as fuzz_session does (same
// fixture, same delivery, same deterministic randomness), recording the
// agent's messages. Every recorded conversation must end in PASS here, so
// it replays to PASS in the fuzzer. Then it records tpm2-tools PCR files.
//
// Output (files named seed-*; crash-* and other files are left alone):
//   data/trust/libvirt/{root,intermediate}.pem   the run's CA
//   corpus/fuzz_session/seed-*    conversations
//   corpus/fuzz_quote/seed-*      real swtpm attestations, signed with the
//                                 fixed AK (fixed_ak.h)
//   corpus/fuzz_public/seed-*     EK and AK TPM2B_PUBLICs
//   corpus/fuzz_pcr_file/seed-*   tpm2_pcrread serialized and values files
// Re-running replaces the CA: the old session seeds then fail at the EK
// certificate (they still run, just less deep), so commit all outputs of
// one run together.
#include <tss2/tss2_mu.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "agent/attestor.h"
#include "agent/platform/platform.h"
#include "common/hex.h"
#include "common/pcr_selection.h"
#include "common/status_macros.h"
#include "tests/fuzz/conversation.h"
#include "tests/fuzz/fixed_ak.h"
#include "tests/fuzz/quote_input.h"
#include "tests/harness/process.h"
#include "tests/harness/swtpm.h"

namespace vtpm::fuzz {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::RunOrError;
using testing::WriteFile;
using vtpm_attest::v1::AgentMessage;
using vtpm_attest::v1::Hello;
using vtpm_attest::v1::VerifierMessage;

struct Env {
  std::string out;  // tests/fuzz
  testing::TempDir tmp;
  std::unique_ptr<testing::TestCa> ca;
  std::unique_ptr<testing::Swtpm> tpm;
  std::unique_ptr<agent::Platform> platform;
  std::unique_ptr<SessionFixture> fixture;
};

absl::Status WriteSeed(const Env& env, const std::string& target,
                       const std::string& name, const std::string& data) {
  std::string dir = env.out + "/corpus/" + target;
  fs::create_directories(dir);
  std::string path = dir + "/seed-" + name;
  printf("%s (%zu bytes)\n", path.c_str(), data.size());
  return WriteFile(path, data);
}

// Removes earlier seed-* files of `target`.
void ClearSeeds(const Env& env, const std::string& target) {
  std::error_code ec;
  for (const auto& e :
       fs::directory_iterator(env.out + "/corpus/" + target, ec)) {
    if (e.path().filename().string().rfind("seed-", 0) == 0) {
      fs::remove(e.path());
    }
  }
}

absl::StatusOr<std::unique_ptr<agent::Attestor>> MakeAttestor(
    const Env& env, agent::EkAlgorithm ek, agent::AkAlgorithm ak,
    const std::string& state) {
  agent::AttestorOptions o;
  o.tcti = env.tpm->tcti();
  o.state_dir = env.tmp.Sub(state);
  fs::create_directories(o.state_dir);
  o.ek_algorithm = ek;
  o.ak_algorithm = ak;
  o.labels["image"] = "fuzz-seed";
  o.interface_override = vtpm_attest::v1::TPM_INTERFACE_EMULATOR;
  return agent::Attestor::Create(o, *env.platform);
}

// One agent stream: Hello, then an answer to every challenge and quote
// request, for `rounds` verdicts. Appends the agent's messages to `input`.
absl::Status RunSession(verifier::AttestationService& service,
                        agent::Attestor& attestor, Hello::Mode mode, int rounds,
                        std::string* input) {
  auto session = service.NewSession("seed");
  ASSIGN_OR_RETURN(AgentMessage hello, attestor.MakeHello(mode));
  std::vector<AgentMessage> pending = {hello};
  int verdicts = 0;
  while (!pending.empty() && verdicts < rounds) {
    AgentMessage msg = pending.front();
    pending.erase(pending.begin());
    AppendMessage(msg, input);
    for (const VerifierMessage& reply : Deliver(*session, msg)) {
      if (reply.has_verdict()) {
        if (reply.verdict().result() != vtpm_attest::v1::RESULT_PASS) {
          return absl::InternalError("verdict is not PASS: " +
                                     reply.verdict().DebugString());
        }
        ++verdicts;
        continue;
      }
      auto answer = attestor.Handle(reply);
      if (!answer.has_value()) continue;
      if (answer->has_error()) {
        return absl::InternalError("agent error: " + answer->DebugString());
      }
      pending.push_back(*std::move(answer));
    }
  }
  if (verdicts < rounds) {
    return absl::InternalError("the conversation ended before its verdicts");
  }
  return absl::OkStatus();
}

// The attestation of a real quote over the fuzz_quote nonce and selection,
// and its PCR values.
absl::Status WriteQuoteSeeds(const Env& env, agent::Attestor& attestor,
                             const std::string& tag) {
  VerifierMessage req;
  auto* q = req.mutable_quote_request();
  q->set_nonce(QuoteFuzzNonce());
  ToProto(QuoteFuzzSelection(), q->mutable_selection());
  auto answer = attestor.Handle(req);
  if (!answer.has_value() || !answer->has_quote_response()) {
    return absl::InternalError("no quote from the agent");
  }
  const auto& r = answer->quote_response();
  ASSIGN_OR_RETURN(auto key, FixedEccP256Key());
  QuoteInput in;
  in.attest = r.attest();
  ASSIGN_OR_RETURN(in.pcrs, PcrValuesFromProto(r.pcrs()));
  ASSIGN_OR_RETURN(in.signature, SignEcdsaSha256(key.get(), in.attest));
  RETURN_IF_ERROR(
      WriteSeed(env, "fuzz_quote", tag + "-valid", EncodeQuoteInput(in)));
  in.flags = kPreparedAk;
  RETURN_IF_ERROR(WriteSeed(env, "fuzz_quote", tag + "-valid-prepared",
                            EncodeQuoteInput(in)));

  TPMS_ATTEST attest = {};
  size_t off = 0;
  if (Tss2_MU_TPMS_ATTEST_Unmarshal(
          reinterpret_cast<const uint8_t*>(in.attest.data()), in.attest.size(),
          &off, &attest) != TSS2_RC_SUCCESS) {
    return absl::InternalError("the agent's attestation does not unmarshal");
  }
  TPMS_CLOCK_INFO earlier = attest.clockInfo;
  earlier.clock = earlier.clock > 1000 ? earlier.clock - 1000 : 0;
  in.previous_clock = earlier;
  in.flags = kResign;
  in.signature = r.signature();  // the TPM's own; replaced by kResign
  RETURN_IF_ERROR(WriteSeed(env, "fuzz_quote", tag + "-resign-clock",
                            EncodeQuoteInput(in)));
  in.flags = 0;
  in.previous_clock.reset();
  return WriteSeed(env, "fuzz_quote", tag + "-tpm-signature",
                   EncodeQuoteInput(in));
}

absl::Status WriteCa(const Env& env) {
  std::string dir = env.out + "/data/trust/libvirt";
  fs::remove_all(env.out + "/data/trust");
  fs::create_directories(dir);
  fs::copy_file(env.ca->root_cert(), dir + "/root.pem");
  fs::copy_file(env.ca->intermediate_cert(), dir + "/intermediate.pem");
  return absl::OkStatus();
}

absl::Status ExtendPcrs(const Env& env) {
  for (int pcr : {0, 2, 4, 7, 16}) {
    std::string digest(32, static_cast<char>(0x10 + pcr));
    RETURN_IF_ERROR(RunOrError(
        {"tpm2_pcrextend", absl::StrCat(pcr, ":sha256=", HexEncode(digest))},
        {env.tpm->tools_env()}));
  }
  return absl::OkStatus();
}

absl::Status WritePcrFileSeeds(const Env& env) {
  const std::map<std::string, std::string> selections = {
      {"sha256-0-7-16", "sha256:0,1,2,3,4,5,6,7,16"},
      {"sha256-all", "sha256:all"},
      {"sha256-3", "sha256:3"},
  };
  for (const auto& [name, sel] : selections) {
    std::string ser = env.tmp.Sub(name + ".ser");
    std::string val = env.tmp.Sub(name + ".val");
    RETURN_IF_ERROR(
        RunOrError({"tpm2_pcrread", sel, "-F", "serialized", "-o", ser},
                   {env.tpm->tools_env()}));
    RETURN_IF_ERROR(RunOrError({"tpm2_pcrread", sel, "-F", "values", "-o", val},
                               {env.tpm->tools_env()}));
    ASSIGN_OR_RETURN(std::string ser_data, ReadFile(ser));
    ASSIGN_OR_RETURN(std::string val_data, ReadFile(val));
    RETURN_IF_ERROR(
        WriteSeed(env, "fuzz_pcr_file", name + "-serialized", ser_data));
    // fuzz_pcr_file's values form: the selection text, '\n', the values.
    std::string text = sel == "sha256:all" ? "sha256:0-23" : sel;
    RETURN_IF_ERROR(WriteSeed(env, "fuzz_pcr_file", name + "-values",
                              text + "\n" + val_data));
  }
  return absl::OkStatus();
}

absl::Status Main(const std::string& out) {
  Env env;
  env.out = fs::absolute(out).string();
  for (const char* t :
       {"fuzz_session", "fuzz_quote", "fuzz_public", "fuzz_pcr_file"}) {
    fs::create_directories(env.out + "/corpus/" + t);
    ClearSeeds(env, t);
  }
  fs::create_directories(env.tmp.Sub("ca"));
  ASSIGN_OR_RETURN(env.ca, testing::TestCa::Create(env.tmp.Sub("ca")));
  ASSIGN_OR_RETURN(env.tpm, testing::Swtpm::Start(env.tmp.Sub("tpm"), *env.ca));
  RETURN_IF_ERROR(WriteCa(env));
  ASSIGN_OR_RETURN(env.fixture,
                   SessionFixture::Create(env.out + "/data/trust"));
  agent::LinuxPaths paths;
  paths.root = env.tmp.Sub("guest-root");  // an empty guest: no event log
  env.platform = agent::CreateLinuxPlatform(paths);
  RETURN_IF_ERROR(ExtendPcrs(env));

  {
    // RSA-2048 EK, ECC P-256 AK, once mode: Hello, ActivationAnswer,
    // QuoteResponse.
    ASSIGN_OR_RETURN(auto a, MakeAttestor(env, agent::EkAlgorithm::kRsa2048,
                                          agent::AkAlgorithm::kEccP256, "a"));
    std::string input;
    auto service = env.fixture->NewInput();
    RETURN_IF_ERROR(RunSession(*service, *a, Hello::MODE_ONCE, 1, &input));
    RETURN_IF_ERROR(WriteSeed(env, "fuzz_session", "once-rsaek-eccak", input));

    ASSIGN_OR_RETURN(AgentMessage hello, a->MakeHello(Hello::MODE_ONCE));
    RETURN_IF_ERROR(WriteSeed(env, "fuzz_public", "ek-rsa2048",
                              hello.hello().ek().public_area()));
    RETURN_IF_ERROR(WriteSeed(env, "fuzz_public", "ak-ecc-p256",
                              hello.hello().ak().public_area()));
    RETURN_IF_ERROR(WriteQuoteSeeds(env, *a, "swtpm"));
  }
  {
    // ECC P-384 EK, RSA-2048 AK: a daemon-mode stream with two quote rounds,
    // then a once-mode stream on the same service, which skips activation
    // (the AK is known) and checks the clock against the stored one.
    ASSIGN_OR_RETURN(auto a, MakeAttestor(env, agent::EkAlgorithm::kEccP384,
                                          agent::AkAlgorithm::kRsa2048, "b"));
    std::string input;
    auto service = env.fixture->NewInput();
    RETURN_IF_ERROR(RunSession(*service, *a, Hello::MODE_DAEMON, 2, &input));
    AppendNewSession(&input);
    RETURN_IF_ERROR(RunSession(*service, *a, Hello::MODE_ONCE, 1, &input));
    RETURN_IF_ERROR(WriteSeed(env, "fuzz_session",
                              "daemon-ecc384ek-rsaak-then-known", input));

    ASSIGN_OR_RETURN(AgentMessage hello, a->MakeHello(Hello::MODE_ONCE));
    RETURN_IF_ERROR(WriteSeed(env, "fuzz_public", "ek-ecc-p384",
                              hello.hello().ek().public_area()));
    RETURN_IF_ERROR(WriteSeed(env, "fuzz_public", "ak-rsa2048",
                              hello.hello().ak().public_area()));
  }
  // The attestors are closed: tpm2-tools may use the swtpm now.
  return WritePcrFileSeeds(env);
}

}  // namespace
}  // namespace vtpm::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s TESTS_FUZZ_DIR\n", argv[0]);
    return 2;
  }
  absl::Status s = vtpm::fuzz::Main(argv[1]);
  if (!s.ok()) {
    fprintf(stderr, "fuzz_make_seeds: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
