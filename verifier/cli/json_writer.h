// A minimal streaming JSON writer for the CLI's --json output (no JSON
// library is among the project's dependencies).
#ifndef VTPM_VERIFIER_CLI_JSON_WRITER_H_
#define VTPM_VERIFIER_CLI_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace vtpm::cli {

// `s` (any bytes) as a JSON string literal with quotes, valid JSON and
// safe to print on a terminal: '"' and '\\' escaped, "\n", "\r", "\t",
// every other code point for which IsTerminalUnsafe holds (controls, C1,
// bidi and invisible format characters; common/text_escape.h) as "\uXXXX"
// (a surrogate pair above U+FFFF), and each byte that is not part of
// well-formed UTF-8 as "\ufffd" (U+FFFD, JSON cannot carry raw bytes).
std::string JsonQuote(absl::string_view s);

// `json` (a JSON text, e.g. from the protobuf JSON printer) with every
// character for which IsTerminalUnsafe holds inside its strings written as
// "\uXXXX" escapes, and each byte of ill-formed UTF-8 inside them as
// "\ufffd". The same JSON value, minus the ill-formed bytes; outside
// strings nothing changes.
std::string MakeJsonTerminalSafe(absl::string_view json);

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
