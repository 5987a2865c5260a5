// CheckSignature (declared in quote_checks.h): the quote's signature over
// H(attest) with the AK's OpenSSL key.
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/ossl.h"
#include "common/reason.h"
#include "common/tpm_alg.h"
#include "verifier/quote/digest.h"
#include "verifier/quote/quote_checks.h"

namespace vtpm::verifier {
namespace {

namespace v1 = ::vtpm_attest::v1;

absl::Status BadSignature(absl::string_view why) {
  ERR_clear_error();
  return ReasonError(v1::QUOTE_BAD_SIGNATURE, why);
}

// DER encoding of the ECDSA signature (r, s) into `der` (resized).
absl::Status EcdsaToDer(const PreparedAk& ak, const TPMS_SIGNATURE_ECC& ecc,
                        std::string* der) {
  size_t max = ak.ecc_scalar_size();
  if (ecc.signatureR.size == 0 || ecc.signatureS.size == 0 ||
      ecc.signatureR.size > max || ecc.signatureS.size > max) {
    return BadSignature(
        absl::StrFormat("ECDSA r/s of %d/%d bytes for a %d-bit curve",
                        ecc.signatureR.size, ecc.signatureS.size, ak.bits()));
  }
  return EcdsaRsToDer(
      absl::string_view(reinterpret_cast<const char*>(ecc.signatureR.buffer),
                        ecc.signatureR.size),
      absl::string_view(reinterpret_cast<const char*>(ecc.signatureS.buffer),
                        ecc.signatureS.size),
      der);
}

}  // namespace

absl::Status CheckSignature(const PreparedAk& ak, const TPMT_SIGNATURE& sig,
                            absl::string_view attest) {
  const EVP_MD* md = FetchedMd(SignatureHash(sig));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  absl::Status hashed =
      DigestInto(SignatureHash(sig), attest, digest, &digest_len);
  if (!hashed.ok()) return hashed;

  const unsigned char* sig_bytes = nullptr;
  size_t sig_len = 0;
  std::string der;
  int padding = 0;  // RSA: PKCS#1 v1.5 is OpenSSL's default
  switch (sig.sigAlg) {
    case TPM2_ALG_RSASSA:
      sig_bytes = sig.signature.rsassa.sig.buffer;
      sig_len = sig.signature.rsassa.sig.size;
      break;
    case TPM2_ALG_RSAPSS:
      sig_bytes = sig.signature.rsapss.sig.buffer;
      sig_len = sig.signature.rsapss.sig.size;
      padding = RSA_PKCS1_PSS_PADDING;
      break;
    case TPM2_ALG_ECDSA: {
      absl::Status s = EcdsaToDer(ak, sig.signature.ecdsa, &der);
      if (!s.ok()) return s;
      sig_bytes = reinterpret_cast<const unsigned char*>(der.data());
      sig_len = der.size();
      break;
    }
    default:
      // CheckScheme runs first; this is a programming error.
      return absl::InternalError(
          absl::StrFormat("unexpected signature scheme 0x%04x", sig.sigAlg));
  }

  const int verified =
      ak.Verify(md, padding, sig_bytes, sig_len, digest, digest_len);
  if (verified < 0) return OsslError("EVP_PKEY_verify");
  if (verified == 0) {
    return BadSignature(
        absl::StrCat("quote signature does not verify with the AK (",
                     HashAlgName(SignatureHash(sig)), ")"));
  }
  return absl::OkStatus();
}

}  // namespace vtpm::verifier
