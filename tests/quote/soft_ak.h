// Test support: a software key (OpenSSL) that signs hand-made TPMS_ATTEST
// structures the way a TPM AK signs quotes. A real TPM never signs such a
// structure with a restricted key, so this is how tests reach the checks
// that come after the signature check (magic, type) with a valid
// signature. It is a real signer, not a mock: VerifyQuote checks its
// signatures with OpenSSL like any other.
#ifndef VTPM_TESTS_QUOTE_SOFT_AK_H_
#define VTPM_TESTS_QUOTE_SOFT_AK_H_

#include <tss2/tss2_tpm2_types.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/ossl.h"

namespace vtpm::testing {

class SoftAk {
 public:
  // A fresh ECC P-256 (TPM2_ALG_ECC) or RSA-2048 (TPM2_ALG_RSA) key.
  static absl::StatusOr<SoftAk> Create(TPMI_ALG_PUBLIC type);

  // A public area for this key with the attributes of tpm2_createak's AKs
  // (fixedTPM, fixedParent, sensitiveDataOrigin, userWithAuth, restricted,
  // sign), nameAlg sha256 and signing scheme `scheme`/`hash`
  // (TPM2_ALG_NULL for none).
  absl::StatusOr<TPMT_PUBLIC> Public(TPMI_ALG_SIG_SCHEME scheme,
                                     TPMI_ALG_HASH hash) const;

  // Signs H_hash(data) with `scheme` (ECDSA, RSASSA or RSAPSS with salt =
  // digest size) and returns the TPMT_SIGNATURE wire bytes.
  absl::StatusOr<std::string> Sign(absl::string_view data,
                                   TPMI_ALG_SIG_SCHEME scheme,
                                   TPMI_ALG_HASH hash) const;

  EVP_PKEY* key() const { return key_.get(); }

 private:
  TPMI_ALG_PUBLIC type_ = TPM2_ALG_NULL;
  EvpPkeyPtr key_;
};

// TPMS_ATTEST wire bytes (what tpm2_quote -m writes).
absl::StatusOr<std::string> MarshalAttest(const TPMS_ATTEST& attest);

}  // namespace vtpm::testing

#endif  // VTPM_TESTS_QUOTE_SOFT_AK_H_
