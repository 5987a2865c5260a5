#include "verifier/policy/pcr_text.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/hex.h"
#include "common/tpm_alg.h"

namespace vtpm::verifier {

absl::StatusOr<vtpm::PcrValues> ParsePcrText(absl::string_view text) {
  vtpm::PcrValues out;
  int line_no = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_no;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line.front() == '#') continue;
    auto error = [&](const std::string& why) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_no, ": ", why));
    };
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() != 2) return error("expected \"[BANK:]INDEX HEX\"");
    TPMI_ALG_HASH bank = TPM2_ALG_SHA256;
    absl::string_view index_text = fields[0];
    if (size_t colon = index_text.find(':'); colon != index_text.npos) {
      auto h = HashAlgFromName(index_text.substr(0, colon));
      if (!h.ok()) {
        return error(
            absl::StrCat("unknown bank '", index_text.substr(0, colon), "'"));
      }
      bank = *h;
      index_text = index_text.substr(colon + 1);
    }
    uint32_t index;
    if (!absl::SimpleAtoi(index_text, &index) || index >= 24) {
      return error(absl::StrCat("PCR index '", index_text, "' is not 0-23"));
    }
    auto digest = HexDecode(fields[1]);
    if (!digest.ok()) return error(std::string(digest.status().message()));
    if (digest->size() != DigestSize(bank)) {
      return error(absl::StrFormat("%s value is %d bytes, want %d",
                                   HashAlgName(bank), digest->size(),
                                   DigestSize(bank)));
    }
    if (!out[bank].emplace(index, *std::move(digest)).second) {
      return error(
          absl::StrCat(HashAlgName(bank), ":", index, " is given twice"));
    }
  }
  if (out.empty()) return absl::InvalidArgumentError("no PCR value");
  return out;
}

}  // namespace vtpm::verifier
