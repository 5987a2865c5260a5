#include "verifier/admin/admin_auth.h"

#include <grpc/grpc_security_constants.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace vtpm::verifier {
namespace {

constexpr char kBearer[] = "Bearer ";

std::string Sha256(absl::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) !=
      1) {
    return "";
  }
  return std::string(reinterpret_cast<const char*>(md), len);
}

absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", what, " ", path));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string SubjectName(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return "";
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0,
                     XN_FLAG_RFC2253);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, len > 0 ? static_cast<size_t>(len) : 0);
}

}  // namespace

absl::StatusOr<std::unique_ptr<AdminAuth>> AdminAuth::Create(
    const AdminAuthConfig& config) {
  std::unique_ptr<AdminAuth> auth(new AdminAuth());
  if (!config.token_file.empty()) {
    struct stat st;
    if (::stat(config.token_file.c_str(), &st) != 0) {
      return absl::NotFoundError(
          absl::StrCat("cannot stat admin token file ", config.token_file));
    }
    if ((st.st_mode & S_IRWXO) != 0) {
      return absl::PermissionDeniedError(absl::StrCat(
          "admin token file ", config.token_file,
          " is accessible by other users; chmod o-rwx (0600 or 0640) it"));
    }
    if ((st.st_mode & S_IRWXG) != 0) {
      std::fprintf(stderr,
                   "warning: admin token file %s is accessible by its group\n",
                   config.token_file.c_str());
    }
    ASSIGN_OR_RETURN(std::string token,
                     ReadFile(config.token_file, "admin token file"));
    absl::string_view t = absl::StripAsciiWhitespace(token);
    if (t.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("admin token file ", config.token_file, " is empty"));
    }
    auth->token_hash_ = Sha256(t);
    if (auth->token_hash_.empty()) return OsslError("hashing the admin token");
  }
  if (!config.client_ca_file.empty()) {
    ASSIGN_OR_RETURN(auth->ca_pem_,
                     ReadFile(config.client_ca_file, "admin client CA"));
    auto certs = ParsePemCertificates(auth->ca_pem_);
    if (!certs.ok()) {
      return Annotate(certs.status(),
                      absl::StrCat("admin client CA ", config.client_ca_file));
    }
    auth->ca_certs_ = *std::move(certs);
  }
  return auth;
}

absl::StatusOr<std::string> AdminAuth::Authenticate(
    const grpc::ServerContext& context) const {
  const auto& md = context.client_metadata();
  auto it = md.find("authorization");
  if (it != md.end()) {
    absl::string_view value(it->second.data(), it->second.size());
    if (token_hash_.empty()) {
      return absl::UnauthenticatedError(
          "this verifier accepts no admin bearer token");
    }
    if (!absl::StartsWith(value, kBearer)) {
      return absl::UnauthenticatedError(
          "authorization metadata is not \"Bearer <token>\"");
    }
    // Comparing hashes keeps the time independent of the token's length
    // and of where the first difference lies.
    std::string got =
        Sha256(absl::StripAsciiWhitespace(value.substr(sizeof(kBearer) - 1)));
    if (got.size() != token_hash_.size() ||
        CRYPTO_memcmp(got.data(), token_hash_.data(), got.size()) != 0) {
      return absl::UnauthenticatedError("invalid admin token");
    }
    return std::string("token");
  }
  std::shared_ptr<const grpc::AuthContext> ac = context.auth_context();
  if (ac != nullptr) {
    auto leaf = ac->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
    if (!leaf.empty()) {
      if (ca_certs_.empty()) {
        return absl::UnauthenticatedError(
            "this verifier accepts no admin client certificate");
      }
      auto chain =
          ac->FindPropertyValues(GRPC_X509_PEM_CERT_CHAIN_PROPERTY_NAME);
      return CheckCertificate(
          std::string(leaf[0].data(), leaf[0].size()),
          chain.empty() ? "" : std::string(chain[0].data(), chain[0].size()));
    }
  }
  return absl::UnauthenticatedError(
      "admin API: no credentials (send \"authorization: Bearer <token>\" or "
      "a client certificate of the admin CA)");
}

absl::StatusOr<std::string> AdminAuth::CheckCertificate(
    const std::string& leaf_pem, const std::string& chain_pem) const {
  auto leaf = ParsePemCertificates(leaf_pem);
  if (!leaf.ok() || leaf->empty()) {
    return absl::UnauthenticatedError("unreadable client certificate");
  }
  X509StorePtr store(X509_STORE_new());
  X509StackPtr untrusted(sk_X509_new_null());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx) return OsslError("client cert check");
  for (const auto& ca : ca_certs_) {
    if (X509_STORE_add_cert(store.get(), ca.get()) != 1) {
      return OsslError("adding the admin client CA");
    }
  }
  if (!chain_pem.empty()) {
    auto chain = ParsePemCertificates(chain_pem);
    if (chain.ok()) {
      for (auto& c : *chain) {
        if (sk_X509_push(untrusted.get(), c.get()) == 0) {
          return OsslError("client cert chain");
        }
        c.release();
      }
    }
  }
  X509* cert = (*leaf)[0].get();
  if (X509_STORE_CTX_init(ctx.get(), store.get(), cert, untrusted.get()) != 1) {
    return OsslError("client cert check");
  }
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    return absl::UnauthenticatedError(absl::StrCat(
        "client certificate ", SubjectName(cert),
        " is not an admin certificate: ", X509_verify_cert_error_string(err)));
  }
  return SubjectName(cert);
}

grpc::SslServerCredentialsOptions AdminTlsOptions(
    const std::string& server_cert_pem, const std::string& server_key_pem,
    const std::vector<std::string>& client_ca_pems) {
  grpc::SslServerCredentialsOptions opts(
      client_ca_pems.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                             : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  opts.pem_key_cert_pairs.push_back({server_key_pem, server_cert_pem});
  for (const auto& pem : client_ca_pems) {
    opts.pem_root_certs += pem;
    if (!pem.empty() && pem.back() != '\n') opts.pem_root_certs += '\n';
  }
  return opts;
}

}  // namespace vtpm::verifier
