// RAND_METHOD is deprecated in OpenSSL 3.0 but still honoured by
// RAND_bytes_ex and RAND_priv_bytes_ex (which the default provider uses);
// it is the one way to replace the generator without a provider of our own.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "tests/fuzz/deterministic_rand.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>

namespace vtpm::fuzz {
namespace {

struct Stream {
  uint64_t seed = 0;
  uint64_t counter = 0;
  unsigned char block[SHA256_DIGEST_LENGTH] = {};
  size_t used = sizeof(block);  // bytes of `block` already handed out
};

Stream& GetStream() {
  static Stream s;
  return s;
}

void NextBlock(Stream& s) {
  unsigned char in[16];
  for (int i = 0; i < 8; ++i) {
    in[i] = static_cast<unsigned char>(s.seed >> (8 * i));
    in[8 + i] = static_cast<unsigned char>(s.counter >> (8 * i));
  }
  SHA256(in, sizeof(in), s.block);
  ++s.counter;
  s.used = 0;
}

int Bytes(unsigned char* buf, int num) {
  Stream& s = GetStream();
  size_t left = num > 0 ? static_cast<size_t>(num) : 0;
  while (left > 0) {
    if (s.used == sizeof(s.block)) NextBlock(s);
    size_t n = std::min(left, sizeof(s.block) - s.used);
    std::memcpy(buf, s.block + s.used, n);
    s.used += n;
    buf += n;
    left -= n;
  }
  return 1;
}

int Seed(const void*, int) { return 1; }
int Add(const void*, int, double) { return 1; }
int Status() { return 1; }

const RAND_METHOD kMethod = {
    Seed, Bytes, /*cleanup=*/nullptr, Add, /*pseudorand=*/Bytes, Status,
};

}  // namespace

void DeterministicRand::Reset(uint64_t seed) {
  Stream& s = GetStream();
  s.seed = seed;
  s.counter = 0;
  s.used = sizeof(s.block);
}

void DeterministicRand::Install() { RAND_set_rand_method(&kMethod); }

void DeterministicRand::Uninstall() { RAND_set_rand_method(RAND_OpenSSL()); }

}  // namespace vtpm::fuzz
