// Test harness: certificates made with OpenSSL for tests. A TLS server
// certificate for the verifier on loopback, and re-issued EK certificates
// (other validity dates or extensions) signed by a TestCa.
#ifndef VTPM_TESTS_HARNESS_PKI_H_
#define VTPM_TESTS_HARNESS_PKI_H_

#include <ctime>
#include <string>

#include "absl/status/statusor.h"
#include "tests/harness/swtpm.h"

namespace vtpm::testing {

struct TlsFiles {
  std::string ca_cert;      // PEM CA that agents trust
  std::string server_cert;  // PEM leaf for "localhost" and 127.0.0.1
  std::string server_key;
};

// Makes a CA and a server certificate for localhost in `dir`.
absl::StatusOr<TlsFiles> MakeTlsFiles(const std::string& dir);

// Re-issues the DER EK certificate `der` with the given validity, signed by
// `ca`'s intermediate key (same subject, SAN, key and other extensions).
absl::StatusOr<std::string> ReissueEkCert(const std::string& der,
                                          const TestCa& ca, time_t not_before,
                                          time_t not_after);

}  // namespace vtpm::testing

#endif  // VTPM_TESTS_HARNESS_PKI_H_
