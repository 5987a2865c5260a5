// Splitting a fuzzer's input into fields. Reads never fail: past the end
// they yield zeros or shorter strings, so every input maps to some fields
// and a mutation of one field leaves the others where they were.
#ifndef VTPM_TESTS_FUZZ_FUZZ_INPUT_H_
#define VTPM_TESTS_FUZZ_FUZZ_INPUT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace vtpm::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size)
      : data_(reinterpret_cast<const char*>(data), size) {}
  explicit FuzzInput(absl::string_view data) : data_(data) {}

  // Big-endian integers; missing bytes read as zero.
  uint8_t U8() { return static_cast<uint8_t>(Uint(1)); }
  uint16_t U16() { return static_cast<uint16_t>(Uint(2)); }
  uint32_t U32() { return static_cast<uint32_t>(Uint(4)); }
  uint64_t U64() { return Uint(8); }

  // The next `n` bytes, or fewer at the end of the input.
  absl::string_view Bytes(size_t n) {
    absl::string_view out = data_.substr(0, std::min(n, data_.size()));
    data_.remove_prefix(out.size());
    return out;
  }

  // A U16 length, then that many bytes (fewer at the end of the input).
  absl::string_view LengthPrefixed() { return Bytes(U16()); }

  // Everything not read yet.
  absl::string_view Rest() { return Bytes(data_.size()); }

  size_t remaining() const { return data_.size(); }

 private:
  uint64_t Uint(size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      v <<= 8;
      if (!data_.empty()) {
        v |= static_cast<uint8_t>(data_[0]);
        data_.remove_prefix(1);
      }
    }
    return v;
  }

  absl::string_view data_;
};

// Appends `v` big-endian in `n` bytes (the inverse of FuzzInput's reads).
inline void AppendUint(uint64_t v, size_t n, std::string* out) {
  for (size_t i = n; i > 0; --i) {
    out->push_back(static_cast<char>((v >> (8 * (i - 1))) & 0xff));
  }
}

}  // namespace vtpm::fuzz

#endif  // VTPM_TESTS_FUZZ_FUZZ_INPUT_H_
