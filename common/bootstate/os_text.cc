#include "common/bootstate/os_text.h"

#include "common/bootstate/digest_check.h"
#include "common/bootstate/ucs2.h"
#include "common/hex.h"
#include "common/tpm_alg.h"

namespace vtpm::bootstate::internal {

std::vector<std::string> Utf16Candidates(absl::string_view data) {
  std::vector<std::string> out{std::string(data)};
  if (data.size() >= 2 &&
      data.substr(data.size() - 2) == absl::string_view("\0\0", 2)) {
    out.emplace_back(data.substr(0, data.size() - 2));
  }
  return out;
}

bool HashesToOwnUtf16(const eventlog::Event& e, absl::string_view data) {
  return LooksLikeAsciiUtf16(data) &&
         DigestsRecomputedFrom(e, Utf16Candidates(data));
}

std::string Sha256Hex(absl::string_view data) {
  auto h = Hash(TPM2_ALG_SHA256, data);
  return h.ok() ? HexEncode(*h) : std::string();
}

}  // namespace vtpm::bootstate::internal
