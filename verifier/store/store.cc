#include "verifier/store/store.h"

namespace vtpm::verifier {

std::vector<absl::StatusOr<RecordOutcome>> Store::RecordVerdicts(
    const std::vector<VerdictToRecord>& batch) {
  std::vector<absl::StatusOr<RecordOutcome>> out;
  out.reserve(batch.size());
  for (const auto& v : batch) {
    out.push_back(RecordVerdict(*v.ek_fingerprint, *v.verdict, *v.write));
  }
  return out;
}

}  // namespace vtpm::verifier
