// EK certificate verification: does this certificate, issued by a CA the
// verifier trusts for some platform, certify this TPM's endorsement key?
#ifndef VTPM_VERIFIER_EK_EK_CERTIFICATE_H_
#define VTPM_VERIFIER_EK_EK_CERTIFICATE_H_

#include <tss2/tss2_tpm2_types.h>

#include <ctime>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "verifier/ek/ek_profile.h"  // TpmSan
#include "verifier/ek/trust_store.h"

namespace vtpm::verifier {

// Size limit of one DER certificate (EK certificate or chain certificate).
inline constexpr size_t kMaxCertificateSize = 16 * 1024;
// Most chain certificates accepted from the agent.
inline constexpr size_t kMaxUntrustedChain = 8;

struct EkCertOptions {
  // Platforms of the trust store whose CAs may have issued the certificate;
  // empty = any platform.
  std::vector<std::string> platforms;
  // Require the extendedKeyUsage extension with tcg-kp-EKCertificate
  // (2.23.133.8.1). When false an EKU is still checked if present.
  bool require_eku = false;
  // Time at which validity dates are checked; the current time when unset.
  std::optional<time_t> now;
  // SHA-256 (lower-case hex, of the DER) of trust anchors whose paths may
  // carry SHA-1 signatures or RSA keys of 1024-2047 bits (Policy
  // legacy_ek_roots): `openssl x509 -noout -fingerprint -sha256` without
  // the colons (CertificateSha256 in ek_chain.h); compared ignoring case.
  // Every such use is listed in VerifiedEkCert::weak_algorithms. MD2, MD4,
  // MD5, RSA < 1024 and EC < 256 bits are never accepted.
  std::set<std::string> legacy_roots;
};

// What a successful verification established. Only ever returned whole.
struct VerifiedEkCert {
  std::string platform;     // trust store platform whose anchor ends the path
  std::string fingerprint;  // vtpm::PublicKeyFingerprint of the EK key
  std::string subject;      // RFC 2253, "" for an empty subject
  std::string issuer;       // RFC 2253
  TpmSan san;               // TPM manufacturer/model/version from the SAN
  int chain_length = 0;     // certificates in the path, EK cert and anchor
  // Weak algorithms accepted only because the path ends at one of
  // EkCertOptions::legacy_roots, one sentence each naming the certificate
  // and the algorithm (reported as EK_CERT_WEAK_ALGORITHM findings).
  std::vector<std::string> weak_algorithms;
};

// Verifies the EK certificate `cert_der` for the EK whose public area is
// `ek`. `untrusted_chain_der` holds the intermediate certificates the agent
// read from the TPM's NV chain indices (or elsewhere); they are only used to
// build a path, never trusted.
//
// The checks, in order; the first failure is returned as a ReasonError:
//  1. Parse (EK_CERT_MALFORMED): `cert_der` is one DER certificate of at
//     most kMaxCertificateSize bytes with no trailing bytes, a decodable
//     public key and decodable extensions; at most kMaxUntrustedChain chain
//     certificates, each parsed the same way.
//  2. EK public area (EK_PUBLIC_INVALID): see CheckEkPublicArea
//     (ek_public_check.h): restricted|decrypt|fixedTPM|fixedParent, not
//     sign, RSA >= 2048 or NIST ECC.
//  3. Certification path (EK_CERT_WRONG_CA, EK_CERT_UNKNOWN_ISSUER,
//     EK_CERT_UNTRUSTED_ROOT, EK_CERT_EXPIRED, EK_CERT_NOT_YET_VALID,
//     EK_CERT_BAD_SIGNATURE, EK_CERT_WEAK_ALGORITHM): see VerifyEkChain
//     (ek_chain.h), over `options.platforms` at `options.now`. Every
//     certificate on the path, anchor included, is held to the algorithm
//     standard of ek_algorithms.h: signatures (all but the anchor's
//     self-signature) SHA-256/384/512 with RSA PKCS#1 v1.5, RSASSA-PSS or
//     ECDSA; keys RSA >= 2048 bits or EC >= 256 bits on a NIST/Brainpool
//     named curve. A path ending at an anchor listed in
//     `options.legacy_roots` may also carry SHA-1 signatures and RSA keys of
//     1024-2047 bits, each listed in VerifiedEkCert::weak_algorithms; MD2,
//     MD4, MD5, unknown or unsupported algorithms, RSA < 1024 and EC < 256
//     bits are never accepted (EK_CERT_WEAK_ALGORITHM, naming the
//     certificate and the algorithm or key size).
//  4. TCG EK profile (EK_CERT_PROFILE): see CheckEkProfile (ek_profile.h):
//     EKU, keyUsage, not a CA, SAN with the TPM manufacturer/model/version.
//  5. Key binding (EK_KEY_MISMATCH): the certificate's public key is the
//     key of `ek`.
absl::StatusOr<VerifiedEkCert> VerifyEkCertificate(
    const TrustStore& store, const EkCertOptions& options,
    absl::string_view cert_der,
    const std::vector<std::string>& untrusted_chain_der, const TPMT_PUBLIC& ek);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_EK_EK_CERTIFICATE_H_
