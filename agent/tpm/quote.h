// TPM2_Quote with the AK, with the PCR values it covers, self-checked.
#ifndef VTPM_AGENT_TPM_QUOTE_H_
#define VTPM_AGENT_TPM_QUOTE_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/tpm/ak.h"
#include "agent/tpm/pcr.h"  // ReadPcrs, ExtendPcr
#include "agent/tpm/tpm_context.h"
#include "common/pcr_selection.h"

namespace vtpm::agent {

struct QuoteResult {
  // TPMS_ATTEST in TPM wire format (TPM2B_ATTEST contents, no size prefix);
  // what the signature covers.
  std::string attest;
  // TPMT_SIGNATURE in TPM wire format.
  std::string signature;
  // The values of the quoted PCRs, read right after the quote; their
  // digest equals the quote's pcrDigest.
  vtpm::PcrValues pcrs;
};

struct QuoteOptions {
  // How many times quote+read is tried when the PCRs change in between.
  int max_attempts = 3;
  // Called between TPM2_Quote and TPM2_PCR_Read (tests use it to extend a
  // PCR at the worst moment).
  std::function<void(TpmContext&)> after_quote_for_testing;
};

// Quotes `sel` with the AK's own signing scheme (ECDSA-SHA256 or
// RSASSA-SHA256 for our AKs) and `nonce` as qualifyingData, then reads the
// PCRs (ReadPcrs). Before returning it checks its own result: the attest
// structure is a TPM-generated quote, its extraData is `nonce`, its PCR
// selection is `sel`, the digest of the values read equals its pcrDigest
// (hash of the AK's scheme), and the signature verifies with the AK's
// public key (OpenSSL). When only the digest differs - a PCR was extended
// between quote and read - quote and read are repeated, up to
// `max_attempts` times.
// Errors: InvalidArgument for a nonce over 64 bytes or a bad selection;
// Aborted when the PCRs kept changing; Internal when the self-check fails
// otherwise (a TPM or agent bug); TPM errors.
absl::StatusOr<QuoteResult> Quote(TpmContext& ctx, const Ak& ak,
                                  absl::string_view nonce,
                                  const vtpm::PcrSelection& sel,
                                  const QuoteOptions& options);
absl::StatusOr<QuoteResult> Quote(TpmContext& ctx, const Ak& ak,
                                  absl::string_view nonce,
                                  const vtpm::PcrSelection& sel);

}  // namespace vtpm::agent

#endif  // VTPM_AGENT_TPM_QUOTE_H_
