#include "tests/fuzz/quote_input.h"

#include <algorithm>

#include "tests/fuzz/fuzz_input.h"

namespace vtpm::fuzz {

std::string QuoteFuzzNonce() {
  std::string nonce(32, '\0');
  for (size_t i = 0; i < nonce.size(); ++i) {
    nonce[i] = static_cast<char>(0xa0 + i);
  }
  return nonce;
}

PcrSelection QuoteFuzzSelection() {
  PcrBankSelection bank{TPM2_ALG_SHA256, {}};
  for (int i = 0; i < 8; ++i) bank.pcrs.set(i);
  bank.pcrs.set(16);
  return {bank};
}

QuoteInput DecodeQuoteInput(absl::string_view data) {
  FuzzInput in(data);
  QuoteInput out;
  out.flags = in.U8();
  if (out.flags & kPreviousClock) {
    TPMS_CLOCK_INFO c = {};
    c.clock = in.U64();
    c.resetCount = in.U32();
    c.restartCount = in.U32();
    out.previous_clock = c;
  }
  out.attest = std::string(in.LengthPrefixed());
  out.signature = std::string(in.LengthPrefixed());
  while (in.remaining() > 0) {
    TPMI_ALG_HASH alg = in.U16();
    uint32_t index = in.U8();
    out.pcrs[alg][index] = std::string(in.Bytes(in.U8()));
  }
  return out;
}

std::string EncodeQuoteInput(const QuoteInput& in) {
  std::string out;
  uint8_t flags = in.flags & ~kPreviousClock;
  if (in.previous_clock.has_value()) flags |= kPreviousClock;
  AppendUint(flags, 1, &out);
  if (in.previous_clock.has_value()) {
    AppendUint(in.previous_clock->clock, 8, &out);
    AppendUint(in.previous_clock->resetCount, 4, &out);
    AppendUint(in.previous_clock->restartCount, 4, &out);
  }
  for (const std::string* field : {&in.attest, &in.signature}) {
    size_t n = std::min<size_t>(field->size(), 0xffff);
    AppendUint(n, 2, &out);
    out.append(*field, 0, n);
  }
  for (const auto& [alg, bank] : in.pcrs) {
    for (const auto& [index, value] : bank) {
      size_t n = std::min<size_t>(value.size(), 0xff);
      AppendUint(alg, 2, &out);
      AppendUint(index, 1, &out);
      AppendUint(n, 1, &out);
      out.append(value, 0, n);
    }
  }
  return out;
}

}  // namespace vtpm::fuzz
