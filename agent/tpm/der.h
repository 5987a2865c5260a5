// Splitting DER certificates out of NV index contents, which may be
// padded (0x00 or 0xff after the certificate) or hold several certificates
// back to back (the EK chain range 0x01c00100..0x01c001ff).
#ifndef VTPM_AGENT_TPM_DER_H_
#define VTPM_AGENT_TPM_DER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vtpm::agent {

// Total length (header + contents) of the DER SEQUENCE at the start of
// `data`. InvalidArgument when `data` does not start with a definite-length
// SEQUENCE (tag 0x30) or is shorter than that length.
absl::StatusOr<size_t> DerSequenceLength(absl::string_view data);

// The leading DER certificate of `data`, with whatever follows it (NV
// padding) dropped. The certificate must parse (OpenSSL).
absl::StatusOr<std::string> TrimToDerCertificate(absl::string_view data);

// Every DER certificate in `data`, in order. Trailing bytes that are all
// 0x00 or all 0xff are padding and ignored; anything else that is not a
// certificate is an InvalidArgument error. Empty `data` gives none.
absl::StatusOr<std::vector<std::string>> SplitDerCertificates(
    absl::string_view data);

}  // namespace vtpm::agent

#endif  // VTPM_AGENT_TPM_DER_H_
