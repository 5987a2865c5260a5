// HMAC with a TPM hash algorithm, on OpenSSL's EVP_MAC.
#ifndef VTPM_COMMON_CRYPTO_HMAC_H_
#define VTPM_COMMON_CRYPTO_HMAC_H_

#include <tss2/tss2_tpm2_types.h>

#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace vtpm {

// Writes HMAC_alg(key, parts[0] || parts[1] || ...) to `out`, which must be
// exactly DigestSize(alg) bytes. `alg` is SHA1/256/384/512, otherwise
// InvalidArgument. No copy of the MAC is left anywhere but `out`, so `out`
// may hold key material (as in KDFa).
absl::Status HmacInto(TPMI_ALG_HASH alg, absl::string_view key,
                      std::initializer_list<absl::string_view> parts,
                      absl::Span<uint8_t> out);

// The same MAC returned as a string, for MACs that are not secret.
absl::StatusOr<std::string> Hmac(
    TPMI_ALG_HASH alg, absl::string_view key,
    std::initializer_list<absl::string_view> parts);

}  // namespace vtpm

#endif  // VTPM_COMMON_CRYPTO_HMAC_H_
