// libFuzzer target: the tpm2-tools PCR file parsers
// (common/tpm2tools/pcr_file.h).
//
// Each input is tried two ways:
//  - the whole input as a serialized PCR file (ParseSerializedPcrs);
//  - when it contains a '\n': the text before it as a PCR selection
//    ("sha256:0-7+sha1:0", ParsePcrSelection) and the bytes after it as
//    the values form for that selection (ParseRawPcrValues).
//
// Invariants checked (abort on violation):
//  - a parsed serialized file re-serializes (SerializePcrs) to a file that
//    parses to the same selection and values;
//  - the values form holds exactly the parsed values, concatenated in
//    selection order.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "common/pcr_selection.h"
#include "common/tpm2tools/pcr_file.h"

namespace {

void Check(bool ok, const char* what) {
  if (ok) return;
  fprintf(stderr, "fuzz_pcr_file: invariant violated: %s\n", what);
  abort();
}

void FuzzSerialized(absl::string_view file) {
  auto parsed = vtpm::tpm2tools::ParseSerializedPcrs(file);
  if (!parsed.ok()) return;
  const auto& [selection, values] = *parsed;
  auto again = vtpm::tpm2tools::SerializePcrs(selection, values);
  Check(again.ok(), "SerializePcrs accepts what ParseSerializedPcrs returns");
  auto reparsed = vtpm::tpm2tools::ParseSerializedPcrs(*again);
  Check(reparsed.ok(), "a re-serialized file parses");
  Check(reparsed->first == selection && reparsed->second == values,
        "a re-serialized file parses to the same selection and values");
}

void FuzzRaw(absl::string_view input) {
  size_t nl = input.find('\n');
  if (nl == absl::string_view::npos) return;
  auto selection = vtpm::ParsePcrSelection(input.substr(0, nl));
  if (!selection.ok()) return;
  absl::string_view file = input.substr(nl + 1);
  auto values = vtpm::tpm2tools::ParseRawPcrValues(file, *selection);
  if (!values.ok()) return;
  std::string concatenated;
  for (const auto& bank : *selection) {
    if (bank.pcrs.none()) continue;
    auto it = values->find(bank.hash);
    Check(it != values->end(), "every selected bank has values");
    for (int i = 0; i < vtpm::kMaxPcrs; ++i) {
      if (!bank.pcrs.test(i)) continue;
      auto v = it->second.find(i);
      Check(v != it->second.end(), "every selected PCR has a value");
      concatenated += v->second;
    }
  }
  Check(concatenated == file, "values form == concatenated values");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  FuzzSerialized(input);
  FuzzRaw(input);
  return 0;
}
