// Who may call the admin API: a bearer token ("authorization: Bearer
// <token>" metadata) and/or a TLS client certificate issued by the admin
// client CA. A verifier configured with neither does not serve the API.
#ifndef VTPM_VERIFIER_ADMIN_ADMIN_AUTH_H_
#define VTPM_VERIFIER_ADMIN_ADMIN_AUTH_H_

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_context.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/ossl.h"

namespace vtpm::verifier {

struct AdminAuthConfig {
  // File holding the bearer token (surrounding whitespace ignored). Empty:
  // no token accepted.
  std::string token_file;
  // PEM file with the CA certificate(s) that issue admin client
  // certificates. Empty: no client certificate accepted.
  std::string client_ca_file;
};

class AdminAuth {
 public:
  // Reads the token file and the CA once. Errors: a token file that
  // cannot be read, is empty, or that other users may read or write
  // (chmod o-rwx; a group-readable file only draws a warning on stderr);
  // a CA file without a certificate.
  static absl::StatusOr<std::unique_ptr<AdminAuth>> Create(
      const AdminAuthConfig& config);

  // False when neither a token nor a client CA is configured: the server
  // must then not register the admin service.
  bool Enabled() const { return !token_hash_.empty() || !ca_pem_.empty(); }

  // The caller's actor name for the audit trail: "token" for a valid
  // bearer token, or the subject (RFC 2253) of a client certificate that
  // chains to the admin client CA. A bearer header that is present but
  // wrong fails even if a certificate would do. UNAUTHENTICATED otherwise.
  absl::StatusOr<std::string> Authenticate(
      const grpc::ServerContext& context) const;

  // The admin client CA (PEM), empty when none is configured.
  const std::string& client_ca_pem() const { return ca_pem_; }

 private:
  AdminAuth() = default;
  absl::StatusOr<std::string> CheckCertificate(
      const std::string& leaf_pem, const std::string& chain_pem) const;

  std::string token_hash_;  // SHA-256 of the token; empty: none
  std::string ca_pem_;
  std::vector<X509Ptr> ca_certs_;
};

// TLS options for a listener that serves the admin API: the server's
// certificate and key, and, when `client_ca_pems` is not empty, their
// concatenation as the roots against which client certificates are
// verified. Client certificates are requested and verified when sent, but
// not required (agents and token-using operators send none). Pass the
// admin client CA (AdminAuth::client_ca_pem()) plus any CA that other
// services of the listener accept; AdminAuth re-checks that an admin
// caller's certificate chains to the admin CA itself.
grpc::SslServerCredentialsOptions AdminTlsOptions(
    const std::string& server_cert_pem, const std::string& server_key_pem,
    const std::vector<std::string>& client_ca_pems);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_ADMIN_ADMIN_AUTH_H_
