#include "tests/e2e/e2e_fixture.h"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "vtpm_attest/v1/attest.grpc.pb.h"

namespace vtpm::testing {

namespace fs = std::filesystem;

std::string E2eTest::DefaultPolicy() {
  return R"json({
    "name": "default",
    "tpmFamily": "2.0",
    "requireEkCertificate": true,
    "requireEkEku": true,
    "quotePcrs": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": [0,1,2,3,4,5,6,7]}]
  })json";
}

void E2eTest::SetUp() {
  fs::create_directories(dir_.Sub("ca"));
  auto ca = TestCa::Create(dir_.Sub("ca"));
  ASSERT_TRUE(ca.ok()) << ca.status();
  ca_ = std::move(*ca);
  auto tpm = Swtpm::Start(dir_.Sub("tpm"), *ca_);
  ASSERT_TRUE(tpm.ok()) << tpm.status();
  tpm_ = std::move(*tpm);
  auto tls = MakeTlsFiles(dir_.path());
  ASSERT_TRUE(tls.ok()) << tls.status();
  tls_ = *tls;
  WriteTrustStore(*ca_);
  WritePolicy(DefaultPolicy());
  agent::LinuxPaths paths;
  paths.root = dir_.Sub("guest-root");  // an empty guest: no event log
  platform_ = agent::CreateLinuxPlatform(paths);
}

void E2eTest::TearDown() {
  if (verifier_) verifier_->Shutdown();
}

void E2eTest::WriteTrustStore(const TestCa& ca, bool root_only) {
  fs::remove_all(dir_.Sub("trust"));
  fs::create_directories(dir_.Sub("trust/libvirt"));
  fs::copy_file(ca.root_cert(), dir_.Sub("trust/libvirt/root.pem"));
  if (!root_only) {
    fs::copy_file(ca.intermediate_cert(),
                  dir_.Sub("trust/libvirt/intermediate.pem"));
  }
}

void E2eTest::WritePolicy(const std::string& json) {
  fs::remove_all(dir_.Sub("policies"));
  fs::create_directories(dir_.Sub("policies"));
  ASSERT_TRUE(WriteFile(dir_.Sub("policies/default.json"), json).ok());
}

