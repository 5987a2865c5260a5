#include "tests/admin/admin_fixture.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace vtpm::testing {

namespace v1 = ::vtpm_attest::v1;
using verifier::IdentityRecord;

absl::StatusOr<ClientPki> MakeClientPki(const std::string& dir,
                                        const std::string& name,
                                        const std::string& client_cn) {
  ClientPki p;
  std::string base = absl::StrCat(dir, "/", name);
  p.ca_cert = base + "-ca.pem";
  std::string ca_key = base + "-ca.key";
  p.client_cert = base + "-client.pem";
  p.client_key = base + "-client.key";
  std::string csr = base + "-client.csr", ext = base + "-client.ext";
  auto r = RunOrError({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                       "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca_key,
                       "-out", p.ca_cert, "-days", "2", "-subj",
                       absl::StrCat("/CN=", name, " CA")});
  if (!r.ok()) return r.status();
  r = RunOrError({"openssl", "req", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:P-256", "-nodes", "-keyout", p.client_key,
                  "-out", csr, "-subj", absl::StrCat("/CN=", client_cn)});
  if (!r.ok()) return r.status();
  absl::Status w =
      WriteFile(ext,
                "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n"
                "keyUsage=digitalSignature\n");
  if (!w.ok()) return w;
  r = RunOrError({"openssl", "x509", "-req", "-in", csr, "-CA", p.ca_cert,
                  "-CAkey", ca_key, "-CAcreateserial", "-out", p.client_cert,
                  "-days", "1", "-extfile", ext});
  if (!r.ok()) return r.status();
  return p;
}

void AdminFixture::SetUp() {
  dir_ = std::make_unique<TempDir>();
  auto tls = MakeTlsFiles(dir_->path());
  ASSERT_TRUE(tls.ok()) << tls.status();
  tls_ = *tls;
  auto admin = MakeClientPki(dir_->path(), "admin", "alice");
  ASSERT_TRUE(admin.ok()) << admin.status();
  admin_pki_ = *admin;
  auto other = MakeClientPki(dir_->path(), "other", "mallory");
  ASSERT_TRUE(other.ok()) << other.status();
  other_pki_ = *other;

  policy_dir_ = dir_->Sub("policies");
  ASSERT_EQ(::mkdir(policy_dir_.c_str(), 0700), 0);
  ASSERT_TRUE(WriteFile(policy_dir_ + "/base.json", kBasePolicy).ok());
  token_file_ = dir_->Sub("admin.token");
  ASSERT_TRUE(WriteFile(token_file_, std::string(kToken) + "\n").ok());
  ASSERT_EQ(::chmod(token_file_.c_str(), 0600), 0);
  admin_ca_file_ = admin_pki_.ca_cert;
  // The CLI reads only this (empty) config, never /etc/vtpm-attest.
  ASSERT_TRUE(WriteFile(dir_->Sub("empty-cli.conf"), "").ok());

  db_path_ = dir_->Sub("verifier.db");
  auto store = verifier::OpenStore("sqlite:" + db_path_);
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = *std::move(store);
  auto reg = verifier::PolicyRegistry::Create(policy_dir_, store_.get());
  ASSERT_TRUE(reg.ok()) << reg.status();
  registry_ = *std::move(reg);
  AdminServerOptions o;
  StartServer(o);
}

void AdminFixture::StartServer(const AdminServerOptions& o) {
  StopServer();
  verifier::VerdictFeedOptions fo = o.feed;
  if (fo.poll_interval == absl::Milliseconds(200)) {
    fo.poll_interval = absl::Milliseconds(50);
  }
  auto feed = verifier::VerdictFeed::Start(store_.get(), fo);
  ASSERT_TRUE(feed.ok()) << feed.status();
  feed_ = *std::move(feed);
  core_ = std::make_unique<verifier::AdminCore>(store_.get(), registry_.get(),
                                                feed_.get());
  verifier::AdminAuthConfig ac;
  if (o.token) ac.token_file = token_file_;
  if (o.client_ca) ac.client_ca_file = admin_ca_file_;
  auto auth = verifier::AdminAuth::Create(ac);
  ASSERT_TRUE(auth.ok()) << auth.status();
  auth_ = *std::move(auth);
  service_ = verifier::MakeAdminService(core_.get(), auth_.get());

  auto cert = ReadFile(tls_.server_cert);
  auto key = ReadFile(tls_.server_key);
  ASSERT_TRUE(cert.ok() && key.ok());
  std::vector<std::string> roots;
  if (!auth_->client_ca_pem().empty()) roots.push_back(auth_->client_ca_pem());
  if (o.tls_accepts_other_ca) {
    auto other = ReadFile(other_pki_.ca_cert);
    ASSERT_TRUE(other.ok());
    roots.push_back(*other);
  }
  grpc::ServerBuilder b;
  b.AddListeningPort(
      "127.0.0.1:0",
      grpc::SslServerCredentials(verifier::AdminTlsOptions(*cert, *key, roots)),
      &port_);
  if (service_ != nullptr) b.RegisterService(service_.get());
  // The agent-facing service the verifier always serves (here unimplemented;
  // a synchronous server also needs at least one service).
  b.RegisterService(&agent_service_);
  server_ = b.BuildAndStart();
  ASSERT_NE(server_, nullptr);
  ASSERT_GT(port_, 0);
}

