#include "tests/fuzz/fixed_ak.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <tss2/tss2_mu.h>

#include <cstring>
#include <memory>

namespace vtpm::fuzz {
namespace {

constexpr char kScalarLabel[] = "vtpm-attest fuzz AK";
constexpr size_t kCoordSize = 32;

using EcGroupPtr = std::unique_ptr<EC_GROUP, OsslDeleter<EC_GROUP_free>>;
using EcPointPtr = std::unique_ptr<EC_POINT, OsslDeleter<EC_POINT_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, OsslDeleter<BN_CTX_free>>;
using ParamBldPtr =
    std::unique_ptr<OSSL_PARAM_BLD, OsslDeleter<OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, OsslDeleter<OSSL_PARAM_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OsslDeleter<ECDSA_SIG_free>>;

}  // namespace

absl::StatusOr<EvpPkeyPtr> FixedEccP256Key() {
  unsigned char scalar[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(kScalarLabel),
         sizeof(kScalarLabel) - 1, scalar);
  BignumPtr priv(BN_bin2bn(scalar, sizeof(scalar), nullptr));
  EcGroupPtr group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  BnCtxPtr bn_ctx(BN_CTX_new());
  if (!priv || !group || !bn_ctx) return OsslError("P-256 setup");
  EcPointPtr pub(EC_POINT_new(group.get()));
  if (!pub || EC_POINT_mul(group.get(), pub.get(), priv.get(), nullptr, nullptr,
                           bn_ctx.get()) != 1) {
    return OsslError("P-256 public point");
  }
  unsigned char octets[1 + 2 * kCoordSize];
  if (EC_POINT_point2oct(group.get(), pub.get(), POINT_CONVERSION_UNCOMPRESSED,
                         octets, sizeof(octets),
                         bn_ctx.get()) != sizeof(octets)) {
    return OsslError("P-256 point encoding");
  }
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      "P-256", 0) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get()) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                       octets, sizeof(octets)) != 1) {
    return OsslError("P-256 key parameters");
  }
  ParamsPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    return OsslError("P-256 key from data");
  }
  return EvpPkeyPtr(key);
}

absl::StatusOr<TPMT_PUBLIC> EccAkPublic(EVP_PKEY* key) {
  unsigned char octets[1 + 2 * kCoordSize];
  size_t len = 0;
  char group[32] = {};
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                     sizeof(group), nullptr) != 1 ||
      std::strcmp(group, "prime256v1") != 0 ||
      EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                      octets, sizeof(octets), &len) != 1 ||
      len != sizeof(octets) || octets[0] != POINT_CONVERSION_UNCOMPRESSED) {
    return absl::InvalidArgumentError("EccAkPublic: not a P-256 key");
  }
  TPMT_PUBLIC pub = {};
  pub.type = TPM2_ALG_ECC;
  pub.nameAlg = TPM2_ALG_SHA256;
  pub.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                         TPMA_OBJECT_SENSITIVEDATAORIGIN |
                         TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED |
                         TPMA_OBJECT_SIGN_ENCRYPT;
  TPMS_ECC_PARMS& ecc = pub.parameters.eccDetail;
  ecc.symmetric.algorithm = TPM2_ALG_NULL;
  ecc.scheme.scheme = TPM2_ALG_ECDSA;
  ecc.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  ecc.curveID = TPM2_ECC_NIST_P256;
  ecc.kdf.scheme = TPM2_ALG_NULL;
  pub.unique.ecc.x.size = kCoordSize;
  std::memcpy(pub.unique.ecc.x.buffer, octets + 1, kCoordSize);
  pub.unique.ecc.y.size = kCoordSize;
  std::memcpy(pub.unique.ecc.y.buffer, octets + 1 + kCoordSize, kCoordSize);
  return pub;
}

absl::StatusOr<std::string> SignEcdsaSha256(EVP_PKEY* key,
                                            absl::string_view message) {
  EvpMdCtxPtr md(EVP_MD_CTX_new());
  size_t der_len = 0;
  if (!md ||
      EVP_DigestSignInit_ex(md.get(), nullptr, "SHA256", nullptr, nullptr, key,
                            nullptr) != 1 ||
      EVP_DigestSign(md.get(), nullptr, &der_len,
                     reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    return OsslError("ECDSA sign setup");
  }
  std::string der(der_len, '\0');
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(der.data()),
                     &der_len,
                     reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    return OsslError("ECDSA sign");
  }
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
  if (!sig) return OsslError("ECDSA signature decoding");
  TPMT_SIGNATURE tpm_sig = {};
  tpm_sig.sigAlg = TPM2_ALG_ECDSA;
  tpm_sig.signature.ecdsa.hash = TPM2_ALG_SHA256;
  TPM2B_ECC_PARAMETER& r = tpm_sig.signature.ecdsa.signatureR;
  TPM2B_ECC_PARAMETER& s = tpm_sig.signature.ecdsa.signatureS;
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), r.buffer, kCoordSize) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), s.buffer, kCoordSize) < 0) {
    return OsslError("ECDSA r/s encoding");
  }
  r.size = kCoordSize;
  s.size = kCoordSize;
  uint8_t buf[sizeof(TPMT_SIGNATURE)];
  size_t off = 0;
  TSS2_RC rc = Tss2_MU_TPMT_SIGNATURE_Marshal(&tpm_sig, buf, sizeof(buf), &off);
  if (rc != TSS2_RC_SUCCESS) {
    return absl::InternalError("Tss2_MU_TPMT_SIGNATURE_Marshal failed");
  }
  return std::string(reinterpret_cast<const char*>(buf), off);
}

}  // namespace vtpm::fuzz
