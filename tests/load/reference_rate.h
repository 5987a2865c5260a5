// The reference the load generator reports against, measured in the same
// run on the same machine: OpenSSL's raw ECDSA P-256 (SHA-256) signature
// verifications per second on one core. A full attestation verifies one
// such signature, so attestations/s per core divided by this rate is the
// share of a core's verify budget the rest of the path leaves.
#ifndef VTPM_TESTS_LOAD_REFERENCE_RATE_H_
#define VTPM_TESTS_LOAD_REFERENCE_RATE_H_

namespace vtpm::load {

// Verifications per second over about `seconds` of one thread's CPU.
double EcdsaP256VerifyRate(double seconds = 1.0);

}  // namespace vtpm::load

#endif  // VTPM_TESTS_LOAD_REFERENCE_RATE_H_
