// RAII owners for OpenSSL objects and conversion of OpenSSL's error queue
// into absl::Status.
#ifndef VTPM_COMMON_OSSL_H_
#define VTPM_COMMON_OSSL_H_

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vtpm {

template <auto Fn>
struct OsslDeleter {
  template <typename T>
  void operator()(T* p) const {
    Fn(p);
  }
};

using BioPtr = std::unique_ptr<BIO, OsslDeleter<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, OsslDeleter<BN_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OsslDeleter<EVP_PKEY_free>>;
using EvpPkeyCtxPtr =
    std::unique_ptr<EVP_PKEY_CTX, OsslDeleter<EVP_PKEY_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OsslDeleter<EVP_MD_CTX_free>>;
using EvpCipherCtxPtr =
    std::unique_ptr<EVP_CIPHER_CTX, OsslDeleter<EVP_CIPHER_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, OsslDeleter<X509_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OsslDeleter<X509_STORE_free>>;
using X509StoreCtxPtr =
    std::unique_ptr<X509_STORE_CTX, OsslDeleter<X509_STORE_CTX_free>>;

struct X509StackDeleter {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;

// Drains OpenSSL's thread-local error queue into a Status with code `code`
// whose message is "`context`: <openssl reasons>".
absl::Status OsslError(absl::string_view context,
                       absl::StatusCode code = absl::StatusCode::kInternal);

// Parses one DER certificate; the whole input must be consumed.
absl::StatusOr<X509Ptr> ParseDerCertificate(absl::string_view der);

// Parses every certificate in a PEM file's contents (at least one).
absl::StatusOr<std::vector<X509Ptr>> ParsePemCertificates(
    absl::string_view pem);

// DER encoding of `cert`.
absl::StatusOr<std::string> CertificateToDer(X509* cert);

// DER SubjectPublicKeyInfo of `key`.
absl::StatusOr<std::string> PublicKeyToDer(EVP_PKEY* key);

// PEM SubjectPublicKeyInfo of `key` ("-----BEGIN PUBLIC KEY-----").
absl::StatusOr<std::string> PublicKeyToPem(EVP_PKEY* key);

// Parses a PEM SubjectPublicKeyInfo.
absl::StatusOr<EvpPkeyPtr> ParsePemPublicKey(absl::string_view pem);

// Lower-case hex SHA-256 of the key's DER SubjectPublicKeyInfo.
absl::StatusOr<std::string> PublicKeyFingerprint(EVP_PKEY* key);

// DER ECDSA-Sig-Value from big-endian r and s (as a TPM returns them),
// written to `der` (resized; reuse it to avoid allocations).
absl::Status EcdsaRsToDer(absl::string_view r, absl::string_view s,
                          std::string* der);

// Constant-time equality of two byte strings (length is not secret).
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace vtpm

#endif  // VTPM_COMMON_OSSL_H_
