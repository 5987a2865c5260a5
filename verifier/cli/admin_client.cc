#include "verifier/cli/admin_client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/text_escape.h"
#include "verifier/cli/admin_format.h"
#include "verifier/cli/subcommand.h"

namespace vtpm::cli {
namespace {

namespace po = ::boost::program_options;

constexpr char kDefaultConfig[] = "/etc/vtpm-attest/cli.conf";

absl::StatusOr<std::string> ReadWholeFile(const std::string& path,
                                          const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::NotFoundError(absl::StrCat("cannot read ", what, " ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// key -> value of an INI file; keys lower case with '_' as '-'.
absl::StatusOr<std::map<std::string, std::string>> ParseConfig(
    const std::string& path, const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#' || l[0] == ';' || l[0] == '[') continue;
    size_t eq = l.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", n, ": expected \"key = value\""));
    }
    std::string key =
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(l.substr(0, eq)));
    absl::StrReplaceAll({{"_", "-"}}, &key);
    std::string value(absl::StripAsciiWhitespace(l.substr(eq + 1)));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    out[key] = value;
  }
  return out;
}

void Default(std::string* field, const char* env,
             const std::map<std::string, std::string>& conf, const char* key) {
  if (!field->empty()) return;
  if (const char* e = std::getenv(env); e != nullptr && *e != '\0') {
    *field = e;
    return;
  }
  if (auto it = conf.find(key); it != conf.end()) *field = it->second;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AdminClient>> AdminClient::Connect(
    AdminConnectionOptions o) {
  std::string config = o.config;
  bool explicit_config = !config.empty();
  if (config.empty()) {
    if (const char* e = std::getenv("VTPM_ATTEST_CLI_CONF"); e && *e) {
      config = e;
      explicit_config = true;
    } else {
      config = kDefaultConfig;
    }
  }
  std::map<std::string, std::string> conf;
  if (auto text = ReadWholeFile(config, "config file"); text.ok()) {
    ASSIGN_OR_RETURN(conf, ParseConfig(config, *text));
  } else if (explicit_config) {
    return text.status();
  }
  Default(&o.verifier, "VTPM_ATTEST_VERIFIER", conf, "verifier");
  Default(&o.ca_cert, "VTPM_ATTEST_CA_CERT", conf, "ca-cert");
  Default(&o.token_file, "VTPM_ATTEST_TOKEN_FILE", conf, "token-file");
  Default(&o.client_cert, "VTPM_ATTEST_CLIENT_CERT", conf, "client-cert");
  Default(&o.client_key, "VTPM_ATTEST_CLIENT_KEY", conf, "client-key");
  Default(&o.tls_server_name, "VTPM_ATTEST_TLS_SERVER_NAME", conf,
          "tls-server-name");
  if (o.verifier.empty()) {
    return absl::InvalidArgumentError(
        "no verifier address: give --verifier HOST:PORT, set "
        "VTPM_ATTEST_VERIFIER, or put \"verifier = HOST:PORT\" in " +
        config);
  }
  if (o.client_cert.empty() != o.client_key.empty()) {
    return absl::InvalidArgumentError(
        "--client-cert and --client-key go together");
  }
  if (o.token_file.empty() && o.client_cert.empty()) {
    return absl::InvalidArgumentError(
        "no admin credentials: give --token-file or --client-cert and "
        "--client-key");
  }

  grpc::SslCredentialsOptions ssl;
  if (!o.ca_cert.empty()) {
    ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadWholeFile(o.ca_cert, "--ca-cert"));
  }
  if (!o.client_cert.empty()) {
    ASSIGN_OR_RETURN(ssl.pem_cert_chain,
                     ReadWholeFile(o.client_cert, "--client-cert"));
    ASSIGN_OR_RETURN(ssl.pem_private_key,
                     ReadWholeFile(o.client_key, "--client-key"));
  }
  std::unique_ptr<AdminClient> c(new AdminClient());
  if (!o.token_file.empty()) {
    ASSIGN_OR_RETURN(std::string token,
                     ReadWholeFile(o.token_file, "--token-file"));
    c->token_ = std::string(absl::StripAsciiWhitespace(token));
    if (c->token_.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("token file ", o.token_file, " is empty"));
    }
  }
  grpc::ChannelArguments args;
  if (!o.tls_server_name.empty()) {
    args.SetSslTargetNameOverride(o.tls_server_name);
  }
  auto channel =
      grpc::CreateCustomChannel(o.verifier, grpc::SslCredentials(ssl), args);
  c->stub_ = vtpm_attest::v1::AdminService::NewStub(channel);
  c->rpc_timeout_ = o.rpc_timeout;
  return c;
}

std::unique_ptr<grpc::ClientContext> AdminClient::Context(
    absl::Duration timeout) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token_.empty()) ctx->AddMetadata("authorization", "Bearer " + token_);
  if (timeout != absl::InfiniteDuration()) {
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  }
  return ctx;
}

void AddConnectionOptions(po::options_description& desc,
                          AdminConnectionOptions* o, bool* json) {
  desc.add_options()("verifier", po::value(&o->verifier),
                     "verifier HOST:PORT (env VTPM_ATTEST_VERIFIER)")(
      "ca-cert", po::value(&o->ca_cert),
      "PEM CA of the verifier's TLS certificate (env VTPM_ATTEST_CA_CERT; "
      "default: the system roots)")(
      "token-file", po::value(&o->token_file),
      "file with the admin bearer token (env VTPM_ATTEST_TOKEN_FILE)")(
      "client-cert", po::value(&o->client_cert),
      "PEM admin client certificate (env VTPM_ATTEST_CLIENT_CERT)")(
      "client-key", po::value(&o->client_key),
      "PEM key of --client-cert (env VTPM_ATTEST_CLIENT_KEY)")(
      "tls-server-name", po::value(&o->tls_server_name),
      "name expected in the verifier's certificate, when it differs from "
      "HOST")(
      "config", po::value(&o->config),
      "defaults for these options (INI; env VTPM_ATTEST_CLI_CONF; default "
      "/etc/vtpm-attest/cli.conf)")("json", po::bool_switch(json),
                                    "print JSON");
}

int ParseCommandLine(const char* command, const char* usage, int argc,
                     char** argv, po::options_description& desc,
                     const po::positional_options_description* positional) {
  desc.add_options()("help,h", "show this help");
  try {
    po::variables_map vm;
    po::command_line_parser parser(argc, argv);
    parser.options(desc);
    if (positional != nullptr) parser.positional(*positional);
    po::store(parser.run(), vm);
    if (vm.count("help")) {
      std::fputs(usage, stdout);
      std::cout << "\n" << desc << "\n";
      return kExitOk;
    }
    po::notify(vm);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vtpm-attest %s: %s\n\n%s", command, e.what(), usage);
    return kExitUsage;
  }
  return -1;
}

int ReportRpcError(const char* command, const grpc::Status& status) {
  std::fprintf(stderr, "vtpm-attest %s: %s: %s\n", command,
               GrpcCodeName(status.error_code()),
               EscapeForTerminal(status.error_message()).c_str());
  switch (status.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return kExitFailed;
    default:
      return kExitUsage;
  }
}

int ReportError(const char* command, const absl::Status& status) {
  std::fprintf(stderr, "vtpm-attest %s: %s\n", command,
               EscapeForTerminal(status.message()).c_str());
  return kExitUsage;
}

}  // namespace vtpm::cli
