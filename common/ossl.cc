#include "common/ossl.h"

#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/hex.h"

namespace vtpm {

absl::Status OsslError(absl::string_view context, absl::StatusCode code) {
  std::string detail;
  unsigned long err;
  while ((err = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    if (!detail.empty()) detail += "; ";
    detail += buf;
  }
  if (detail.empty()) detail = "no OpenSSL error recorded";
  return absl::Status(code, absl::StrCat(context, ": ", detail));
}

absl::StatusOr<X509Ptr> ParseDerCertificate(absl::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* end = p + der.size();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) {
    return OsslError("certificate is not valid DER X.509",
                     absl::StatusCode::kInvalidArgument);
  }
  if (p != end) {
    return absl::InvalidArgumentError(absl::StrCat(
        "certificate has ", end - p, " trailing bytes after the DER"));
  }
  return cert;
}

absl::StatusOr<std::vector<X509Ptr>> ParsePemCertificates(
    absl::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OsslError("BIO_new_mem_buf");
  std::vector<X509Ptr> certs;
  while (true) {
    X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (c == nullptr) break;
    certs.emplace_back(c);
  }
  ERR_clear_error();  // The loop ends on "no start line".
  if (certs.empty()) {
    return absl::InvalidArgumentError("no PEM certificate found");
  }
  return certs;
}

absl::StatusOr<std::string> CertificateToDer(X509* cert) {
  unsigned char* buf = nullptr;
  int len = i2d_X509(cert, &buf);
  if (len <= 0) return OsslError("i2d_X509");
  std::string out(reinterpret_cast<char*>(buf), len);
  OPENSSL_free(buf);
  return out;
}

absl::StatusOr<std::string> PublicKeyToDer(EVP_PKEY* key) {
  unsigned char* buf = nullptr;
  int len = i2d_PUBKEY(key, &buf);
  if (len <= 0) return OsslError("i2d_PUBKEY");
  std::string out(reinterpret_cast<char*>(buf), len);
  OPENSSL_free(buf);
  return out;
}

absl::StatusOr<std::string> PublicKeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return OsslError("PEM_write_bio_PUBKEY");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, len);
}

absl::StatusOr<EvpPkeyPtr> ParsePemPublicKey(absl::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OsslError("BIO_new_mem_buf");
  EvpPkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    return OsslError("not a PEM public key",
                     absl::StatusCode::kInvalidArgument);
  }
  return key;
}

absl::StatusOr<std::string> PublicKeyFingerprint(EVP_PKEY* key) {
  auto der = PublicKeyToDer(key);
  if (!der.ok()) return der.status();
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(der->data()), der->size(), md);
  return HexEncode(
      absl::string_view(reinterpret_cast<const char*>(md), sizeof(md)));
}

absl::Status EcdsaRsToDer(absl::string_view r, absl::string_view s,
                          std::string* der) {
  std::unique_ptr<ECDSA_SIG, OsslDeleter<ECDSA_SIG_free>> sig(ECDSA_SIG_new());
  BIGNUM* rb = BN_bin2bn(reinterpret_cast<const unsigned char*>(r.data()),
                         static_cast<int>(r.size()), nullptr);
  BIGNUM* sb = BN_bin2bn(reinterpret_cast<const unsigned char*>(s.data()),
                         static_cast<int>(s.size()), nullptr);
  if (!sig || !rb || !sb || ECDSA_SIG_set0(sig.get(), rb, sb) != 1) {
    BN_free(rb);
    BN_free(sb);
    return OsslError("ECDSA_SIG");
  }
  // rb and sb are owned by `sig` now.
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return OsslError("i2d_ECDSA_SIG");
  der->resize(len);
  unsigned char* p = reinterpret_cast<unsigned char*>(der->data());
  if (i2d_ECDSA_SIG(sig.get(), &p) != len) return OsslError("i2d_ECDSA_SIG");
  return absl::OkStatus();
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace vtpm
