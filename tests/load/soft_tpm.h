// Load testing: a software TPM identity good enough for the real verifier.
//
// A SoftTpm holds what an agent's TPM contributes to an attestation: an ECC
// P-256 endorsement key whose public area follows the TCG EK template L-2
// exactly, an EK certificate issued by a SoftEkCa, an ECC P-256 restricted
// signing AK, software TPM2_ActivateCredential for that EK, and TPM2_Quote
// over a synthetic PCR bank, signed ECDSA-SHA256 by the AK. Keys are
// OpenSSL keys in this process; everything on the wire is exactly what a
// TPM would send, so the verifier runs its real code path on it.
//
// Not a TPM: nothing stops a caller from signing arbitrary data with the AK.
// Use it only to generate load and test vectors.
#ifndef VTPM_TESTS_LOAD_SOFT_TPM_H_
#define VTPM_TESTS_LOAD_SOFT_TPM_H_

#include <tss2/tss2_tpm2_types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/ossl.h"
#include "common/pcr_selection.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::load {

// TPM2_PolicySecret(TPM_RH_ENDORSEMENT) with sha256: the authPolicy of the
// TCG EK templates L-1/L-2 (EK Credential Profile 2.x, B.3.3).
inline constexpr char kEkAuthPolicySha256Hex[] =
    "837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa";

// objectAttributes of template L-2: fixedTPM, fixedParent,
// sensitiveDataOrigin, adminWithPolicy, restricted, decrypt.
inline constexpr TPMA_OBJECT kEkTemplateAttributes =
    TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;

// objectAttributes of the AK (as tpm2_createak makes them): fixedTPM,
// fixedParent, sensitiveDataOrigin, userWithAuth, restricted, sign.
inline constexpr TPMA_OBJECT kAkAttributes =
    TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;

// A test CA that issues EK certificates: one self-signed ECC P-256 root
// (basicConstraints CA:TRUE, keyCertSign) that signs EK certificates
// directly. Immutable after Create(); IssueEkCert is thread-safe.
class SoftEkCa {
 public:
  // A fresh CA whose subject is "CN=`common_name`".
  static absl::StatusOr<std::unique_ptr<SoftEkCa>> Create(
      const std::string& common_name = "vtpm-attest load test EK CA");

  // PEM of the CA certificate (for a trust store directory).
  const std::string& cert_pem() const { return cert_pem_; }
  X509* cert() const { return cert_.get(); }

  // A DER EK certificate for `ek_key` with subject "CN=`subject_cn`",
  // serial `serial`, valid from one hour ago for ten years, and the
  // extensions of the TCG EK Credential Profile (as swtpm writes them):
  // basicConstraints CA:FALSE, keyUsage keyAgreement (EC) or
  // keyEncipherment (RSA), extendedKeyUsage tcg-kp-EKCertificate,
  // critical subjectAltName directoryName with tpmManufacturer
  // "id:00001014", tpmModel "vtpm-load", tpmVersion "id:20191023", and
  // authorityKeyIdentifier.
  absl::StatusOr<std::string> IssueEkCert(EVP_PKEY* ek_key,
                                          const std::string& subject_cn,
                                          uint64_t serial) const;

 private:
  SoftEkCa() = default;
  EvpPkeyPtr key_;
  X509Ptr cert_;
  std::string cert_pem_;
};

struct SoftTpmOptions {
  // Seed of PCRs 0..7 (the "image"; agents that share it have equal values
  // there, so a policy can pin them) and of PCRs 8..23 (per machine).
  uint64_t image_seed = 0;
  uint64_t machine_seed = 0;
  // Subject CN and serial of the EK certificate.
  std::string ek_cert_cn = "vtpm-load-agent";
  uint64_t ek_cert_serial = 1;
  // TPMS_ATTEST.firmwareVersion.
  uint64_t firmware_version = 0x2020032000000000ULL;
};

// One software TPM. Not thread-safe: one agent drives it.
class SoftTpm {
 public:
  // Generates the EK and AK and has `ca` certify the EK.
  static absl::StatusOr<std::unique_ptr<SoftTpm>> Create(
      const SoftEkCa& ca, const SoftTpmOptions& options);

  // TPM2B_PUBLIC wire bytes (with size prefix) and parsed public areas.
  const std::string& ek_public() const { return ek_public_; }
  const TPMT_PUBLIC& ek_area() const { return ek_area_; }
  const std::string& ek_cert_der() const { return ek_cert_der_; }
  const std::string& ak_public() const { return ak_public_; }
  const TPMT_PUBLIC& ak_area() const { return ak_area_; }
  // nameAlg (sha256) || SHA-256(TPMT_PUBLIC of the AK), raw bytes.
  const std::string& ak_name() const { return ak_name_; }
  EVP_PKEY* ak_key() const { return ak_key_.get(); }
  EVP_PKEY* ek_key() const { return ek_key_.get(); }

