// Hashing for the quote checks with message digests fetched from OpenSSL's
// default provider once per process. (EVP_sha256() and friends make
// OpenSSL 3 fetch the implementation again on every use, a measurable
// share of a quote check; see tests/bench/quote_verify_bench.cc.)
#ifndef VTPM_VERIFIER_QUOTE_DIGEST_H_
#define VTPM_VERIFIER_QUOTE_DIGEST_H_

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace vtpm::verifier {

// The fetched digest for sha1/sha256/sha384/sha512, nullptr for other
// algorithms or if the fetch failed. Thread-safe; never freed.
const EVP_MD* FetchedMd(TPMI_ALG_HASH alg);

// H_alg(data) into `out` (EVP_MAX_MD_SIZE bytes), its size in `*len`.
// InvalidArgument for an unsupported algorithm.
absl::Status DigestInto(TPMI_ALG_HASH alg, absl::string_view data,
                        unsigned char* out, unsigned int* len);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_QUOTE_DIGEST_H_
