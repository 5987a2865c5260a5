#include "verifier/quote/prepared_ak.h"

#include <openssl/core_names.h>
#include <openssl/objects.h>

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

}  // namespace vtpm::verifier