  // TPM2_ActivateCredential with the EK for the AK (TPM 2.0 Part 1 §24,
  // Part 3 §12.5), the inverse of vtpm::MakeCredential for an ECC EK:
  // `encrypted_secret` (TPM2B_ENCRYPTED_SECRET wire, with size prefix)
  // holds an ephemeral point Q; seed = KDFe(sha256, x(d_EK * Q),
  // "IDENTITY", Q.x, EK.x); the HMAC (key KDFa(seed, "INTEGRITY")) over
  // encIdentity || AK name must equal the blob's outer HMAC; encIdentity is
  // AES-128-CFB (key KDFa(seed, "STORAGE", AK name), zero IV) of a
  // TPM2B_DIGEST whose contents are returned.
  // Errors: InvalidArgument for blobs that do not parse (as the TPM's
  // TPM_RC_SIZE / TPM_RC_ECC_POINT); ReasonError(ACTIVATION_FAILED) when
  // the HMAC does not match (TPM_RC_INTEGRITY: made for another EK or
  // another object name).
  absl::StatusOr<std::string> ActivateCredential(
      absl::string_view credential_blob,
      absl::string_view encrypted_secret) const;

  struct Quote {
    std::string attest;     // TPMS_ATTEST wire (tpm2_quote -m)
    std::string signature;  // TPMT_SIGNATURE wire (tpm2_quote -s)
    PcrValues pcrs;         // the selected PCR values
  };

  // TPM2_Quote: TPMS_ATTEST with magic TPM_GENERATED_VALUE, type
  // TPM_ST_ATTEST_QUOTE, qualifiedSigner = AK name, extraData = `nonce`
  // (at most 64 bytes), clockInfo (see clock()), firmwareVersion, and the
  // selection with pcrDigest = SHA-256 of the selected values; signed
  // ECDSA-SHA256 with the AK. Banks sha1/sha256/sha384/sha512 are
  // available. Errors: InvalidArgument for a bad nonce or selection.
  absl::StatusOr<Quote> MakeQuote(absl::string_view nonce,
                                  const PcrSelection& selection);

  // The QuoteResponse for `request`: a quote over its nonce and selection
  // with the selected PCR values. No event log.
  absl::StatusOr<vtpm_attest::v1::QuoteResponse> Answer(
      const vtpm_attest::v1::QuoteRequest& request);

  // Sets PCR `index` of bank `hash` to `value` for the quotes that follow
  // (as if a boot had extended it so), overriding the synthetic value; an
  // empty `value` removes the override.
  void SetPcrValue(TPMI_ALG_HASH hash, uint32_t index, std::string value);

  // The value of PCR `index` (0..23) in bank `hash` (an override set by
  // SetPcrValue, else deterministic from the seeds), or an error for an
  // unknown bank or index.
  absl::StatusOr<std::string> PcrValue(TPMI_ALG_HASH hash,
                                       uint32_t index) const;

  // Clock state as the next quote reports it. clock is milliseconds since
  // Create() plus clock_offset, strictly increasing from quote to quote.
  // safe is always YES.
  TPMS_CLOCK_INFO clock() const;
  // Simulates TPM2_Startup(CLEAR) after a reset: resetCount + 1,
  // restartCount = 0 (the clock keeps running, as on a TPM).
  void Reboot();
  // Sets the counters, e.g. lower ones to simulate a restored snapshot.
  void SetCounters(uint32_t reset_count, uint32_t restart_count);
  // Moves the clock by `delta_ms` (negative: back in time).
  void AdjustClock(int64_t delta_ms);

 private:
  SoftTpm() = default;
  SoftTpmOptions options_;
  EvpPkeyPtr ek_key_;
  EvpPkeyPtr ak_key_;
  TPMT_PUBLIC ek_area_ = {};
  TPMT_PUBLIC ak_area_ = {};
  std::string ek_public_;
  std::string ak_public_;
  std::string ak_name_;
  std::string ek_cert_der_;
  std::chrono::steady_clock::time_point created_;
  int64_t clock_offset_ms_ = 0;
  uint64_t last_clock_ = 0;  // clock of the last quote
  uint32_t reset_count_ = 0;
  uint32_t restart_count_ = 0;
  PcrValues overrides_;
};

}  // namespace vtpm::load

#endif  // VTPM_TESTS_LOAD_SOFT_TPM_H_
