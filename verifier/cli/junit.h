// JUnit XML reports (the format CI systems read) for `vtpm-attest wait`.
#ifndef VTPM_VERIFIER_CLI_JUNIT_H_
#define VTPM_VERIFIER_CLI_JUNIT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace vtpm::cli {

// The fields may hold any bytes (guest-derived text included): JunitXml
// shows each through EscapeForTerminal (common/text_escape.h), `details`
// and `system_out` line by line, so CI pages show controls and bidi
// characters as visible escapes, and the document is valid XML 1.0.
struct JunitCase {
  enum class Outcome { kPassed, kFailure, kError };
  std::string classname;
  std::string name;
  double seconds = 0;
  Outcome outcome = Outcome::kPassed;
  std::string message;  // one line, for kFailure / kError
  std::string details;  // element text (e.g. one reason per line)
  std::string system_out;
};

// `text` (any bytes) escaped for XML 1.0 character data and attribute
// values: &, <, >, " and ' as entities; TAB, LF and CR as character
// references (so attribute values keep them); every character XML 1.0
// cannot carry, even as a reference (other C0 controls, U+FFFE, U+FFFF),
// and each byte of ill-formed UTF-8 replaced by U+FFFD. The result is
// well-formed UTF-8 containing only XML 1.0 characters.
std::string XmlEscape(absl::string_view text);

// <testsuites><testsuite name=`suite` ...> with one <testcase> per case,
// <failure> / <error> carrying message and details, and <properties>.
// Every name, value and text is escaped for display (see JunitCase) and
// then XmlEscape'd.
std::string JunitXml(
    const std::string& suite,
    const std::vector<std::pair<std::string, std::string>>& properties,
    const std::vector<JunitCase>& cases);

// Writes `xml` to `path`.
absl::Status WriteJunitFile(const std::string& path, const std::string& xml);

}  // namespace vtpm::cli

#endif  // VTPM_VERIFIER_CLI_JUNIT_H_
