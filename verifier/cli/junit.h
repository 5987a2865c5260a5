// JUnit XML reports (the format CI systems read) for `vtpm-attest wait`.
#ifndef VTPM_VERIFIER_CLI_JUNIT_H_
#define VTPM_VERIFIER_CLI_JUNIT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace vtpm::cli {

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

// `text` escaped for XML character data and attribute values (&, <, >, ",
// '); control characters other than tab, CR and LF are dropped (XML 1.0
// cannot carry them).
std::string XmlEscape(absl::string_view text);

// <testsuites><testsuite name=`suite` ...> with one <testcase> per case,
// <failure> / <error> carrying message and details, and <properties>.
std::string JunitXml(
    const std::string& suite,
    const std::vector<std::pair<std::string, std::string>>& properties,
    const std::vector<JunitCase>& cases);

// Writes `xml` to `path`.
absl::Status WriteJunitFile(const std::string& path, const std::string& xml);

}  // namespace vtpm::cli

#endif  // VTPM_VERIFIER_CLI_JUNIT_H_
