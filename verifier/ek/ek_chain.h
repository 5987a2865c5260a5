// Certification path validation of an EK certificate against the
// per-platform trust store, with OpenSSL's X509_verify_cert.
#ifndef VTPM_VERIFIER_EK_EK_CHAIN_H_
#define VTPM_VERIFIER_EK_EK_CHAIN_H_

#include <openssl/x509.h>

#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "verifier/ek/trust_store.h"

namespace vtpm::verifier {

// Longest accepted path, EK certificate and anchor included.
inline constexpr int kMaxChainLength = 6;

struct VerifiedChain {
  std::string platform;  // the platform whose anchor ended the path
  int chain_length =
      0;  // certificates in the path, EK cert and anchor included
};

// Validates `cert` once per platform of `platforms` (every platform of
// `store` when empty; names absent from the store are skipped and
// mentioned in the error), in the order given, and returns the first
// platform that accepts it.
//
// Each attempt is X509_verify_cert with an X509_STORE of that platform's
// anchors and trusted intermediates, `untrusted` (may be null: the agent's
// NV chain certificates) as untrusted intermediates, validity dates checked
// at `now` (the current time when unset), no purpose (an EK certificate is
// not a TLS certificate, its EKU is tcg-kp-EKCertificate) and no partial
// chains: the path must end at a self-signed anchor of that platform.
//
// When every platform rejects it, the error is a ReasonError whose message
// names the subject, the issuer and each platform tried with OpenSSL's
// reason, and whose code comes from the most specific attempt (a path that
// reached an anchor beats a wrong CA, which beats an untrusted root, which
// beats an unknown issuer):
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
    X509* cert, STACK_OF(X509) * untrusted, std::optional<time_t> now);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_EK_EK_CHAIN_H_
