// Size limits on everything an agent sends. Anything larger is rejected
// with OVERSIZED_MESSAGE before it is parsed.
#ifndef VTPM_VERIFIER_SERVICE_LIMITS_H_
#define VTPM_VERIFIER_SERVICE_LIMITS_H_

#include <cstddef>

#include "common/guest_text.h"  // label and hostname limits

namespace vtpm::verifier {

inline constexpr size_t kMaxGrpcMessageBytes = 4 << 20;  // whole message
// A whole Hello (EK certificate and chain included): far below gRPC's cap.
inline constexpr size_t kMaxHelloBytes = 64 << 10;
inline constexpr size_t kMaxPublicAreaBytes = 1024;       // TPM2B_PUBLIC
inline constexpr size_t kMaxNameBytes = 2 + 64;           // alg + digest
inline constexpr size_t kMaxCertificateBytes = 16 << 10;  // one DER cert
inline constexpr size_t kMaxChainCertificates = 8;
inline constexpr size_t kMaxStringBytes = 256;      // versions, ids
inline constexpr size_t kMaxHostnameBytes = 253;    // RFC 1123
inline constexpr size_t kMaxOsNameBytes = 32;       // "linux", "windows"
inline constexpr size_t kMaxTpmPropertyBytes = 16;  // family, manufacturer
inline constexpr size_t kMaxPcrBanks = 8;           // TpmFacts.pcr_banks
inline constexpr size_t kMaxLabels = 64;
inline constexpr size_t kMaxSecretBytes = 64;         // activation answer
inline constexpr size_t kMaxAttestBytes = 2048;       // TPMS_ATTEST
inline constexpr size_t kMaxSignatureBytes = 1024;    // TPMT_SIGNATURE
inline constexpr size_t kMaxEventLogBytes = 3 << 20;  // firmware log
// QuoteResponse.pcrs: banks, and PCR values per bank.
inline constexpr size_t kMaxQuoteBanks = 8;
inline constexpr size_t kMaxPcrsPerBank = 24;
// AgentError.message.
inline constexpr size_t kMaxAgentErrorBytes = 1024;
// Raw evidence kept for a failed verdict (Hello + QuoteResponse): a
// QuoteResponse above this is kept without its event log (whose SHA-256
// the verdict's evidence summary carries).
inline constexpr size_t kMaxKeptEvidenceBytes = 1 << 20;

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_SERVICE_LIMITS_H_
