// Test harness: certificates made with OpenSSL for tests. A TLS server
// certificate for the verifier on loopback, re-issued EK certificates
// (other validity dates or extensions) signed by a TestCa, and CA
// hierarchies made in memory with chosen keys and signature algorithms
// (weak ones included) that re-issue real EK certificates.
#ifndef VTPM_TESTS_HARNESS_PKI_H_
#define VTPM_TESTS_HARNESS_PKI_H_

#include <ctime>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/ossl.h"
#include "tests/harness/swtpm.h"

namespace vtpm::testing {

struct TlsFiles {
  std::string ca_cert;      // PEM CA that agents trust
  std::string server_cert;  // PEM leaf for "localhost" and 127.0.0.1
  std::string server_key;
};

// Makes a CA and a server certificate for localhost in `dir`.
absl::StatusOr<TlsFiles> MakeTlsFiles(const std::string& dir);

// Re-issues the DER EK certificate `der` with the given validity, signed by
// `ca`'s intermediate key (same subject, SAN, key and other extensions).
absl::StatusOr<std::string> ReissueEkCert(const std::string& der,
                                          const TestCa& ca, time_t not_before,
                                          time_t not_after);

// --- CA hierarchies with chosen algorithms ------------------------------

// A fresh key: "rsa:BITS" (e.g. "rsa:1024", "rsa:2048") or "ec:CURVE"
// (an OpenSSL group name: "ec:P-256", "ec:P-224", "ec:P-192").
absl::StatusOr<EvpPkeyPtr> MakeTestKey(absl::string_view spec);

// How an issuer signs a certificate.
struct SignSpec {
  // Digest name for EVP_get_digestbyname: "sha256", "sha1", "md5", ...
  std::string digest = "sha256";
  // RSASSA-PSS (RSA keys only) instead of PKCS#1 v1.5 / ECDSA, with salt
  // length = digest length and MGF1 over `mgf1_digest` (empty: `digest`).
  bool pss = false;
  std::string mgf1_digest;
};

// Signs `cert` with `key` as `sign` says (both signatureAlgorithm fields are
// set by OpenSSL).
absl::Status SignCertificate(X509* cert, EVP_PKEY* key, const SignSpec& sign);

// A certificate and its private key.
struct TestCertificate {
  X509Ptr cert;
  EvpPkeyPtr key;
  std::string der;
};

// A CA certificate named "CN=`common_name`" for `key` (taken), valid from
// an hour ago for ten years, v3 with basicConstraints critical CA:TRUE,
// keyUsage critical keyCertSign+cRLSign, subjectKeyIdentifier and (when
// issued) authorityKeyIdentifier. Self-signed when `issuer` is null, else
// issued by `issuer`. Signed as `sign` says.
absl::StatusOr<TestCertificate> MakeTestCaCertificate(
    const std::string& common_name, EvpPkeyPtr key,
    const TestCertificate* issuer, const SignSpec& sign = {});

// Re-issues the DER certificate `der` (a real EK certificate) under
// `issuer`: same subject, key, serial, validity and extensions, with the
// issuer name and authorityKeyIdentifier of `issuer`, signed as `sign` says.
absl::StatusOr<std::string> ReissueCertificateUnder(
    const std::string& der, const TestCertificate& issuer,
    const SignSpec& sign = {});

// The root CA (swtpm-localca-rootca) and the intermediate (swtpm-localca)
// of `ca` with their private keys, to issue more certificates under them.
absl::StatusOr<TestCertificate> LoadTestCaRoot(const TestCa& ca);
absl::StatusOr<TestCertificate> LoadTestCaIntermediate(const TestCa& ca);

// PEM ("-----BEGIN CERTIFICATE-----") of the DER certificate `der`.
absl::StatusOr<std::string> CertificateDerToPem(absl::string_view der);

// Lower-case hex SHA-256 of the DER certificate `der`.
std::string CertificateDerSha256(absl::string_view der);

}  // namespace vtpm::testing

#endif  // VTPM_TESTS_HARNESS_PKI_H_
