// The TPM 2.0 key derivation functions (TPM 2.0 Library Part 1, §11.4.10),
// as the TPM itself computes them, so that keys derived here match keys the
// TPM derives (credential protection, duplication, salted sessions).
#ifndef VTPM_COMMON_CRYPTO_KDF_H_
#define VTPM_COMMON_CRYPTO_KDF_H_

#include <tss2/tss2_tpm2_types.h>

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/secret_bytes.h"

namespace vtpm {

// Largest output either KDF produces, in bits (64 KiB; the TPM's own limit
// is lower).
inline constexpr uint32_t kMaxKdfBits = 65536 * 8;

// KDFa (Part 1 §11.4.10.2): NIST SP 800-108 KDF in counter mode with
// HMAC_hash as the PRF. Output block i (i = 1, 2, ...) is
//   HMAC_hash(key, [i]_32 || label || 0x00 || contextU || contextV ||
//   [bits]_32)
// and the result is the first bits/8 bytes of the concatenated blocks.
// As the TPM does, the 0x00 separator is NOT added when `label` already
// ends in a 0 byte (so "STORAGE" and "STORAGE\0" give the same key).
// `hash` is TPM2_ALG_SHA1/SHA256/SHA384/SHA512; `bits` must be a positive
// multiple of 8 no larger than kMaxKdfBits. Errors are InvalidArgument.
absl::StatusOr<SecretBytes> KdfA(TPMI_ALG_HASH hash, absl::string_view key,
                                 absl::string_view label,
                                 absl::string_view context_u,
                                 absl::string_view context_v, uint32_t bits);

// KDFe (Part 1 §11.4.10.3): the NIST SP 800-56A concatenation KDF. Output
// block i (i = 1, 2, ...) is
//   hash([i]_32 || Z || label || 0x00 || partyUInfo || partyVInfo)
// and the result is the first bits/8 bytes. The 0x00 after `label` follows
// the same rule as KdfA. For ECDH credential protection Z is the x
// coordinate of the shared point, partyUInfo the ephemeral key's x and
// partyVInfo the TPM key's x. Same `hash` and `bits` rules as KdfA.
absl::StatusOr<SecretBytes> KdfE(TPMI_ALG_HASH hash, absl::string_view z,
                                 absl::string_view label,
                                 absl::string_view party_u_info,
                                 absl::string_view party_v_info, uint32_t bits);

}  // namespace vtpm

#endif  // VTPM_COMMON_CRYPTO_KDF_H_
