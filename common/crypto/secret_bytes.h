// A byte buffer for key material that is wiped (OPENSSL_cleanse) whenever
// its storage is released: on destruction, on reallocation and on clear()
// followed by shrink_to_fit(). std::vector is used rather than std::string
// because std::string keeps short contents inline (small-string
// optimisation), where a move would leave a copy behind.
#ifndef VTPM_COMMON_CRYPTO_SECRET_BYTES_H_
#define VTPM_COMMON_CRYPTO_SECRET_BYTES_H_

#include <openssl/crypto.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"

namespace vtpm {

// std::allocator that overwrites memory with zeros before freeing it.
template <typename T>
struct CleansingAllocator {
  using value_type = T;
  CleansingAllocator() = default;
  template <typename U>
  CleansingAllocator(const CleansingAllocator<U>&) {}  // NOLINT: rebinding
  T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, std::size_t n) {
    OPENSSL_cleanse(p, n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }
  template <typename U>
  bool operator==(const CleansingAllocator<U>&) const {
    return true;
  }
};

using SecretBytes = std::vector<uint8_t, CleansingAllocator<uint8_t>>;

// A view of `bytes` (valid while `bytes` is alive and unmodified).
inline absl::string_view AsStringView(const SecretBytes& bytes) {
  return absl::string_view(reinterpret_cast<const char*>(bytes.data()),
                           bytes.size());
}

// A SecretBytes copy of `data`.
inline SecretBytes ToSecretBytes(absl::string_view data) {
  return SecretBytes(data.begin(), data.end());
}

}  // namespace vtpm

#endif  // VTPM_COMMON_CRYPTO_SECRET_BYTES_H_
