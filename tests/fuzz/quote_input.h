// The input format of fuzz_quote, shared with its seed generator.
//
//   u8        flags: kResign, kPreviousClock, kPreparedAk (below)
//   [u64 clock, u32 resetCount, u32 restartCount]   only with kPreviousClock
//   u16 len, attest      TPMS_ATTEST wire bytes
//   u16 len, signature   TPMT_SIGNATURE wire bytes
//   PCR values until the end, each: u16 hash algorithm, u8 PCR index,
//   u8 len, value
//
// Integers are big-endian. A truncated field is taken as it is (see
// FuzzInput), so every input decodes to something.
#ifndef VTPM_TESTS_FUZZ_QUOTE_INPUT_H_
#define VTPM_TESTS_FUZZ_QUOTE_INPUT_H_

#include <tss2/tss2_tpm2_types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "common/pcr_selection.h"

namespace vtpm::fuzz {

// Replace the signature with the fixed AK's signature over the attest, so
// that mutated attestations get past the signature check.
inline constexpr uint8_t kResign = 0x01;
// Set QuoteExpectation::previous_clock from the input.
inline constexpr uint8_t kPreviousClock = 0x02;
// Pass the AK as a PreparedAk made once, instead of its public area.
inline constexpr uint8_t kPreparedAk = 0x04;

struct QuoteInput {
  uint8_t flags = 0;
  std::optional<TPMS_CLOCK_INFO> previous_clock;
  std::string attest;
  std::string signature;
  PcrValues pcrs;
};

// The fixed expectation of fuzz_quote: a 32-byte nonce and the PCR
// selection sha256:0-7,16.
std::string QuoteFuzzNonce();
PcrSelection QuoteFuzzSelection();

// Decodes any input (never fails). A PCR value given twice keeps the last.
QuoteInput DecodeQuoteInput(absl::string_view data);

// Encodes `in` (previous_clock is written when set, whatever the flags say;
// fields longer than 65535 bytes or PCR values longer than 255 bytes are
// cut).
std::string EncodeQuoteInput(const QuoteInput& in);

}  // namespace vtpm::fuzz

#endif  // VTPM_TESTS_FUZZ_QUOTE_INPUT_H_
