// An in-process admin API over loopback TLS: a real SqliteStore in a
// TempDir, PolicyRegistry, VerdictFeed, AdminCore, AdminAuth and the
// AdminServiceImpl in a grpc::Server. Verdicts are injected with
// store->RecordVerdict, as another replica would record them.
#ifndef VTPM_TESTS_ADMIN_ADMIN_FIXTURE_H_
#define VTPM_TESTS_ADMIN_ADMIN_FIXTURE_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "tests/harness/pki.h"
#include "tests/harness/process.h"
#include "verifier/admin/admin_auth.h"
#include "verifier/admin/admin_core.h"
#include "verifier/admin/admin_service.h"
#include "verifier/admin/verdict_feed.h"
#include "verifier/policy/policy_registry.h"
#include "verifier/store/store.h"
#include "vtpm_attest/v1/admin.grpc.pb.h"
#include "vtpm_attest/v1/attest.grpc.pb.h"

namespace vtpm::testing {

// A CA made with the openssl tool, and a client certificate it issued.
struct ClientPki {
  std::string ca_cert;
  std::string client_cert;
  std::string client_key;
};
// Makes a CA "CN=`name` CA" and a client certificate "CN=`client_cn`" in
// `dir`/`name`-*.pem.
absl::StatusOr<ClientPki> MakeClientPki(const std::string& dir,
                                        const std::string& name,
                                        const std::string& client_cn);

inline constexpr char kToken[] = "s3cret-admin-token-0123456789";
inline constexpr char kBasePolicy[] =
    R"({"name": "base", "tpmFamily": "2.0", "quotePcrs": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": [0, 1, 2]}]})";

struct AdminServerOptions {
  bool token = true;
  bool client_ca = true;
  // Also accept the other CA at the TLS layer (as a listener shared with
  // agents might), so only AdminAuth's own check refuses its certificates.
  bool tls_accepts_other_ca = false;
  verifier::VerdictFeedOptions feed;
};

class AdminFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // (Re)starts the server with `options`.
  void StartServer(const AdminServerOptions& options);
  void StopServer();

  // A stub over TLS; with the admin or the other CA's client cert if asked.
  enum class ClientCert { kNone, kAdmin, kOther };
  std::unique_ptr<vtpm_attest::v1::AdminService::Stub> Stub(
      ClientCert cert = ClientCert::kNone);
  // A context carrying `token` as bearer (none if empty), 10 s deadline.
  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token = kToken);

  // Adds an identity (ACTIVE, with an AK name) and returns it.
  verifier::IdentityRecord AddIdentity(const std::string& fp,
                                       const std::string& vm,
                                       const std::string& policy = "base");
  // Records a verdict of `fp` (id made unique); returns it.
  vtpm_attest::v1::Verdict Record(const std::string& fp, const std::string& vm,
                                  vtpm_attest::v1::Result result,
                                  const std::string& policy = "base",
                                  int64_t verified_at = 0);

  // Common vtpm-attest connection arguments.
  std::vector<std::string> CliArgs(const std::vector<std::string>& args,
                                   const std::string& token_file = "");
  std::string CliPath() const;

  std::unique_ptr<TempDir> dir_;
  TlsFiles tls_;
  ClientPki admin_pki_, other_pki_;
  std::string db_path_, policy_dir_, token_file_, admin_ca_file_;
  std::unique_ptr<verifier::Store> store_;
  std::unique_ptr<verifier::PolicyRegistry> registry_;
  std::unique_ptr<verifier::VerdictFeed> feed_;
  std::unique_ptr<verifier::AdminCore> core_;
  std::unique_ptr<verifier::AdminAuth> auth_;
  std::unique_ptr<verifier::AdminServiceImpl> service_;
  vtpm_attest::v1::AgentService::Service agent_service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  int verdict_counter_ = 0;
};

}  // namespace vtpm::testing

#endif  // VTPM_TESTS_ADMIN_ADMIN_FIXTURE_H_
