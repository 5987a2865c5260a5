// The connection of the admin subcommands (agents, history, reenroll,
// forget, attest-now, audit, watch, wait, policy list|apply|reload) to a
// verifier's AdminService: options, their defaults, the TLS channel and
// the exit code of a failed call.
//
// Options (command line > environment > config file):
//   --verifier HOST:PORT   VTPM_ATTEST_VERIFIER     verifier =
//   --ca-cert PEM          VTPM_ATTEST_CA_CERT      ca-cert =
//   --token-file FILE      VTPM_ATTEST_TOKEN_FILE   token-file =
//   --client-cert PEM      VTPM_ATTEST_CLIENT_CERT  client-cert =
//   --client-key PEM       VTPM_ATTEST_CLIENT_KEY   client-key =
//   --tls-server-name N    VTPM_ATTEST_TLS_SERVER_NAME  tls-server-name =
//   --config FILE          VTPM_ATTEST_CLI_CONF (default
//                          /etc/vtpm-attest/cli.conf; INI "key = value",
//                          '#' or ';' comments, [sections] ignored)
#ifndef VTPM_VERIFIER_CLI_ADMIN_CLIENT_H_
#define VTPM_VERIFIER_CLI_ADMIN_CLIENT_H_

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <boost/program_options.hpp>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vtpm_attest/v1/admin.grpc.pb.h"

namespace vtpm::cli {

struct AdminConnectionOptions {
  std::string verifier;
  std::string ca_cert;
  std::string token_file;
  std::string client_cert;
  std::string client_key;
  std::string tls_server_name;
  std::string config;
  absl::Duration rpc_timeout = absl::Seconds(30);
};

// A connected client: the stub plus the credentials each call carries.
class AdminClient {
 public:
  // Fills in unset options from the environment and the config file,
  // reads the CA, the token or the client key pair, and creates the TLS
  // channel (connection happens on the first call). Errors name the
  // option or file at fault.
  static absl::StatusOr<std::unique_ptr<AdminClient>> Connect(
      AdminConnectionOptions options);

  vtpm_attest::v1::AdminService::Stub& stub() { return *stub_; }
  // A context with the bearer token (if any) and a deadline `timeout` from
  // now (absl::InfiniteDuration(): none).
  std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout) const;
  // Context(the --rpc-timeout).
  std::unique_ptr<grpc::ClientContext> Context() const {
    return Context(rpc_timeout_);
  }

 private:
  AdminClient() = default;
  std::unique_ptr<vtpm_attest::v1::AdminService::Stub> stub_;
  std::string token_;
  absl::Duration rpc_timeout_;
};

// Adds the connection options and --json to `desc`.
void AddConnectionOptions(boost::program_options::options_description& desc,
                          AdminConnectionOptions* options, bool* json);

// Parses argv (argv[0] is the command name) into `desc`. Returns -1 to go
// on, or the exit code to return: kExitOk after printing `usage` and the
// options for --help, kExitUsage after a message for a bad command line.
int ParseCommandLine(
    const char* command, const char* usage, int argc, char** argv,
    boost::program_options::options_description& desc,
    const boost::program_options::positional_options_description* positional =
        nullptr);

// The exit code for a failed call: 1 (kExitFailed) for NOT_FOUND,
// INVALID_ARGUMENT and FAILED_PRECONDITION (the request was judged and
// refused), 2 (kExitUsage) for everything else (connection, auth,
// deadline, server errors). Prints "vtpm-attest COMMAND: CODE: message"
// on stderr.
int ReportRpcError(const char* command, const grpc::Status& status);

// Prints a status that is not from an RPC (bad option, unreadable file)
// and returns kExitUsage.
int ReportError(const char* command, const absl::Status& status);

}  // namespace vtpm::cli

#endif  // VTPM_VERIFIER_CLI_ADMIN_CLIENT_H_
