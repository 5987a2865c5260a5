// A deterministic replacement for OpenSSL's random generator, for fuzzing
// only: with it the verifier's nonces, credential secrets, MakeCredential
// seeds and ephemeral keys and verdict ids are a function of the fuzz input,
// so a recorded conversation replays exactly (its quote was signed over the
// very nonce the verifier will issue again) and every crash reproduces.
// Never link this into anything but fuzzers and their seed generator.
#ifndef VTPM_TESTS_FUZZ_DETERMINISTIC_RAND_H_
#define VTPM_TESTS_FUZZ_DETERMINISTIC_RAND_H_

#include <cstdint>

namespace vtpm::fuzz {

class DeterministicRand {
 public:
  // Restarts the stream (SHA-256 of seed || block counter) at `seed`.
  static void Reset(uint64_t seed);

  // While installed, every RAND_bytes / RAND_priv_bytes in the process
  // (including OpenSSL's own, e.g. for OAEP seeds and EC key generation)
  // reads the stream; uninstalled, OpenSSL's default generator serves them
  // and the stream does not move. Not thread-safe.
  static void Install();
  static void Uninstall();
};

// Installs the deterministic generator for the scope's lifetime.
class ScopedDeterministicRand {
 public:
  ScopedDeterministicRand() { DeterministicRand::Install(); }
  ~ScopedDeterministicRand() { DeterministicRand::Uninstall(); }
  ScopedDeterministicRand(const ScopedDeterministicRand&) = delete;
  ScopedDeterministicRand& operator=(const ScopedDeterministicRand&) = delete;
};

}  // namespace vtpm::fuzz

#endif  // VTPM_TESTS_FUZZ_DETERMINISTIC_RAND_H_