absl::StatusOr<E2eTest::VerifierBinary> E2eTest::StartVerifierBinary(
    const std::string& name, const std::string& database, int port,
    const std::vector<std::string>& extra) {
  VerifierBinary v;
  v.log = dir_.Sub(name + ".log");
  std::string port_file = dir_.Sub(name + ".port");
  unlink(port_file.c_str());
  const bool own_listen =
      std::find(extra.begin(), extra.end(), "--listen") != extra.end();
  std::vector<std::string> argv = {BinaryPath("verifier/vtpm-attest-verifier"),
                                   "--config",
                                   "/dev/null",
                                   "--listen",
                                   absl::StrCat("127.0.0.1:", port),
                                   "--port-file",
                                   port_file,
                                   "--tls-cert",
                                   tls_.server_cert,
                                   "--tls-key",
                                   tls_.server_key,
                                   "--trust-store",
                                   dir_.Sub("trust"),
                                   "--policy-dir",
                                   dir_.Sub("policies"),
                                   "--database",
                                   database};
  // `extra` may name its own --listen address (e.g. "[::]:0").
  if (own_listen) argv.erase(argv.begin() + 3, argv.begin() + 5);
  argv.insert(argv.end(), extra.begin(), extra.end());
  ASSIGN_OR_RETURN(v.pid, StartBackground(argv, v.log));
  for (int i = 0; i < 1000; ++i) {
    auto p = ReadFile(port_file);
    if (p.ok() && !p->empty() &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(*p), &v.port)) {
      return v;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  StopProcess(v.pid);
  return absl::DeadlineExceededError(absl::StrCat(
      "verifier ", name, " did not start: ", ReadFile(v.log).value_or("")));
}

void E2eTest::SetVmUuid(const std::string& uuid) {
  fs::create_directories(dir_.Sub("guest-root/sys/class/dmi/id"));
  ASSERT_TRUE(WriteFile(dir_.Sub("guest-root/sys/class/dmi/id/product_uuid"),
                        uuid + "\n")
                  .ok());
}

void E2eTest::StartVerifier(
    const std::function<void(verifier::VerifierConfig*)>& tweak) {
  verifier::VerifierConfig cfg;
  cfg.listen = "127.0.0.1:0";
  cfg.tls_cert = tls_.server_cert;
  cfg.tls_key = tls_.server_key;
  cfg.trust_store_dir = dir_.Sub("trust");
  cfg.policy_dir = dir_.Sub("policies");
  cfg.database = dir_.Sub("verifier.db");
  if (tweak) tweak(&cfg);
  auto v = verifier::VerifierServer::Start(cfg);
  ASSERT_TRUE(v.ok()) << v.status();
  verifier_ = std::move(*v);
}

std::unique_ptr<agent::Attestor> E2eTest::MakeAttestor(
    const Swtpm& tpm, agent::AkAlgorithm ak, agent::EkAlgorithm ek,
    const std::string& state_name) {
  agent::AttestorOptions o;
  o.tcti = tpm.tcti();
  o.state_dir = dir_.Sub(state_name);
  fs::create_directories(o.state_dir);
  o.ak_algorithm = ak;
  o.ek_algorithm = ek;
  o.labels["image"] = "test";
  o.interface_override = vtpm_attest::v1::TPM_INTERFACE_EMULATOR;
  auto a = agent::Attestor::Create(o, *platform_);
  EXPECT_TRUE(a.ok()) << a.status();
  return a.ok() ? std::move(*a) : nullptr;
}

RunResult E2eTest::Run(agent::Attestor& attestor, const Tamper& tamper) {
  return RunOn(verifier_->port(), attestor, tamper,
               vtpm_attest::v1::Hello::MODE_ONCE);
}

RunResult E2eTest::RunOn(
    int port, agent::Attestor& attestor, const Tamper& tamper,
    vtpm_attest::v1::Hello::Mode mode,
    const std::function<void(const vtpm_attest::v1::VerifierMessage&)>&
        between) {
  RunResult result;
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = *ReadFile(tls_.ca_cert);
  auto channel = grpc::CreateChannel("localhost:" + std::to_string(port),
                                     grpc::SslCredentials(ssl));
  auto stub = vtpm_attest::v1::AgentService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto stream = stub->Attest(&ctx);
  auto hello = attestor.MakeHello(mode);
  EXPECT_TRUE(hello.ok()) << hello.status();
  if (!hello.ok()) return result;
  if (tamper.hello) tamper.hello(hello->mutable_hello());
  // A verifier may answer before reading the Hello (a peer over its
  // limits): its verdict is still there to read when the write fails.
  stream->Write(*hello);
  vtpm_attest::v1::VerifierMessage in;
  while (stream->Read(&in)) {
    if (in.has_verdict()) {
      result.verdict = in.verdict();
      break;
    }
    if (tamper.to_agent) tamper.to_agent(&in);
    auto reply = attestor.Handle(in);
    if (!reply.has_value()) continue;
    if (tamper.to_verifier) tamper.to_verifier(&*reply);
    if (between) between(in);
    if (!stream->Write(*reply)) break;
  }
  stream->WritesDone();
  // A daemon stream stays open after its verdict: end it from this side.
  if (mode == vtpm_attest::v1::Hello::MODE_DAEMON) ctx.TryCancel();
  result.status = stream->Finish();
  return result;
}

std::vector<int> Codes(const vtpm_attest::v1::Verdict& v) {
  std::vector<int> out;
  for (const auto& r : v.reasons()) out.push_back(r.code());
  return out;
}

}  // namespace vtpm::testing
