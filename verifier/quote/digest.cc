#include "verifier/quote/digest.h"

#include "absl/strings/str_cat.h"
#include "common/ossl.h"
#include "common/tpm_alg.h"

namespace vtpm::verifier {

const EVP_MD* FetchedMd(TPMI_ALG_HASH alg) {
  // Function-local statics: initialised once, thread-safe.
  switch (alg) {
    case TPM2_ALG_SHA1: {
      static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
      return md;
    }
    case TPM2_ALG_SHA256: {
      static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
      return md;
    }
    case TPM2_ALG_SHA384: {
      static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA2-384", nullptr);
      return md;
    }
    case TPM2_ALG_SHA512: {
      static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA2-512", nullptr);
      return md;
    }
    default:
      return nullptr;
  }
}

absl::Status DigestInto(TPMI_ALG_HASH alg, absl::string_view data,
                        unsigned char* out, unsigned int* len) {
  const EVP_MD* md = FetchedMd(alg);
  if (md == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported hash algorithm ", HashAlgName(alg)));
  }
  if (EVP_Digest(data.data(), data.size(), out, len, md, nullptr) != 1) {
    return OsslError("EVP_Digest");
  }
  return absl::OkStatus();
}

}  // namespace vtpm::verifier
