// libFuzzer target: vtpm::verifier::VerifyQuote (and through it
// Tss2_MU_TPMS_ATTEST_Unmarshal / Tss2_MU_TPMT_SIGNATURE_Unmarshal and every
// quote check) on an attestation, a signature and PCR values taken from the
// input (format: quote_input.h), against a fixed ECC P-256 AK made with
// OpenSSL at start-up (fixed_ak.h), a fixed nonce and the selection
// sha256:0-7,16.
//
// With the kResign flag the harness signs the attestation itself, so the
// checks after the signature (magic, type, nonce, selection, PCR digest,
// clock) see mutated attestations too.
//
// VTPM_FUZZ_VERBOSE=1 prints each input's outcome.
//
// Invariants checked (abort on violation):
//  - a verified quote's PCR digest is the digest of its returned values;
//  - failures carry a ReasonCode (a status without one is the verifier's
//    own failure, which no input should cause).
#include <openssl/err.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "common/pcr_selection.h"
#include "common/reason.h"
#include "tests/fuzz/fixed_ak.h"
#include "tests/fuzz/quote_input.h"
#include "verifier/quote/prepared_ak.h"
#include "verifier/quote/quote_verifier.h"

namespace {

struct Fixture {
  vtpm::EvpPkeyPtr key;
  TPMT_PUBLIC ak = {};
  std::shared_ptr<const vtpm::verifier::PreparedAk> prepared;
};

const Fixture& GetFixture() {
  static const Fixture* f = [] {
    auto* f = new Fixture();
    auto key = vtpm::fuzz::FixedEccP256Key();
    if (!key.ok()) {
      fprintf(stderr, "fuzz_quote: %s\n", key.status().ToString().c_str());
      abort();
    }
    f->key = *std::move(key);
    auto pub = vtpm::fuzz::EccAkPublic(f->key.get());
    if (!pub.ok()) abort();
    f->ak = *pub;
    auto prepared = vtpm::verifier::PreparedAk::FromPublic(f->ak);
    if (!prepared.ok()) abort();
    f->prepared = *std::move(prepared);
    return f;
  }();
  return *f;
}

void Check(bool ok, const char* what) {
  if (ok) return;
  fprintf(stderr, "fuzz_quote: invariant violated: %s\n", what);
  abort();
}

}  // namespace

// tpm2-tss logs every unmarshal failure to stderr; silence it (the
// verifier reports the failure itself) unless TSS2_LOG is set.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  setenv("TSS2_LOG", "all+NONE", /*overwrite=*/0);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Fixture& f = GetFixture();
  vtpm::fuzz::QuoteInput in = vtpm::fuzz::DecodeQuoteInput(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  if (in.flags & vtpm::fuzz::kResign) {
    auto sig = vtpm::fuzz::SignEcdsaSha256(f.key.get(), in.attest);
    if (!sig.ok()) abort();
    in.signature = *std::move(sig);
  }
  vtpm::verifier::QuoteEvidence evidence{in.attest, in.signature, in.pcrs};
  vtpm::verifier::QuoteExpectation expected;
  expected.ak = f.ak;
  expected.nonce = vtpm::fuzz::QuoteFuzzNonce();
  expected.selection = vtpm::fuzz::QuoteFuzzSelection();
  expected.previous_clock = in.previous_clock;
  if (in.flags & vtpm::fuzz::kPreparedAk) expected.prepared_ak = f.prepared;

  std::vector<vtpm::verifier::QuoteCheckResult> trace;
  auto verified = vtpm::verifier::VerifyQuote(evidence, expected, &trace);
  static const bool verbose = getenv("VTPM_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    fprintf(stderr, "fuzz_quote: %zu checks ran: %s\n", trace.size(),
            verified.status().ToString().c_str());
  }
  if (verified.ok()) {
    Check(trace.size() == vtpm::verifier::kNumQuoteChecks,
          "a verified quote ran every check");
    auto digest = vtpm::ComputePcrDigest(verified->selection, verified->pcrs,
                                         TPM2_ALG_SHA256);
    Check(digest.ok() && *digest == verified->pcr_digest,
          "pcrDigest == H(returned PCR values)");
  } else {
    Check(vtpm::ReasonOf(verified.status()) != vtpm_attest::v1::INTERNAL_ERROR,
          "a rejected quote carries a ReasonCode");
    Check(!trace.empty() && !trace.back().status.ok(),
          "the trace ends with the failed check");
  }
  ERR_clear_error();
  return 0;
}
