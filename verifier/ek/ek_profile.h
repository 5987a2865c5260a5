// TCG EK Credential Profile checks on an EK certificate's extensions
// (profile 2.x, section 3.2). Path validation is done elsewhere
// (ek_chain.h); these checks only look at the certificate itself.
#ifndef VTPM_VERIFIER_EK_EK_PROFILE_H_
#define VTPM_VERIFIER_EK_EK_PROFILE_H_

#include <openssl/x509.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace vtpm::verifier {

// The TPM identity from the EK certificate's subjectAltName directoryName:
// tcg-at-tpmManufacturer (2.23.133.2.1, e.g. "id:00001014" for swtpm; the
// TCG vendor ID, which is not the TPM2_PT_MANUFACTURER text the TPM
// reports), tcg-at-tpmModel (2.23.133.2.2, "swtpm") and tcg-at-tpmVersion
// (2.23.133.2.3, "id:20191023").
struct TpmSan {
  std::string manufacturer;
  std::string model;
  std::string version;
};

// TCG EKU tcg-kp-EKCertificate.
inline constexpr char kEkCertificateEku[] = "2.23.133.8.1";

// Dotted OIDs of the critical extensions of `cert` that OpenSSL does not
// process (X509_supported_extension); path validation refuses such
// certificates.
std::vector<std::string> UnsupportedCriticalExtensions(X509* cert);

// Checks, in this order, failing with ReasonError(EK_CERT_PROFILE) that
// names the check:
//  1. no critical extension that OpenSSL does not process (such a
//     certificate would be rejected by path validation anyway; this names
//     the OID). The TCG Subject Directory Attributes extension
//     (tpmSpecification) is non-critical in the profile and in swtpm's
//     certificates, so it does not matter here.
//  2. not a CA: no basicConstraints CA:TRUE and no keyCertSign.
//  3. keyUsage present, with keyEncipherment for an RSA key and
//     keyAgreement or keyEncipherment for an EC key; other key types fail.
//  4. extendedKeyUsage, when present, contains tcg-kp-EKCertificate; when
//     `require_eku`, it must be present.
//  5. subjectAltName present exactly once, critical when the subject is
//     empty (RFC 5280 4.2.1.6; swtpm marks it critical although its subject
//     is "CN=unknown" or the --vmid value), with directoryName attributes
//     tpmManufacturer, tpmModel and tpmVersion each present exactly once,
//     non-empty, across its directoryName entries.
// Returns the parsed TpmSan.
absl::StatusOr<TpmSan> CheckEkProfile(X509* cert, bool require_eku);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_EK_EK_PROFILE_H_
