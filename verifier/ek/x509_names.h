// Printable X.509 names for verification messages.
#ifndef VTPM_VERIFIER_EK_X509_NAMES_H_
#define VTPM_VERIFIER_EK_X509_NAMES_H_

#include <openssl/x509.h>

#include <cstddef>
#include <string>

namespace vtpm::verifier {

// RFC 2253 text of `name` ("CN=swtpm-localca"); "" for an empty name.
// Longer than `max_len` bytes is cut and ends in "...", so that a hostile
// certificate cannot blow up log lines and Verdict messages.
std::string NameToString(const X509_NAME* name, size_t max_len = 256);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_EK_X509_NAMES_H_
