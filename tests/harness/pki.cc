#include "tests/harness/pki.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/ossl.h"
#include "common/status_macros.h"
#include "tests/harness/process.h"

namespace vtpm::testing {

absl::StatusOr<TlsFiles> MakeTlsFiles(const std::string& dir) {
  TlsFiles f{dir + "/tls-ca.pem", dir + "/tls-server.pem",
             dir + "/tls-server.key"};
  std::string ca_key = dir + "/tls-ca.key", csr = dir + "/tls-server.csr",
              ext = dir + "/tls-ext.cnf";
  RETURN_IF_ERROR(RunOrError({"openssl", "req", "-x509", "-newkey", "ec",
                              "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                              "-keyout", ca_key, "-out", f.ca_cert, "-days",
                              "2", "-subj", "/CN=vtpm-attest test TLS CA"}));
  RETURN_IF_ERROR(
      RunOrError({"openssl", "req", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:P-256", "-nodes", "-keyout", f.server_key,
                  "-out", csr, "-subj", "/CN=localhost"}));
  RETURN_IF_ERROR(WriteFile(ext,
                            "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                            "extendedKeyUsage=serverAuth\n"));
  RETURN_IF_ERROR(
      RunOrError({"openssl", "x509", "-req", "-in", csr, "-CA", f.ca_cert,
                  "-CAkey", ca_key, "-CAcreateserial", "-days", "2", "-extfile",
                  ext, "-out", f.server_cert}));
  return f;
}

absl::StatusOr<std::string> ReissueEkCert(const std::string& der,
                                          const TestCa& ca, time_t not_before,
                                          time_t not_after) {
  ASSIGN_OR_RETURN(X509Ptr cert, ParseDerCertificate(der));
  ASSIGN_OR_RETURN(std::string key_pem, ReadFile(ca.intermediate_key()));
  BioPtr bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return OsslError("reading CA key");
  if (!X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, 0, &not_before) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), 0, 0, &not_after)) {
    return OsslError("setting validity");
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return OsslError("X509_sign");
  }
  return CertificateToDer(cert.get());
}

}  // namespace vtpm::testing
