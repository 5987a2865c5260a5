// Verification of a TPM2_Quote against what the verifier asked for.
//
// VerifyQuote runs an ordered list of small checks and stops at the first
// that fails; each failure is a vtpm::ReasonError with its own ReasonCode.
// The order (QuoteCheck below) is part of the contract:
//
//   1. kSizeLimits    attest <= kMaxAttestSize, signature <=
//                     kMaxSignatureSize                  OVERSIZED_MESSAGE
//   2. kAk            the AK is an RSA (>= 2048 bits) or ECC P-256/384/521
//                     key with sign, restricted, fixedTPM and
//                     sensitiveDataOrigin set and decrypt clear
//                     (attributes only when the public area is known)
//                                                          AK_INVALID
//   3. kUnmarshal     TPMT_SIGNATURE and TPMS_ATTEST unmarshal exactly, no
//                     trailing bytes                       QUOTE_MALFORMED
//   4. kScheme        ECC AK: ECDSA with sha256/sha384; RSA AK: RSASSA or
//                     RSAPSS with sha256/384/512; equal to the AK's own
//                     scheme when it has one; never sha1
//                                                  QUOTE_SCHEME_NOT_ALLOWED
//   5. kSignature     the signature verifies over H(attest) with the AK
//                                                      QUOTE_BAD_SIGNATURE
//   6. kMagic         magic == TPM_GENERATED_VALUE     QUOTE_NOT_GENERATED
//   7. kType          type == TPM_ST_ATTEST_QUOTE       QUOTE_WRONG_TYPE
//   8. kNonce         extraData == the expected nonce (constant time)
//                                                           NONCE_MISMATCH
//   9. kPcrSelection  the quoted selection == the requested one
//                                                   PCR_SELECTION_MISMATCH
//  10. kPcrDigest     the evidence holds a value of the right size for every
//                     selected PCR (else MALFORMED_MESSAGE) and
//                     pcrDigest == H(selected values in selection order)
//                                                      PCR_DIGEST_MISMATCH
//  11. kClock         (resetCount, restartCount) did not go backwards since
//                     previous_clock, and clock did not go backwards within
//                     the same reset and restart            CLOCK_ROLLBACK
//
// The signature is checked (5) before any field of the attestation is
// trusted (6-11): the magic and type of an unsigned or forged structure
// mean nothing. Because a TPM always writes TPM_GENERATED_VALUE, checks 6
// and 7 only fail for a structure a TPM did not make: one signed by a key
// that is not restricted (which check 2 refuses for known public areas) or,
// for type, another attestation such as TPM2_Certify's.
//
// The hash of the signing scheme is used for both H(attest) and the PCR
// digest: TPM2_Quote computes pcrDigest with the signing scheme's hash, not
// the AK's nameAlg (TPM 2.0 Part 3, TPM2_Quote; confirmed with swtpm: an
// AK with nameAlg sha256 and scheme ecdsa-sha384 quotes a 48-byte digest).
//
// resetCount, restartCount and firmwareVersion are obfuscated by the TPM
// for keys outside the endorsement and platform hierarchies; the rollback
// check assumes an AK in the endorsement hierarchy (tpm2_createak under
// the EK), whose counters are reported in clear.
#ifndef VTPM_VERIFIER_QUOTE_QUOTE_VERIFIER_H_
#define VTPM_VERIFIER_QUOTE_QUOTE_VERIFIER_H_

#include <tss2/tss2_tpm2_types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/pcr_selection.h"
#include "verifier/quote/prepared_ak.h"

namespace vtpm::verifier {

// Largest TPMS_ATTEST accepted: the TPM2B_ATTEST buffer size (the TSS
// defines it as sizeof(TPMS_ATTEST), 2304 bytes).
inline constexpr size_t kMaxAttestSize = sizeof(TPM2B_ATTEST::attestationData);
// Largest TPMT_SIGNATURE accepted (an RSA-4096 one is 518 bytes).
inline constexpr size_t kMaxSignatureSize = 1024;

struct QuoteEvidence {
  std::string attest;     // TPMS_ATTEST wire, no size prefix
  std::string signature;  // TPMT_SIGNATURE wire
  vtpm::PcrValues pcrs;   // at least the selected PCRs
};

struct QuoteExpectation {
  // The AK's public area. Ignored when `prepared_ak` is set.
  TPMT_PUBLIC ak = {};
  // The nonce the verifier issued; must be non-empty.
  std::string nonce;
  // The PCR selection the verifier asked for, in request order.
  vtpm::PcrSelection selection;
  // The last verified clock of this identity, if any.
  std::optional<TPMS_CLOCK_INFO> previous_clock;
  // Optional: the AK prepared once (PreparedAk::FromPublic(ak), or
  // PreparedAk::FromEvp for a bare public key whose attributes are then
  // not checked). When set it is used instead of `ak`. This is the fast
  // path for a verifier that sees many quotes from one AK: building the
  // OpenSSL key per call (and, for RSA, its Montgomery context on first
  // use) costs a third of an RSA-2048 check. Measured with
  // tests/bench/quote_verify_bench (CPU time, OpenSSL 3.0): with a prepared
  // AK VerifyQuote runs at 0.92-1.0x the rate of a bare EVP_DigestVerify of
  // the same signature; from `ak`, 0.6x (RSA-2048) and 0.7-0.8x (P-256).
  std::shared_ptr<const PreparedAk> prepared_ak;
};

struct VerifiedQuote {
  TPMS_CLOCK_INFO clock;  // clock.safe == NO: see TPMS_CLOCK_INFO
  uint64_t firmware_version;
  vtpm::PcrSelection selection;
  vtpm::PcrValues pcrs;  // only the selected PCRs
  std::string pcr_digest;
};

// The checks in the order they run (see the file comment).
enum class QuoteCheck {
  kSizeLimits,
  kAk,
  kUnmarshal,
  kScheme,
  kSignature,
  kMagic,
  kType,
  kNonce,
  kPcrSelection,
  kPcrDigest,
  kClock,
};
inline constexpr int kNumQuoteChecks = 11;

// Short stable name of a check ("signature", "nonce", ...).
absl::string_view QuoteCheckName(QuoteCheck check);

// One check that ran: OK, or the ReasonError it failed with. `note` says
// what the check could not cover (e.g. AK attributes of a bare key) or
// something worth knowing (clock not safe).
struct QuoteCheckResult {
  QuoteCheck check;
  absl::Status status;
  std::string note;
};

// Verifies `evidence` against `expected`. Returns the verified content, or
// the first failed check's ReasonError (its message says what was expected
// and what was seen). A status without a reason code (ReasonOf gives
// INTERNAL_ERROR) means the verifier itself failed (e.g. OpenSSL) or the
// expectation was unusable.
absl::StatusOr<VerifiedQuote> VerifyQuote(const QuoteEvidence& evidence,
                                          const QuoteExpectation& expected);

// Like VerifyQuote, appending to `trace` one entry per check that ran, in
// order (the last one is the failure, if any).
absl::StatusOr<VerifiedQuote> VerifyQuote(const QuoteEvidence& evidence,
                                          const QuoteExpectation& expected,
                                          std::vector<QuoteCheckResult>* trace);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_QUOTE_QUOTE_VERIFIER_H_
