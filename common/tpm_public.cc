#include "common/tpm_public.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <tss2/tss2_mu.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/tpm_alg.h"

namespace vtpm {
namespace {

using ParamBldPtr =
    std::unique_ptr<OSSL_PARAM_BLD, OsslDeleter<OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, OsslDeleter<OSSL_PARAM_free>>;

absl::StatusOr<EvpPkeyPtr> FromParams(const char* type, OSSL_PARAM* params) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return OsslError("EVP_PKEY_fromdata_init");
  }
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return OsslError("TPM public key is not a valid key",
                     absl::StatusCode::kInvalidArgument);
  }
  return EvpPkeyPtr(key);
}

absl::StatusOr<EvpPkeyPtr> RsaToEvp(const TPMT_PUBLIC& pub) {
  const auto& rsa = pub.unique.rsa;
  uint32_t exp = pub.parameters.rsaDetail.exponent;
  if (exp == 0) exp = 65537;
  if (rsa.size == 0 || rsa.size * 8 != pub.parameters.rsaDetail.keyBits) {
    return absl::InvalidArgumentError(
        absl::StrFormat("RSA modulus is %d bytes, keyBits says %d", rsa.size,
                        pub.parameters.rsaDetail.keyBits));
  }
  BignumPtr n(BN_bin2bn(rsa.buffer, rsa.size, nullptr));
  BignumPtr e(BN_new());
  if (!n || !e || BN_set_word(e.get(), exp) != 1) return OsslError("BN");
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return OsslError("OSSL_PARAM_BLD");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  return FromParams("RSA", params.get());
}

absl::StatusOr<EvpPkeyPtr> EccToEvp(const TPMT_PUBLIC& pub) {
  const char* group;
  size_t coord;
  switch (pub.parameters.eccDetail.curveID) {
    case TPM2_ECC_NIST_P256:
      group = "P-256";
      coord = 32;
      break;
    case TPM2_ECC_NIST_P384:
      group = "P-384";
      coord = 48;
      break;
    case TPM2_ECC_NIST_P521:
      group = "P-521";
      coord = 66;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrFormat(
          "unsupported ECC curve 0x%04x", pub.parameters.eccDetail.curveID));
  }
  const auto& pt = pub.unique.ecc;
  if (pt.x.size > coord || pt.y.size > coord || pt.x.size == 0 ||
      pt.y.size == 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("ECC point coordinates of %d/%d bytes for %s",
                        pt.x.size, pt.y.size, group));
  }
  std::string point(1 + 2 * coord, '\0');
  point[0] = 0x04;
  memcpy(&point[1 + coord - pt.x.size], pt.x.buffer, pt.x.size);
  memcpy(&point[1 + 2 * coord - pt.y.size], pt.y.buffer, pt.y.size);
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                       point.data(), point.size()) != 1) {
    return OsslError("OSSL_PARAM_BLD");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  return FromParams("EC", params.get());
}

}  // namespace

absl::StatusOr<TPM2B_PUBLIC> ParsePublic(absl::string_view bytes) {
  TPM2B_PUBLIC pub = {};
  size_t offset = 0;
  TSS2_RC rc = Tss2_MU_TPM2B_PUBLIC_Unmarshal(
      reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &offset,
      &pub);
  if (rc != TSS2_RC_SUCCESS) {
    return absl::InvalidArgumentError(
        absl::StrFormat("TPM2B_PUBLIC of %d bytes does not unmarshal (rc 0x%x)",
                        bytes.size(), rc));
  }
  if (offset != bytes.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "TPM2B_PUBLIC has %d trailing bytes", bytes.size() - offset));
  }
  // tss2-mu does not check the size field against the area it read.
  if (pub.size == 0) {
    return absl::InvalidArgumentError("TPM2B_PUBLIC is empty");
  }
  if (pub.size != offset - 2) {
    return absl::InvalidArgumentError(
        absl::StrFormat("TPM2B_PUBLIC size field says %d bytes, the public "
                        "area is %d",
                        pub.size, offset - 2));
  }
  return pub;
}

absl::StatusOr<std::string> MarshalPublic(const TPM2B_PUBLIC& pub) {
  uint8_t buf[sizeof(TPM2B_PUBLIC)];
  size_t offset = 0;
  TSS2_RC rc = Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, buf, sizeof(buf), &offset);
  if (rc != TSS2_RC_SUCCESS) {
    return absl::InvalidArgumentError(
        absl::StrFormat("TPM2B_PUBLIC marshal failed (rc 0x%x)", rc));
  }
  return std::string(reinterpret_cast<char*>(buf), offset);
}

absl::StatusOr<std::string> MarshalPublicArea(const TPMT_PUBLIC& pub) {
  uint8_t buf[sizeof(TPMT_PUBLIC)];
  size_t offset = 0;
  TSS2_RC rc = Tss2_MU_TPMT_PUBLIC_Marshal(&pub, buf, sizeof(buf), &offset);
  if (rc != TSS2_RC_SUCCESS) {
    return absl::InvalidArgumentError(
        absl::StrFormat("TPMT_PUBLIC marshal failed (rc 0x%x)", rc));
  }
  return std::string(reinterpret_cast<char*>(buf), offset);
}

absl::StatusOr<std::string> ComputeName(const TPMT_PUBLIC& pub) {
  auto area = MarshalPublicArea(pub);
  if (!area.ok()) return area.status();
  auto digest = Hash(pub.nameAlg, *area);
  if (!digest.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("object nameAlg: ", digest.status().message()));
  }
  std::string name;
  name.push_back(static_cast<char>(pub.nameAlg >> 8));
  name.push_back(static_cast<char>(pub.nameAlg & 0xff));
  return name + *digest;
}

absl::StatusOr<EvpPkeyPtr> PublicToEvp(const TPMT_PUBLIC& pub) {
  switch (pub.type) {
    case TPM2_ALG_RSA:
      return RsaToEvp(pub);
    case TPM2_ALG_ECC:
      return EccToEvp(pub);
    default:
      return absl::InvalidArgumentError(
          absl::StrFormat("unsupported key type 0x%04x", pub.type));
  }
}

absl::StatusOr<bool> PublicMatchesEvp(const TPMT_PUBLIC& pub, EVP_PKEY* key) {
  auto tpm_key = PublicToEvp(pub);
  if (!tpm_key.ok()) return tpm_key.status();
  return EVP_PKEY_eq(tpm_key->get(), key) == 1;
}

}  // namespace vtpm
