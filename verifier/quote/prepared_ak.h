// An attestation key made ready for quote verification once: its TPM
// public area (when known) and the OpenSSL key built from it.
//
// VerifyQuote builds one per call from QuoteExpectation::ak unless the
// caller passes a PreparedAk in QuoteExpectation::prepared_ak. Building the
// OpenSSL key from a TPMT_PUBLIC costs about as much as an RSA-2048
// signature check, so a verifier that checks many quotes from the same AK
// should prepare it once and reuse it (it is immutable and safe to share
// between threads).
#ifndef VTPM_VERIFIER_QUOTE_PREPARED_AK_H_
#define VTPM_VERIFIER_QUOTE_PREPARED_AK_H_

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ossl.h"

namespace vtpm::verifier {

class PreparedAk {
 public:
  // From the AK's public area. Fails with AK_INVALID when the area is not
  // an RSA or ECC (P-256/P-384/P-521) key that OpenSSL accepts. Does not
  // judge the attributes: that is VerifyQuote's AK check.
  static absl::StatusOr<std::shared_ptr<const PreparedAk>> FromPublic(
      const TPMT_PUBLIC& pub);

  // From a bare public key (e.g. a PEM file from `tpm2_createak -f pem`).
  // The TPM public area is then unknown: VerifyQuote can check neither the
  // object attributes (restricted, sign, fixedTPM, ...) nor the key's own
  // signing scheme, only the key type and size. Fails with AK_INVALID for
  // key types other than RSA and EC (P-256/P-384/P-521).
  static absl::StatusOr<std::shared_ptr<const PreparedAk>> FromEvp(
      EvpPkeyPtr key);

  // The public area, or nullptr when the key came from FromEvp.
  const TPMT_PUBLIC* public_area() const {
    return public_area_ ? &*public_area_ : nullptr;
  }
  // TPM2_ALG_RSA or TPM2_ALG_ECC.
  TPMI_ALG_PUBLIC type() const { return type_; }
  // RSA modulus bits or the ECC curve's order bits.
  int bits() const { return bits_; }
  // Size in bytes of an ECDSA r or s value for this curve (0 for RSA).
  size_t ecc_scalar_size() const { return (bits_ + 7) / 8; }
  EVP_PKEY* evp() const { return key_.get(); }

  // EVP_PKEY_verify of `sig` over `digest`, hashed with `md`; `padding` is
  // 0 (ECDSA, or RSA PKCS#1 v1.5) or RSA_PKCS1_PSS_PADDING (salt length
  // recovered, MGF1 with `md`). The verify context is set up on first use
  // and kept for the next call with the same md and padding: setting one up
  // costs about half an ECDSA P-256 verify. Returns 1 for a good signature,
  // 0 for a bad or malformed one, -1 when OpenSSL could not set up the
  // check (its error queue says why). Thread-safe.
  int Verify(const EVP_MD* md, int padding, const unsigned char* sig,
             size_t sig_len, const unsigned char* digest,
             size_t digest_len) const;

 private:
  struct PooledCtx {
    const EVP_MD* md;
    int padding;
    EvpPkeyCtxPtr ctx;
  };
  EvpPkeyCtxPtr NewVerifyCtx(const EVP_MD* md, int padding) const;

  PreparedAk() = default;
  std::optional<TPMT_PUBLIC> public_area_;
  TPMI_ALG_PUBLIC type_ = TPM2_ALG_NULL;
  int bits_ = 0;
  EvpPkeyPtr key_;
  // Idle verify contexts; one is lent to each Verify call.
  mutable std::mutex pool_mu_;
  mutable std::vector<PooledCtx> pool_;
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_QUOTE_PREPARED_AK_H_
