#include "verifier/quote/prepared_ak.h"

#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

#include "absl/strings/str_cat.h"
#include "common/reason.h"
#include "common/tpm_public.h"

namespace vtpm::verifier {
namespace {

using ::vtpm_attest::v1::AK_INVALID;

// The order size in bits of a supported NIST curve, or 0.
int CurveBitsForTpm(TPMI_ECC_CURVE curve) {
  switch (curve) {
    case TPM2_ECC_NIST_P256:
      return 256;
    case TPM2_ECC_NIST_P384:
      return 384;
    case TPM2_ECC_NIST_P521:
      return 521;
    default:
      return 0;
  }
}

int CurveBitsForEvp(EVP_PKEY* key) {
  char name[64];
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name,
                                     sizeof(name), &len) != 1) {
    return 0;
  }
  switch (OBJ_txt2nid(name)) {
    case NID_X9_62_prime256v1:
      return 256;
    case NID_secp384r1:
      return 384;
    case NID_secp521r1:
      return 521;
    default:
      return 0;
  }
}

}  // namespace

absl::StatusOr<std::shared_ptr<const PreparedAk>> PreparedAk::FromPublic(
    const TPMT_PUBLIC& pub) {
  std::shared_ptr<PreparedAk> ak(new PreparedAk());
  ak->public_area_ = pub;
  ak->type_ = pub.type;
  switch (pub.type) {
    case TPM2_ALG_RSA:
      ak->bits_ = pub.parameters.rsaDetail.keyBits;
      break;
    case TPM2_ALG_ECC:
      ak->bits_ = CurveBitsForTpm(pub.parameters.eccDetail.curveID);
      break;
    default:
      return ReasonError(AK_INVALID,
                         absl::StrCat("AK type 0x", absl::Hex(pub.type),
                                      " is neither RSA nor ECC"));
  }
  auto key = PublicToEvp(pub);
  if (!key.ok()) {
    return ReasonError(
        AK_INVALID, absl::StrCat("AK public area: ", key.status().message()));
  }
  ak->key_ = *std::move(key);
  return std::shared_ptr<const PreparedAk>(std::move(ak));
}

absl::StatusOr<std::shared_ptr<const PreparedAk>> PreparedAk::FromEvp(
    EvpPkeyPtr key) {
  if (!key) return ReasonError(AK_INVALID, "no AK key");
  std::shared_ptr<PreparedAk> ak(new PreparedAk());
  switch (EVP_PKEY_get_base_id(key.get())) {
    case EVP_PKEY_RSA:
      ak->type_ = TPM2_ALG_RSA;
      ak->bits_ = EVP_PKEY_get_bits(key.get());
      break;
    case EVP_PKEY_EC:
      ak->type_ = TPM2_ALG_ECC;
      ak->bits_ = CurveBitsForEvp(key.get());
      if (ak->bits_ == 0) {
        return ReasonError(AK_INVALID,
                           "AK is an EC key on a curve other than "
                           "P-256/P-384/P-521");
      }
      break;
    default:
      return ReasonError(AK_INVALID, "AK key is neither RSA nor EC");
  }
  ak->key_ = std::move(key);
  return std::shared_ptr<const PreparedAk>(std::move(ak));
}

EvpPkeyCtxPtr PreparedAk::NewVerifyCtx(const EVP_MD* md, int padding) const {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), md) != 1) {
    return nullptr;
  }
  if (padding != 0 && EVP_PKEY_CTX_set_rsa_padding(ctx.get(), padding) != 1) {
    return nullptr;
  }
  if (padding == RSA_PKCS1_PSS_PADDING &&
      (EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_AUTO) != 1 ||
       EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) != 1)) {
    return nullptr;
  }
  return ctx;
}

int PreparedAk::Verify(const EVP_MD* md, int padding, const unsigned char* sig,
                       size_t sig_len, const unsigned char* digest,
                       size_t digest_len) const {
  EvpPkeyCtxPtr ctx;
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    for (size_t i = 0; i < pool_.size(); ++i) {
      if (pool_[i].md == md && pool_[i].padding == padding) {
        ctx = std::move(pool_[i].ctx);
        pool_.erase(pool_.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
    }
  }
  if (!ctx) ctx = NewVerifyCtx(md, padding);
  if (!ctx) return -1;
  const int ok = EVP_PKEY_verify(ctx.get(), sig, sig_len, digest, digest_len);
  // A malformed signature (< 0) is a bad one; its context is not kept.
  if (ok < 0) return 0;
  // A context lent out at once by several threads is one extra each; keep
  // a few at most.
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (pool_.size() < 4) pool_.push_back({md, padding, std::move(ctx)});
  return ok == 1 ? 1 : 0;
}

}  // namespace vtpm::verifier
