// The individual checks VerifyQuote runs, in its order (see
// quote_verifier.h). Each returns OK or a vtpm::ReasonError with the
// check's own ReasonCode; none of them trusts a field of the attestation
// before CheckSignature has passed, except to parse it.
#ifndef VTPM_VERIFIER_QUOTE_QUOTE_CHECKS_H_
#define VTPM_VERIFIER_QUOTE_QUOTE_CHECKS_H_

#include <tss2/tss2_tpm2_types.h>

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/pcr_selection.h"
#include "verifier/quote/prepared_ak.h"

namespace vtpm::verifier {

// 1. attest.size() <= kMaxAttestSize and signature.size() <=
// kMaxSignatureSize, else OVERSIZED_MESSAGE.
absl::Status CheckSizeLimits(absl::string_view attest,
                             absl::string_view signature);

// 2. The AK is a restricted signing key: RSA of at least 2048 bits or ECC
// on P-256/P-384/P-521; with a known public area also sign, restricted,
// fixedTPM and sensitiveDataOrigin set and decrypt clear. Else AK_INVALID.
// For a bare key (no public area) sets `*note` to what was not checked.
absl::Status CheckAk(const PreparedAk& ak, std::string* note);

// 3. Unmarshals a TPMT_SIGNATURE / a TPMS_ATTEST that must fill `bytes`
// exactly. Else QUOTE_MALFORMED.
absl::Status UnmarshalSignature(absl::string_view bytes, TPMT_SIGNATURE* out);
absl::Status UnmarshalAttest(absl::string_view bytes, TPMS_ATTEST* out);

// The hash algorithm a signature names (TPM2_ALG_NULL for none).
TPMI_ALG_HASH SignatureHash(const TPMT_SIGNATURE& sig);

// 4. The signature's scheme and hash are allowed for the AK: ECDSA with
// sha256/sha384 for ECC; RSASSA or RSAPSS with sha256/sha384/sha512 for
// RSA; equal to the AK's own scheme when the public area names one.
// Else QUOTE_SCHEME_NOT_ALLOWED.
absl::Status CheckScheme(const PreparedAk& ak, const TPMT_SIGNATURE& sig);

// 5. `sig` (already allowed by CheckScheme) verifies over
// H_sighash(attest) with the AK's key. Else QUOTE_BAD_SIGNATURE. ECDSA r
// and s longer than the curve's scalar size are refused; RSAPSS accepts any
// salt length (TPMs use either the digest size or the maximum).
absl::Status CheckSignature(const PreparedAk& ak, const TPMT_SIGNATURE& sig,
                            absl::string_view attest);

// 6. magic == TPM_GENERATED_VALUE, else QUOTE_NOT_GENERATED.
absl::Status CheckMagic(const TPMS_ATTEST& attest);

// 7. type == TPM_ST_ATTEST_QUOTE, else QUOTE_WRONG_TYPE.
absl::Status CheckType(const TPMS_ATTEST& attest);

// 8. extraData == `nonce`, compared in constant time, else NONCE_MISMATCH.
// An empty `nonce` is a caller error (InvalidArgument without a reason).
absl::Status CheckNonce(const TPMS_ATTEST& attest, absl::string_view nonce);

// 9. The quoted PCR selection equals `requested` (same banks in the same
// order, same PCRs). Else PCR_SELECTION_MISMATCH.
absl::Status CheckPcrSelection(const TPMS_ATTEST& attest,
                               const PcrSelection& requested);

// 10. `values` holds a value of the bank's digest size for every PCR of
// `selection` (else MALFORMED_MESSAGE), and the quoted pcrDigest equals
// H_hash(those values in selection order) (else PCR_DIGEST_MISMATCH). On
// success `*selected` holds just the selected values and `*digest` the
// digest.
absl::Status CheckPcrDigest(const TPMS_ATTEST& attest,
                            const PcrSelection& selection,
                            const PcrValues& values, TPMI_ALG_HASH hash,
                            PcrValues* selected, std::string* digest);

// 11. Relative to `previous` (if any): resetCount did not decrease; with
// equal resetCount restartCount did not decrease; with both equal clock
// did not decrease. Else CLOCK_ROLLBACK. Sets `*note` when clock.safe is
// NO (the TPM may have reported a higher clock before an unorderly
// shutdown).
absl::Status CheckClock(const TPMS_CLOCK_INFO& now,
                        const std::optional<TPMS_CLOCK_INFO>& previous,
                        std::string* note);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_QUOTE_QUOTE_CHECKS_H_
