#include "verifier/service/verdict_id.h"

#include <openssl/rand.h>

#include <cstdlib>

#include "absl/time/clock.h"
#include "common/hex.h"

namespace vtpm::verifier {

std::string NewVerdictId() {
  unsigned char id[16];
  // RAND_bytes fails only when the DRBG cannot be seeded; never hand out
  // a predictable id. (16 bytes are drawn although 10 are kept, so the
  // fuzz seeds' deterministic random stream stays what it was.)
  if (RAND_bytes(id, sizeof(id)) != 1) abort();
  uint64_t ms = static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()));
  for (int i = 0; i < 6; ++i) {
    id[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  }
  return HexEncode(std::string(reinterpret_cast<const char*>(id), sizeof(id)));
}

}  // namespace vtpm::verifier
