#include "common/tpm_alg.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/ossl.h"

namespace vtpm {

absl::StatusOr<const EVP_MD*> EvpMdForTpmAlg(TPMI_ALG_HASH alg) {
  switch (alg) {
    case TPM2_ALG_SHA1:
      return EVP_sha1();
    case TPM2_ALG_SHA256:
      return EVP_sha256();
    case TPM2_ALG_SHA384:
      return EVP_sha384();
    case TPM2_ALG_SHA512:
      return EVP_sha512();
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported hash algorithm ", HashAlgName(alg)));
  }
}

size_t DigestSize(TPMI_ALG_HASH alg) {
  switch (alg) {
    case TPM2_ALG_SHA1:
      return 20;
    case TPM2_ALG_SHA256:
      return 32;
    case TPM2_ALG_SHA384:
      return 48;
    case TPM2_ALG_SHA512:
      return 64;
    default:
      return 0;
  }
}

std::string HashAlgName(TPMI_ALG_HASH alg) {
  switch (alg) {
    case TPM2_ALG_SHA1:
      return "sha1";
    case TPM2_ALG_SHA256:
      return "sha256";
    case TPM2_ALG_SHA384:
      return "sha384";
    case TPM2_ALG_SHA512:
      return "sha512";
    default:
      return absl::StrFormat("0x%04x", alg);
  }
}

absl::StatusOr<TPMI_ALG_HASH> HashAlgFromName(absl::string_view name) {
  if (name == "sha1") return TPMI_ALG_HASH{TPM2_ALG_SHA1};
  if (name == "sha256") return TPMI_ALG_HASH{TPM2_ALG_SHA256};
  if (name == "sha384") return TPMI_ALG_HASH{TPM2_ALG_SHA384};
  if (name == "sha512") return TPMI_ALG_HASH{TPM2_ALG_SHA512};
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown hash algorithm '", name, "' (want sha1|sha256|sha384|sha512)"));
}

absl::StatusOr<std::string> Hash(TPMI_ALG_HASH alg, absl::string_view data) {
  // Fetched once per algorithm: an implicit fetch on every EVP_Digest call
  // costs more than hashing a short event.
  static const EVP_MD* const kFetched[] = {
      EVP_MD_fetch(nullptr, "SHA1", nullptr),
      EVP_MD_fetch(nullptr, "SHA256", nullptr),
      EVP_MD_fetch(nullptr, "SHA384", nullptr),
      EVP_MD_fetch(nullptr, "SHA512", nullptr)};
  const EVP_MD* md = nullptr;
  switch (alg) {
    case TPM2_ALG_SHA1:
      md = kFetched[0];
      break;
    case TPM2_ALG_SHA256:
      md = kFetched[1];
      break;
    case TPM2_ALG_SHA384:
      md = kFetched[2];
      break;
    case TPM2_ALG_SHA512:
      md = kFetched[3];
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported hash algorithm ", HashAlgName(alg)));
  }
  if (md == nullptr) return OsslError("EVP_MD_fetch");
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) {
    return OsslError("EVP_Digest");
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace vtpm
