#include "tests/quote/soft_ak.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/tpm_alg.h"

namespace vtpm::testing {
namespace {

using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OsslDeleter<ECDSA_SIG_free>>;

// Big-endian bytes of a BIGNUM parameter, left-padded to `size`.
absl::StatusOr<std::string> BnParam(EVP_PKEY* key, const char* name, int size) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) {
    return OsslError(absl::StrCat("EVP_PKEY_get_bn_param ", name));
  }
  BignumPtr bn(raw);
  std::string out(size, '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()),
                   size) != size) {
    return OsslError("BN_bn2binpad");
  }
  return out;
}

template <typename T>
void Fill(T* tpm2b, const std::string& bytes) {
  tpm2b->size = static_cast<UINT16>(bytes.size());
  memcpy(tpm2b->buffer, bytes.data(), bytes.size());
}

}  // namespace

absl::StatusOr<SoftAk> SoftAk::Create(TPMI_ALG_PUBLIC type) {
  SoftAk ak;
  ak.type_ = type;
  if (type == TPM2_ALG_ECC) {
    ak.key_.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  } else if (type == TPM2_ALG_RSA) {
    ak.key_.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
  } else {
    return absl::InvalidArgumentError("SoftAk: ECC or RSA only");
  }
  if (!ak.key_) return OsslError("EVP_PKEY_Q_keygen");
  return ak;
}

absl::StatusOr<TPMT_PUBLIC> SoftAk::Public(TPMI_ALG_SIG_SCHEME scheme,
                                           TPMI_ALG_HASH hash) const {
  TPMT_PUBLIC pub = {};
  pub.nameAlg = TPM2_ALG_SHA256;
  pub.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                         TPMA_OBJECT_SENSITIVEDATAORIGIN |
                         TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED |
                         TPMA_OBJECT_SIGN_ENCRYPT;
  pub.type = type_;
  if (type_ == TPM2_ALG_ECC) {
    auto& p = pub.parameters.eccDetail;
    p.symmetric.algorithm = TPM2_ALG_NULL;
    p.scheme.scheme = scheme;
    p.scheme.details.anySig.hashAlg = hash;
    p.curveID = TPM2_ECC_NIST_P256;
    p.kdf.scheme = TPM2_ALG_NULL;
    auto x = BnParam(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32);
    if (!x.ok()) return x.status();
    auto y = BnParam(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32);
    if (!y.ok()) return y.status();
    Fill(&pub.unique.ecc.x, *x);
    Fill(&pub.unique.ecc.y, *y);
  } else {
    auto& p = pub.parameters.rsaDetail;
    p.symmetric.algorithm = TPM2_ALG_NULL;
    p.scheme.scheme = scheme;
    p.scheme.details.anySig.hashAlg = hash;
    p.keyBits = 2048;
    p.exponent = 0;
    auto n = BnParam(key_.get(), OSSL_PKEY_PARAM_RSA_N, 256);
    if (!n.ok()) return n.status();
    Fill(&pub.unique.rsa, *n);
  }
  return pub;
}

absl::StatusOr<std::string> SoftAk::Sign(absl::string_view data,
                                         TPMI_ALG_SIG_SCHEME scheme,
                                         TPMI_ALG_HASH hash) const {
  auto md = EvpMdForTpmAlg(hash);
  if (!md.ok()) return md.status();
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), &pctx, *md, nullptr, key_.get()) != 1) {
    return OsslError("EVP_DigestSignInit");
  }
  if (scheme == TPM2_ALG_RSAPSS &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
    return OsslError("PSS parameters");
  }
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len,
                     reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1) {
    return OsslError("EVP_DigestSign");
  }
  std::string raw(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(raw.data()),
                     &len, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1) {
    return OsslError("EVP_DigestSign");
  }
  raw.resize(len);

  TPMT_SIGNATURE sig = {};
  sig.sigAlg = scheme;
  if (scheme == TPM2_ALG_ECDSA) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(raw.data());
    EcdsaSigPtr ecdsa(d2i_ECDSA_SIG(nullptr, &p, raw.size()));
    if (!ecdsa) return OsslError("d2i_ECDSA_SIG");
    sig.signature.ecdsa.hash = hash;
    auto& r = sig.signature.ecdsa.signatureR;
    auto& s = sig.signature.ecdsa.signatureS;
    r.size = s.size = 32;
    BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa.get()), r.buffer, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa.get()), s.buffer, 32);
  } else if (scheme == TPM2_ALG_RSASSA || scheme == TPM2_ALG_RSAPSS) {
    sig.signature.rsassa.hash = hash;
    Fill(&sig.signature.rsassa.sig, raw);
  } else {
    return absl::InvalidArgumentError("SoftAk: unsupported scheme");
  }
  uint8_t buf[sizeof(TPMT_SIGNATURE)];
  size_t off = 0;
  TSS2_RC rc = Tss2_MU_TPMT_SIGNATURE_Marshal(&sig, buf, sizeof(buf), &off);
  if (rc != TSS2_RC_SUCCESS) {
    return absl::InternalError(
        absl::StrCat("TPMT_SIGNATURE marshal 0x", absl::Hex(rc)));
  }
  return std::string(reinterpret_cast<char*>(buf), off);
}

absl::StatusOr<std::string> MarshalAttest(const TPMS_ATTEST& attest) {
  uint8_t buf[sizeof(TPMS_ATTEST) + 16];
  size_t off = 0;
  TSS2_RC rc = Tss2_MU_TPMS_ATTEST_Marshal(&attest, buf, sizeof(buf), &off);
  if (rc != TSS2_RC_SUCCESS) {
    return absl::InternalError(
        absl::StrCat("TPMS_ATTEST marshal 0x", absl::Hex(rc)));
  }
  return std::string(reinterpret_cast<char*>(buf), off);
}

}  // namespace vtpm::testing
