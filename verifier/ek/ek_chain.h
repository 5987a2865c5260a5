// Certification path validation of an EK certificate against the
// per-platform trust store, with OpenSSL's X509_verify_cert.
#ifndef VTPM_VERIFIER_EK_EK_CHAIN_H_
#define VTPM_VERIFIER_EK_EK_CHAIN_H_

#include <openssl/x509.h>

#include <ctime>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "verifier/ek/trust_store.h"

namespace vtpm::verifier {

// Longest accepted path, EK certificate and anchor included.
inline constexpr int kMaxChainLength = 6;

// OpenSSL security level set for path validation
// (X509_VERIFY_PARAM_set_auth_level): 112 bits, which refuses SHA-1 and MD5
// signatures and RSA keys below 2048 bits. Its complaints are only recorded
// and let validation go on; the path is then judged by FindWeakAlgorithms
// (ek_algorithms.h), which is stricter, and legacy roots decide.
inline constexpr int kAuthLevel = 2;

struct VerifiedChain {
  std::string platform;  // the platform whose anchor ended the path
  int chain_length =
      0;  // certificates in the path, EK cert and anchor included
  // Weak algorithms of the path, accepted because its anchor is one of
  // `legacy_roots`: one sentence each naming the certificate and the
  // algorithm (WeakAlgorithm::sentence). Empty for a path without any.
  std::vector<std::string> weak_algorithms;
};

// Lower-case hex SHA-256 of the DER of `cert` (what
// `openssl x509 -noout -fingerprint -sha256` prints, without colons);
// "" when it cannot be encoded.
std::string CertificateSha256(X509* cert);

// Validates `cert` once per platform of `platforms` (every platform of
// `store` when empty; names absent from the store are skipped and
// mentioned in the error), in the order given, and returns the first
// platform that accepts it with a path free of weak algorithms; when every
// accepting platform's path has some (all admitted by a legacy root), the
// first of those.
//
// Each attempt is X509_verify_cert with an X509_STORE of that platform's
// anchors and trusted intermediates, `untrusted` (may be null: the agent's
// NV chain certificates) as untrusted intermediates, strong ones first (so
// that of two issuers the agent sends for one certificate, path building
// takes a strong one), validity dates checked at `now` (the current time
// when unset), no purpose (an EK certificate is not a TLS certificate, its
// EKU is tcg-kp-EKCertificate), no partial chains: the path must end at a
// self-signed anchor of that platform, and OpenSSL security level
// kAuthLevel.
//
// Algorithms: once the path OpenSSL built ends at an anchor of the platform
// (whether or not validation then succeeded), every certificate on it is
// judged by FindWeakAlgorithms: the signatures of the EK certificate and of
// every intermediate, and the keys of all of them and of the anchor (not
// the anchor's self-signature). Certificates the agent sent that are not on
// the path are not judged. A refused algorithm (MD2/MD4/MD5, unknown or
// unsupported digests and signature algorithms, RSA < 1024, EC < 256 or on
// other curves, other key types), or a legacy one (SHA-1, RSA 1024-2047)
// when the anchor's CertificateSha256 is not in `legacy_roots` (compared
// ignoring case), rejects the path with EK_CERT_WEAK_ALGORITHM; this takes
// precedence over the path's other errors (expired, bad signature, ...), as
// in OpenSSL's own order. So does any complaint of OpenSSL's security level
// that the explicit check does not explain (fail closed). Legacy algorithms
// under a legacy root are returned in VerifiedChain::weak_algorithms.
//
// When every platform rejects it, the error is a ReasonError whose message
// names the subject, the issuer and each platform tried with OpenSSL's
// reason, and whose code comes from the most specific attempt (a path that
// reached an anchor beats a wrong CA, which beats an untrusted root, which
// beats an unknown issuer):
//   a weak algorithm on a path to an anchor, as above (the message names
//     each certificate and algorithm, and the anchor's SHA-256 when a
//     legacy root would admit them)              -> EK_CERT_WEAK_ALGORITHM
//   issuer not found, and a trusted certificate of that platform has the
//     issuer's name (another swtpm-localca: they are all "CN=swtpm-localca")
//                                                 -> EK_CERT_WRONG_CA
//   issuer not found otherwise (missing intermediate, unknown CA),
//     no such platform, or a path OpenSSL refuses for another reason
//     (not a CA, path too long)                    -> EK_CERT_UNKNOWN_ISSUER
//   path ends at a self-signed certificate that is not an anchor (also a
//     self-signed EK certificate)                  -> EK_CERT_UNTRUSTED_ROOT
//   a certificate of the path has expired         -> EK_CERT_EXPIRED
//   a certificate of the path is not yet valid    -> EK_CERT_NOT_YET_VALID
//   a signature in the path does not verify       -> EK_CERT_BAD_SIGNATURE
//     (without an authorityKeyIdentifier, a certificate from another CA of
//     the same name also ends here: nothing tells the two cases apart)
//   an unparseable validity date                  -> EK_CERT_MALFORMED
//   an unsupported critical extension in the EK certificate
//                                                 -> EK_CERT_PROFILE
absl::StatusOr<VerifiedChain> VerifyEkChain(
    const TrustStore& store, const std::vector<std::string>& platforms,
    X509* cert, STACK_OF(X509) * untrusted, std::optional<time_t> now,
    const std::set<std::string>& legacy_roots);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_EK_EK_CHAIN_H_
