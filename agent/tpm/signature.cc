#include "agent/tpm/signature.h"

#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "common/ossl.h"
#include "common/status_macros.h"
#include "common/tpm_alg.h"
#include "common/tpm_public.h"

namespace vtpm::agent {
namespace {

// DER ECDSA-Sig-Value from the TPM's r and s.
absl::StatusOr<std::string> EcdsaToDer(const TPMS_SIGNATURE_ECC& ecc) {
  std::string der;
  RETURN_IF_ERROR(EcdsaRsToDer(
      absl::string_view(reinterpret_cast<const char*>(ecc.signatureR.buffer),
                        ecc.signatureR.size),
      absl::string_view(reinterpret_cast<const char*>(ecc.signatureS.buffer),
                        ecc.signatureS.size),
      &der));
  return der;
}

}  // namespace

absl::Status VerifyTpmSignature(const TPMT_PUBLIC& key,
                                absl::string_view message,
                                const TPMT_SIGNATURE& sig) {
  std::string sig_bytes;
  TPMI_ALG_HASH hash;
  int padding = 0;
  switch (sig.sigAlg) {
    case TPM2_ALG_RSASSA:
    case TPM2_ALG_RSAPSS: {
      if (key.type != TPM2_ALG_RSA) {
        return absl::FailedPreconditionError(
            "RSA signature from a non-RSA key");
      }
      const auto& rsa = sig.sigAlg == TPM2_ALG_RSASSA ? sig.signature.rsassa
                                                      : sig.signature.rsapss;
      hash = rsa.hash;
      sig_bytes.assign(reinterpret_cast<const char*>(rsa.sig.buffer),
                       rsa.sig.size);
      padding = sig.sigAlg == TPM2_ALG_RSASSA ? RSA_PKCS1_PADDING
                                              : RSA_PKCS1_PSS_PADDING;
      break;
    }
    case TPM2_ALG_ECDSA: {
      if (key.type != TPM2_ALG_ECC) {
        return absl::FailedPreconditionError(
            "ECDSA signature from a non-ECC key");
      }
      hash = sig.signature.ecdsa.hash;
      ASSIGN_OR_RETURN(sig_bytes, EcdsaToDer(sig.signature.ecdsa));
      break;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrFormat("unsupported signature scheme 0x%04x", sig.sigAlg));
  }
  ASSIGN_OR_RETURN(const EVP_MD* md, EvpMdForTpmAlg(hash));
  ASSIGN_OR_RETURN(EvpPkeyPtr pkey, PublicToEvp(key));
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx ||
      EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, pkey.get()) != 1) {
    return OsslError("EVP_DigestVerifyInit");
  }
  if (padding != 0) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, padding) != 1) {
      return OsslError("RSA padding");
    }
    // The TPM uses a salt as long as the digest; accept any when checking.
    if (padding == RSA_PKCS1_PSS_PADDING &&
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1) {
      return OsslError("RSA-PSS salt length");
    }
  }
  int ok = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(sig_bytes.data()),
      sig_bytes.size(), reinterpret_cast<const unsigned char*>(message.data()),
      message.size());
  if (ok != 1) {
    ERR_clear_error();
    return absl::FailedPreconditionError(absl::StrFormat(
        "the signature (scheme 0x%04x, %s) does not verify with the key",
        sig.sigAlg, HashAlgName(hash)));
  }
  return absl::OkStatus();
}

}  // namespace vtpm::agent
