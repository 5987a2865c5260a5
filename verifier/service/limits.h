// Size limits on everything an agent sends. Anything larger is rejected
// with OVERSIZED_MESSAGE before it is parsed.
#ifndef VTPM_VERIFIER_SERVICE_LIMITS_H_
#define VTPM_VERIFIER_SERVICE_LIMITS_H_

#include <cstddef>

namespace vtpm::verifier {

inline constexpr size_t kMaxGrpcMessageBytes = 4 << 20;   // whole message
inline constexpr size_t kMaxPublicAreaBytes = 1024;       // TPM2B_PUBLIC
inline constexpr size_t kMaxNameBytes = 2 + 64;           // alg + digest
inline constexpr size_t kMaxCertificateBytes = 16 << 10;  // one DER cert
inline constexpr size_t kMaxChainCertificates = 8;
inline constexpr size_t kMaxStringBytes = 256;  // hostnames etc.
inline constexpr size_t kMaxLabels = 64;
inline constexpr size_t kMaxSecretBytes = 64;         // activation answer
inline constexpr size_t kMaxAttestBytes = 2048;       // TPMS_ATTEST
inline constexpr size_t kMaxSignatureBytes = 1024;    // TPMT_SIGNATURE
inline constexpr size_t kMaxEventLogBytes = 3 << 20;  // firmware log

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_SERVICE_LIMITS_H_
