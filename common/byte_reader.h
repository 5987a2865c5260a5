// A bounds-checked little-endian reader over untrusted bytes. Every read
// either succeeds completely or fails without moving the cursor, so
// decoders never index past the end of event data.
#ifndef VTPM_COMMON_BYTE_READER_H_
#define VTPM_COMMON_BYTE_READER_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace vtpm {

class ByteReader {
 public:
  explicit ByteReader(absl::string_view data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  bool empty() const { return remaining() == 0; }
  // The bytes not read yet.
  absl::string_view Rest() const { return data_.substr(pos_); }

  // Each returns false (and reads nothing) when too few bytes remain.
  bool ReadU8(uint8_t* out);
  bool ReadU16(uint16_t* out);
  bool ReadU32(uint32_t* out);
  bool ReadU64(uint64_t* out);
  // `n` bytes as a view into the underlying data.
  bool ReadBytes(size_t n, absl::string_view* out);
  bool Skip(size_t n);

 private:
  absl::string_view data_;
  size_t pos_ = 0;
};

}  // namespace vtpm

#endif  // VTPM_COMMON_BYTE_READER_H_
