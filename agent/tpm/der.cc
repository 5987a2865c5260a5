#include "agent/tpm/der.h"

#include "absl/strings/str_format.h"
#include "common/ossl.h"
#include "common/status_macros.h"

namespace vtpm::agent {
namespace {

bool IsPadding(absl::string_view rest) {
  if (rest.empty()) return true;
  char fill = rest[0];
  if (fill != '\x00' && fill != '\xff') return false;
  return rest.find_first_not_of(fill) == absl::string_view::npos;
}

}  // namespace

absl::StatusOr<size_t> DerSequenceLength(absl::string_view data) {
  if (data.size() < 2 || static_cast<uint8_t>(data[0]) != 0x30) {
    return absl::InvalidArgumentError("not a DER SEQUENCE");
  }
  uint8_t first = static_cast<uint8_t>(data[1]);
  size_t header = 2;
  size_t len = 0;
  if (first < 0x80) {
    len = first;
  } else {
    size_t n = first & 0x7f;
    if (n == 0 || n > 4) {
      return absl::InvalidArgumentError("DER length is indefinite or too long");
    }
    if (data.size() < 2 + n) {
      return absl::InvalidArgumentError("DER length is truncated");
    }
    for (size_t i = 0; i < n; ++i) {
      len = (len << 8) | static_cast<uint8_t>(data[2 + i]);
    }
    header += n;
  }
  if (len > data.size() - header) {
    return absl::InvalidArgumentError(
        absl::StrFormat("DER SEQUENCE of %d bytes in %d bytes of data",
                        header + len, data.size()));
  }
  return header + len;
}

absl::StatusOr<std::string> TrimToDerCertificate(absl::string_view data) {
  ASSIGN_OR_RETURN(size_t len, DerSequenceLength(data));
  absl::string_view cert = data.substr(0, len);
  RETURN_IF_ERROR_CTX(ParseDerCertificate(cert), "not an X.509 certificate");
  return std::string(cert);
}

absl::StatusOr<std::vector<std::string>> SplitDerCertificates(
    absl::string_view data) {
  std::vector<std::string> out;
  while (!IsPadding(data)) {
    auto cert = TrimToDerCertificate(data);
    if (!cert.ok()) {
      return Annotate(cert.status(),
                      absl::StrFormat("certificate %d", out.size() + 1));
    }
    data.remove_prefix(cert->size());
    out.push_back(*std::move(cert));
  }
  return out;
}

}  // namespace vtpm::agent
