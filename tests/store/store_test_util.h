// Records and verdicts for the store tests.
#ifndef VTPM_TESTS_STORE_STORE_TEST_UTIL_H_
#define VTPM_TESTS_STORE_STORE_TEST_UTIL_H_

#include <cstdint>
#include <string>

#include "verifier/store/store.h"

namespace vtpm::verifier::store_test {

// An identity with binary EK fields (NUL and 0xff bytes included).
IdentityRecord MakeIdentity(const std::string& fp, int64_t seen = 100,
                            const std::string& vm_uuid = "",
                            const std::string& policy = "default");

// A verdict for `fp` with one NONCE_MISMATCH reason.
vtpm_attest::v1::Verdict MakeVerdict(const std::string& id, int64_t at,
                                     vtpm_attest::v1::Result result,
                                     const std::string& vm_uuid = "vm");

}  // namespace vtpm::verifier::store_test

#endif  // VTPM_TESTS_STORE_STORE_TEST_UTIL_H_
