#include "agent/tpm/ek_template.h"

#include <cstring>

#include "absl/strings/str_format.h"
#include "common/hex.h"
#include "common/status_macros.h"
#include "common/tpm_alg.h"

namespace vtpm::agent {
namespace {

constexpr TPMA_OBJECT kLowAttributes =
    TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
constexpr TPMA_OBJECT kHighAttributes =
    kLowAttributes | TPMA_OBJECT_USERWITHAUTH;

std::string BigEndian32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>(v >> (24 - 8 * i));
  return s;
}

void SetDigest(TPM2B_DIGEST* out, const std::string& d) {
  out->size = static_cast<UINT16>(d.size());
  memcpy(out->buffer, d.data(), d.size());
}

bool IsHigh(EkTemplateId id) {
  return id != EkTemplateId::kL1Rsa2048 && id != EkTemplateId::kL2EccP256;
}

}  // namespace

const char* EkTemplateName(EkTemplateId id) {
  switch (id) {
    case EkTemplateId::kL1Rsa2048:
      return "L-1 RSA-2048";
    case EkTemplateId::kL2EccP256:
      return "L-2 ECC P-256";
    case EkTemplateId::kH1Rsa2048:
      return "H-1 RSA-2048";
    case EkTemplateId::kH2EccP256:
      return "H-2 ECC P-256";
    case EkTemplateId::kH3EccP384:
      return "H-3 ECC P-384";
  }
  return "?";
}

absl::StatusOr<std::string> EkPolicyA(TPMI_ALG_HASH hash) {
  size_t size = DigestSize(hash);
  if (size == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("no EK policy for hash ", HashAlgName(hash)));
  }
  // TPM2_PolicySecret: H(H(0...0 || TPM_CC_PolicySecret || authName) ||
  // policyRef), with authName = the handle TPM_RH_ENDORSEMENT.
  ASSIGN_OR_RETURN(
      std::string step,
      Hash(hash, std::string(size, '\0') + BigEndian32(TPM2_CC_PolicySecret) +
                     BigEndian32(TPM2_RH_ENDORSEMENT)));
  return Hash(hash, step);
}

absl::StatusOr<std::string> EkPolicyC(TPMI_ALG_HASH hash) {
  const char* hex = nullptr;
  switch (hash) {
    case TPM2_ALG_SHA256:
      hex = "3767e2edd43ff45a3a7e1eaefcef78643dca964632e7aad82c673a30d8633fde";
      break;
    case TPM2_ALG_SHA384:
      hex =
          "d6032ce61f2fb3c240eb3cf6a33237ef2b6a16f4293c22b455e261cffd217ad5"
          "b4947c2d73e63005eed2dc2b3593d165";
      break;
    case TPM2_ALG_SHA512:
      hex =
          "589ee1e146544716e8deafe6db247b01b81e9f9c7dd16b814aa159138749105f"
          "ba5388dd1dea702f35240c184933121e2c61b8f50d3ef91393a49a38c3f73fc8";
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("no EK PolicyC for hash ", HashAlgName(hash)));
  }
  return HexDecode(hex);
}

absl::StatusOr<std::string> EkPolicyB(TPMI_ALG_HASH hash) {
  ASSIGN_OR_RETURN(std::string a, EkPolicyA(hash));
  ASSIGN_OR_RETURN(std::string c, EkPolicyC(hash));
  // TPM2_PolicyOR: H(0...0 || TPM_CC_PolicyOR || digest1 || digest2).
  return Hash(hash, std::string(DigestSize(hash), '\0') +
                        BigEndian32(TPM2_CC_PolicyOR) + a + c);
}

TPM2B_PUBLIC EkTemplate(EkTemplateId id) {
  TPM2B_PUBLIC t = {};
  TPMT_PUBLIC& p = t.publicArea;
  const bool high = IsHigh(id);
  p.nameAlg =
      id == EkTemplateId::kH3EccP384 ? TPM2_ALG_SHA384 : TPM2_ALG_SHA256;
  p.objectAttributes = high ? kHighAttributes : kLowAttributes;
  // The policies of the supported hashes always compute.
  SetDigest(&p.authPolicy,
            (high ? EkPolicyB(p.nameAlg) : EkPolicyA(p.nameAlg)).value());
  TPMT_SYM_DEF_OBJECT sym = {};
  sym.algorithm = TPM2_ALG_AES;
  sym.keyBits.aes = id == EkTemplateId::kH3EccP384 ? 256 : 128;
  sym.mode.aes = TPM2_ALG_CFB;

  switch (id) {
    case EkTemplateId::kL1Rsa2048:
    case EkTemplateId::kH1Rsa2048: {
      p.type = TPM2_ALG_RSA;
      auto& rsa = p.parameters.rsaDetail;
      rsa.symmetric = sym;
      rsa.scheme.scheme = TPM2_ALG_NULL;
      rsa.keyBits = 2048;
      rsa.exponent = 0;
      p.unique.rsa.size = high ? 0 : 256;  // zeros
      break;
    }
    case EkTemplateId::kL2EccP256:
    case EkTemplateId::kH2EccP256:
    case EkTemplateId::kH3EccP384: {
      p.type = TPM2_ALG_ECC;
      auto& ecc = p.parameters.eccDetail;
      ecc.symmetric = sym;
      ecc.scheme.scheme = TPM2_ALG_NULL;
      ecc.curveID = id == EkTemplateId::kH3EccP384 ? TPM2_ECC_NIST_P384
                                                   : TPM2_ECC_NIST_P256;
      ecc.kdf.scheme = TPM2_ALG_NULL;
      p.unique.ecc.x.size = high ? 0 : 32;  // zeros
      p.unique.ecc.y.size = high ? 0 : 32;
      break;
    }
  }
  return t;
}

bool MatchesEkTemplate(const TPMT_PUBLIC& pub, EkTemplateId id) {
  const TPMT_PUBLIC t = EkTemplate(id).publicArea;
  if (pub.type != t.type || pub.nameAlg != t.nameAlg ||
      pub.objectAttributes != t.objectAttributes ||
      pub.authPolicy.size != t.authPolicy.size ||
      memcmp(pub.authPolicy.buffer, t.authPolicy.buffer, t.authPolicy.size) !=
          0) {
    return false;
  }
  auto same_sym = [](const TPMT_SYM_DEF_OBJECT& a,
                     const TPMT_SYM_DEF_OBJECT& b) {
    return a.algorithm == b.algorithm && a.keyBits.sym == b.keyBits.sym &&
           a.mode.sym == b.mode.sym;
  };
  if (t.type == TPM2_ALG_RSA) {
    const auto& a = pub.parameters.rsaDetail;
    const auto& b = t.parameters.rsaDetail;
    return same_sym(a.symmetric, b.symmetric) &&
           a.scheme.scheme == b.scheme.scheme && a.keyBits == b.keyBits &&
           (a.exponent == 0 || a.exponent == 65537);
  }
  const auto& a = pub.parameters.eccDetail;
  const auto& b = t.parameters.eccDetail;
  return same_sym(a.symmetric, b.symmetric) &&
         a.scheme.scheme == b.scheme.scheme && a.curveID == b.curveID &&
         a.kdf.scheme == b.kdf.scheme;
}

}  // namespace vtpm::agent
