#include "verifier/ek/ek_public_check.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/reason.h"
#include "common/tpm_alg.h"

namespace vtpm::verifier {
namespace {

struct RequiredAttribute {
  TPMA_OBJECT bit;
  bool set;
  const char* name;
};

constexpr RequiredAttribute kAttributes[] = {
    {TPMA_OBJECT_FIXEDTPM, true, "fixedTPM"},
    {TPMA_OBJECT_FIXEDPARENT, true, "fixedParent"},
    {TPMA_OBJECT_RESTRICTED, true, "restricted"},
    {TPMA_OBJECT_DECRYPT, true, "decrypt"},
    {TPMA_OBJECT_SIGN_ENCRYPT, false, "sign"},
};

void CheckRsa(const TPMS_RSA_PARMS& rsa, const TPM2B_PUBLIC_KEY_RSA& unique,
              std::vector<std::string>& problems) {
  if (rsa.keyBits < 2048) {
    problems.push_back(absl::StrCat("RSA key of ", rsa.keyBits, " bits"));
  } else if (unique.size != rsa.keyBits / 8) {
    problems.push_back(absl::StrCat("RSA modulus of ", unique.size,
                                    " bytes for keyBits ", rsa.keyBits));
  }
  if (rsa.symmetric.algorithm == TPM2_ALG_NULL) {
    problems.push_back("no symmetric algorithm");
  }
  if (rsa.scheme.scheme != TPM2_ALG_NULL) {
    problems.push_back(absl::StrFormat("RSA scheme 0x%04x instead of NULL",
                                       rsa.scheme.scheme));
  }
}

void CheckEcc(const TPMS_ECC_PARMS& ecc, std::vector<std::string>& problems) {
  if (ecc.curveID != TPM2_ECC_NIST_P256 && ecc.curveID != TPM2_ECC_NIST_P384 &&
      ecc.curveID != TPM2_ECC_NIST_P521) {
    problems.push_back(absl::StrFormat("ECC curve 0x%04x", ecc.curveID));
  }
  if (ecc.symmetric.algorithm == TPM2_ALG_NULL) {
    problems.push_back("no symmetric algorithm");
  }
  if (ecc.scheme.scheme != TPM2_ALG_NULL) {
    problems.push_back(absl::StrFormat("ECC scheme 0x%04x instead of NULL",
                                       ecc.scheme.scheme));
  }
}

}  // namespace

absl::Status CheckEkPublicArea(const TPMT_PUBLIC& ek) {
  std::vector<std::string> problems;
  if (ek.type == TPM2_ALG_RSA) {
    CheckRsa(ek.parameters.rsaDetail, ek.unique.rsa, problems);
  } else if (ek.type == TPM2_ALG_ECC) {
    CheckEcc(ek.parameters.eccDetail, problems);
  } else {
    problems.push_back(
        absl::StrFormat("key type 0x%04x is neither RSA nor ECC", ek.type));
  }
  if (ek.nameAlg != TPM2_ALG_SHA256 && ek.nameAlg != TPM2_ALG_SHA384 &&
      ek.nameAlg != TPM2_ALG_SHA512) {
    problems.push_back(absl::StrCat("nameAlg ", HashAlgName(ek.nameAlg)));
  }
  for (const RequiredAttribute& a : kAttributes) {
    bool is_set = (ek.objectAttributes & a.bit) != 0;
    if (is_set != a.set) {
      problems.push_back(
          absl::StrCat("attribute ", a.name, a.set ? " not set" : " set"));
    }
  }
  if (problems.empty()) return absl::OkStatus();
  return ReasonError(
      vtpm_attest::v1::EK_PUBLIC_INVALID,
      absl::StrFormat("public area is not an endorsement key (attributes "
                      "0x%08x): %s",
                      ek.objectAttributes, absl::StrJoin(problems, ", ")));
}

}  // namespace vtpm::verifier
