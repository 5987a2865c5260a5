#include "tests/harness/pki.h"

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/hex.h"
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
                            "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n"
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

namespace {

absl::StatusOr<EvpPkeyPtr> ReadPrivateKey(const std::string& path) {
  ASSIGN_OR_RETURN(std::string pem, ReadFile(path));
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return OsslError(absl::StrCat("reading ", path));
  return key;
}

absl::StatusOr<TestCertificate> LoadPair(const std::string& cert_path,
                                         const std::string& key_path) {
  TestCertificate out;
  ASSIGN_OR_RETURN(std::string pem, ReadFile(cert_path));
  ASSIGN_OR_RETURN(std::vector<X509Ptr> certs, ParsePemCertificates(pem));
  out.cert = std::move(certs.front());
  ASSIGN_OR_RETURN(out.der, CertificateToDer(out.cert.get()));
  ASSIGN_OR_RETURN(out.key, ReadPrivateKey(key_path));
  return out;
}

// Adds an extension from its openssl.cnf text, `issuer` issuing `cert`.
absl::Status AddExtension(X509* cert, X509* issuer, int nid,
                          const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return OsslError(absl::StrCat("extension ", value));
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) return OsslError("X509_add_ext");
  return absl::OkStatus();
}

absl::Status SetRandomSerial(X509* cert) {
  BignumPtr bn(BN_new());
  if (!bn || BN_rand(bn.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return OsslError("serial number");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<EvpPkeyPtr> MakeTestKey(absl::string_view spec) {
  EvpPkeyPtr key;
  if (absl::ConsumePrefix(&spec, "rsa:")) {
    size_t bits = 0;
    if (!absl::SimpleAtoi(spec, &bits)) {
      return absl::InvalidArgumentError(absl::StrCat("key spec rsa:", spec));
    }
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits));
  } else if (absl::ConsumePrefix(&spec, "ec:")) {
    std::string curve(spec);
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve.c_str()));
  } else {
    return absl::InvalidArgumentError(absl::StrCat("key spec ", spec));
  }
  if (!key) return OsslError(absl::StrCat("generating a ", spec, " key"));
  return key;
}

absl::Status SignCertificate(X509* cert, EVP_PKEY* key, const SignSpec& sign) {
  const EVP_MD* md = EVP_get_digestbyname(sign.digest.c_str());
  if (md == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("digest ", sign.digest));
  }
  EvpMdCtxPtr mctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by mctx
  if (!mctx || EVP_DigestSignInit(mctx.get(), &pctx, md, nullptr, key) != 1) {
    return OsslError(absl::StrCat("EVP_DigestSignInit ", sign.digest));
  }
  if (sign.pss) {
    const EVP_MD* mgf1 = sign.mgf1_digest.empty()
                             ? md
                             : EVP_get_digestbyname(sign.mgf1_digest.c_str());
    if (mgf1 == nullptr ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, mgf1) != 1) {
      return OsslError("RSASSA-PSS parameters");
    }
  }
  if (X509_sign_ctx(cert, mctx.get()) <= 0) return OsslError("X509_sign_ctx");
  return absl::OkStatus();
}

absl::StatusOr<TestCertificate> MakeTestCaCertificate(
    const std::string& common_name, EvpPkeyPtr key,
    const TestCertificate* issuer, const SignSpec& sign) {
  if (!key) return absl::InvalidArgumentError("no key");
  TestCertificate out;
  out.cert.reset(X509_new());
  X509* cert = out.cert.get();
  if (cert == nullptr || X509_set_version(cert, X509_VERSION_3) != 1 ||
      X509_NAME_add_entry_by_txt(
          X509_get_subject_name(cert), "CN", MBSTRING_UTF8,
          reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
          0) != 1 ||
      X509_set_issuer_name(cert, issuer != nullptr
                                     ? X509_get_subject_name(issuer->cert.get())
                                     : X509_get_subject_name(cert)) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert), 3650L * 24 * 3600) == nullptr ||
      X509_set_pubkey(cert, key.get()) != 1) {
    return OsslError("building a CA certificate");
  }
  RETURN_IF_ERROR(SetRandomSerial(cert));
  X509* issuer_cert = issuer != nullptr ? issuer->cert.get() : cert;
  RETURN_IF_ERROR(AddExtension(cert, issuer_cert, NID_basic_constraints,
                               "critical,CA:TRUE"));
  RETURN_IF_ERROR(AddExtension(cert, issuer_cert, NID_key_usage,
                               "critical,keyCertSign,cRLSign"));
  RETURN_IF_ERROR(
      AddExtension(cert, issuer_cert, NID_subject_key_identifier, "hash"));
  if (issuer != nullptr) {
    RETURN_IF_ERROR(AddExtension(cert, issuer_cert,
                                 NID_authority_key_identifier, "keyid:always"));
  }
  RETURN_IF_ERROR(SignCertificate(
      cert, issuer != nullptr ? issuer->key.get() : key.get(), sign));
  ASSIGN_OR_RETURN(out.der, CertificateToDer(cert));
  out.key = std::move(key);
  return out;
}

absl::StatusOr<std::string> ReissueCertificateUnder(
    const std::string& der, const TestCertificate& issuer,
    const SignSpec& sign) {
  ASSIGN_OR_RETURN(X509Ptr cert, ParseDerCertificate(der));
  if (X509_set_issuer_name(cert.get(),
                           X509_get_subject_name(issuer.cert.get())) != 1) {
    return OsslError("X509_set_issuer_name");
  }
  int idx;
  while ((idx = X509_get_ext_by_NID(cert.get(), NID_authority_key_identifier,
                                    -1)) >= 0) {
    X509_EXTENSION_free(X509_delete_ext(cert.get(), idx));
  }
  RETURN_IF_ERROR(AddExtension(cert.get(), issuer.cert.get(),
                               NID_authority_key_identifier, "keyid:always"));
  RETURN_IF_ERROR(SignCertificate(cert.get(), issuer.key.get(), sign));
  return CertificateToDer(cert.get());
}

absl::StatusOr<TestCertificate> LoadTestCaRoot(const TestCa& ca) {
  return LoadPair(ca.root_cert(),
                  ca.dir() + "/swtpm-localca-rootca-privkey.pem");
}

absl::StatusOr<TestCertificate> LoadTestCaIntermediate(const TestCa& ca) {
  return LoadPair(ca.intermediate_cert(), ca.intermediate_key());
}

absl::StatusOr<std::string> CertificateDerToPem(absl::string_view der) {
  ASSIGN_OR_RETURN(X509Ptr cert, ParseDerCertificate(der));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) {
    return OsslError("PEM_write_bio_X509");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, len > 0 ? static_cast<size_t>(len) : 0);
}

std::string CertificateDerSha256(absl::string_view der) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(der.data()), der.size(), md);
  return HexEncode(
      absl::string_view(reinterpret_cast<const char*>(md), sizeof(md)));
}

}  // namespace vtpm::testing
