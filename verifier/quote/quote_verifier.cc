#include "verifier/quote/quote_verifier.h"

#include <utility>

#include "common/reason.h"
#include "verifier/quote/quote_checks.h"

namespace vtpm::verifier {
namespace {

// Records one check's outcome in the optional trace and passes its status
// through.
class Tracer {
 public:
  explicit Tracer(std::vector<QuoteCheckResult>* trace) : trace_(trace) {}

  absl::Status Record(QuoteCheck check, absl::Status status,
                      std::string note = {}) {
    if (trace_ != nullptr) {
      trace_->push_back({check, status, std::move(note)});
    }
    return status;
  }

 private:
  std::vector<QuoteCheckResult>* trace_;
};

#define VTPM_CHECK_(tracer, check, expr)                            \
  do {                                                              \
    absl::Status vtpm_check_status_ = (tracer).Record(check, expr); \
    if (!vtpm_check_status_.ok()) return vtpm_check_status_;        \
  } while (0)

}  // namespace

absl::string_view QuoteCheckName(QuoteCheck check) {
  switch (check) {
    case QuoteCheck::kSizeLimits:
      return "size-limits";
    case QuoteCheck::kAk:
      return "ak";
    case QuoteCheck::kUnmarshal:
      return "unmarshal";
    case QuoteCheck::kScheme:
      return "scheme";
    case QuoteCheck::kSignature:
      return "signature";
    case QuoteCheck::kMagic:
      return "magic";
    case QuoteCheck::kType:
      return "type";
    case QuoteCheck::kNonce:
      return "nonce";
    case QuoteCheck::kPcrSelection:
      return "pcr-selection";
    case QuoteCheck::kPcrDigest:
      return "pcr-digest";
    case QuoteCheck::kClock:
      return "clock";
  }
  return "unknown";
}

absl::StatusOr<VerifiedQuote> VerifyQuote(const QuoteEvidence& evidence,
                                          const QuoteExpectation& expected) {
  return VerifyQuote(evidence, expected, nullptr);
}

absl::StatusOr<VerifiedQuote> VerifyQuote(
    const QuoteEvidence& evidence, const QuoteExpectation& expected,
    std::vector<QuoteCheckResult>* trace) {
  Tracer tracer(trace);

  VTPM_CHECK_(tracer, QuoteCheck::kSizeLimits,
              CheckSizeLimits(evidence.attest, evidence.signature));

  // The AK: the caller's prepared key, or one built from the public area.
  std::shared_ptr<const PreparedAk> ak = expected.prepared_ak;
  if (ak == nullptr) {
    auto built = PreparedAk::FromPublic(expected.ak);
    if (!built.ok()) return tracer.Record(QuoteCheck::kAk, built.status());
    ak = *std::move(built);
  }
  std::string ak_note;
  absl::Status ak_status = CheckAk(*ak, &ak_note);
  if (!tracer.Record(QuoteCheck::kAk, ak_status, std::move(ak_note)).ok()) {
    return ak_status;
  }

  TPMT_SIGNATURE sig;
  TPMS_ATTEST attest;
  {
    absl::Status s = UnmarshalSignature(evidence.signature, &sig);
    if (s.ok()) s = UnmarshalAttest(evidence.attest, &attest);
    VTPM_CHECK_(tracer, QuoteCheck::kUnmarshal, s);
  }
  VTPM_CHECK_(tracer, QuoteCheck::kScheme, CheckScheme(*ak, sig));
  VTPM_CHECK_(tracer, QuoteCheck::kSignature,
              CheckSignature(*ak, sig, evidence.attest));
  VTPM_CHECK_(tracer, QuoteCheck::kMagic, CheckMagic(attest));
  VTPM_CHECK_(tracer, QuoteCheck::kType, CheckType(attest));
  VTPM_CHECK_(tracer, QuoteCheck::kNonce, CheckNonce(attest, expected.nonce));
  VTPM_CHECK_(tracer, QuoteCheck::kPcrSelection,
              CheckPcrSelection(attest, expected.selection));

  VerifiedQuote out;
  VTPM_CHECK_(tracer, QuoteCheck::kPcrDigest,
              CheckPcrDigest(attest, expected.selection, evidence.pcrs,
                             SignatureHash(sig), &out.pcrs, &out.pcr_digest));
  std::string clock_note;
  absl::Status clock_status =
      CheckClock(attest.clockInfo, expected.previous_clock, &clock_note);
  if (!tracer.Record(QuoteCheck::kClock, clock_status, std::move(clock_note))
           .ok()) {
    return clock_status;
  }

  out.clock = attest.clockInfo;
  out.firmware_version = attest.firmwareVersion;
  out.selection = expected.selection;
  return out;
}

}  // namespace vtpm::verifier