void AdminFixture::StopServer() {
  if (service_ != nullptr) service_->Shutdown();
  if (server_ != nullptr) {
    server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
    server_->Wait();
    server_.reset();
  }
  service_.reset();
  if (feed_ != nullptr) feed_->Shutdown();
  core_.reset();
  feed_.reset();
  auth_.reset();
}

void AdminFixture::TearDown() {
  StopServer();
  registry_.reset();
  store_.reset();
  dir_.reset();
}

std::unique_ptr<v1::AdminService::Stub> AdminFixture::Stub(ClientCert cert) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = *ReadFile(tls_.ca_cert);
  if (cert != ClientCert::kNone) {
    const ClientPki& p = cert == ClientCert::kAdmin ? admin_pki_ : other_pki_;
    ssl.pem_cert_chain = *ReadFile(p.client_cert);
    ssl.pem_private_key = *ReadFile(p.client_key);
  }
  grpc::ChannelArguments args;
  // A fresh connection per stub (no subchannel sharing between identities).
  args.SetInt("grpc.use_local_subchannel_pool", 1);
  return v1::AdminService::NewStub(grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", port_), grpc::SslCredentials(ssl), args));
}

std::unique_ptr<grpc::ClientContext> AdminFixture::Ctx(
    const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  return ctx;
}

IdentityRecord AdminFixture::AddIdentity(const std::string& fp,
                                         const std::string& vm,
                                         const std::string& policy) {
  IdentityRecord r;
  r.ek_fingerprint = fp;
  r.vm_uuid = vm;
  r.hostname = "host-" + vm.substr(0, 4);
  r.ek_public = "ekpub-" + fp.substr(0, 8);
  r.policy = policy;
  r.labels = {{"image", "debian-12"}};
  r.first_seen_unix = r.last_seen_unix = absl::ToUnixSeconds(absl::Now());
  EXPECT_TRUE(store_->UpsertIdentity(r).ok());
  EXPECT_TRUE(
      store_->SetActivatedAk(fp, std::string("\x00\x0b\xab\xcd", 4), "akpub")
          .ok());
  auto got = store_->GetIdentity(fp);
  EXPECT_TRUE(got.ok() && got->has_value());
  return got.ok() && got->has_value() ? **got : r;
}

v1::Verdict AdminFixture::Record(const std::string& fp, const std::string& vm,
                                 v1::Result result, const std::string& policy,
                                 int64_t verified_at) {
  v1::Verdict v;
  v.set_result(result);
  v.mutable_identity()->set_vm_uuid(vm);
  v.mutable_identity()->set_ek_fingerprint(fp);
  v.mutable_identity()->set_hostname("host");
  v.set_policy(policy);
  v.set_verified_at_unix(verified_at != 0 ? verified_at
                                          : absl::ToUnixSeconds(absl::Now()));
  v.set_verdict_id(absl::StrCat("v-", fp.substr(0, 6), "-", ++verdict_counter_,
                                "-", absl::ToUnixNanos(absl::Now())));
  v.set_replica("replica-b");
  if (result == v1::RESULT_FAIL) {
    auto* r = v.add_reasons();
    r->set_code(v1::POLICY_PCR_MISMATCH);
    r->set_message("policy base: pcrValues: PCR 0 <is> & \"bad\"");
  }
  auto out = store_->RecordVerdict(fp, v, verifier::VerdictWrite{});
  EXPECT_TRUE(out.ok()) << out.status();
  return v;
}

std::string AdminFixture::CliPath() const {
  return BinaryDir() + "/verifier/cli/vtpm-attest";
}

std::vector<std::string> AdminFixture::CliArgs(
    const std::vector<std::string>& args, const std::string& token_file) {
  std::vector<std::string> out = {CliPath()};
  out.insert(out.end(), args.begin(), args.end());
  out.insert(out.end(), {"--verifier", absl::StrCat("127.0.0.1:", port_),
                         "--ca-cert", tls_.ca_cert, "--token-file",
                         token_file.empty() ? token_file_ : token_file,
                         "--config", dir_->Sub("empty-cli.conf")});
  return out;
}

}  // namespace vtpm::testing
