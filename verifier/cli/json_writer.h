// A minimal streaming JSON writer for the CLI's --json output (no JSON
// library is among the project's dependencies).
#ifndef VTPM_VERIFIER_CLI_JSON_WRITER_H_
#define VTPM_VERIFIER_CLI_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace vtpm::cli {

// `s` as a JSON string literal with quotes; control characters, '"' and
// '\\' escaped, bytes >= 0x80 passed through (callers give UTF-8 or ASCII).
std::string JsonQuote(absl::string_view s);

// Writes values in document order; inserts commas itself. Inside an
// object, call Key() before each value. Misuse is not detected.
class JsonWriter {
 public:
  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  void Key(absl::string_view key);
  void String(absl::string_view value);
  void Number(uint64_t value);
  void Bool(bool value);
  void Null();

  // The document so far.
  const std::string& str() const { return out_; }

 private:
  void BeforeValue();
  void Open(char c);
  void Close(char c);

  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

}  // namespace vtpm::cli

#endif  // VTPM_VERIFIER_CLI_JSON_WRITER_H_
