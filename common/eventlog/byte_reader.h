// A bounds-checked little-endian cursor over an event log (internal to
// vtpm_eventlog). Every read either succeeds completely or leaves the
// cursor where it was and returns false.
#ifndef VTPM_COMMON_EVENTLOG_BYTE_READER_H_
#define VTPM_COMMON_EVENTLOG_BYTE_READER_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace vtpm::eventlog::internal {

class ByteReader {
 public:
  explicit ByteReader(absl::string_view bytes) : bytes_(bytes) {}

  // Byte offset of the next read from the start of the input.
  size_t offset() const { return pos_; }
  size_t remaining() const { return bytes_.size() - pos_; }
  // The unread bytes.
  absl::string_view rest() const { return bytes_.substr(pos_); }

  bool ReadU8(uint8_t* v) {
    if (remaining() < 1) return false;
    *v = Byte(0);
    pos_ += 1;
    return true;
  }
  bool ReadU16(uint16_t* v) {
    if (remaining() < 2) return false;
    *v = static_cast<uint16_t>(Byte(0) | (Byte(1) << 8));
    pos_ += 2;
    return true;
  }
  bool ReadU32(uint32_t* v) {
    if (remaining() < 4) return false;
    *v = static_cast<uint32_t>(Byte(0)) |
         (static_cast<uint32_t>(Byte(1)) << 8) |
         (static_cast<uint32_t>(Byte(2)) << 16) |
         (static_cast<uint32_t>(Byte(3)) << 24);
    pos_ += 4;
    return true;
  }
  // `n` bytes as a view into the input.
  bool ReadBytes(size_t n, absl::string_view* out) {
    if (remaining() < n) return false;
    *out = bytes_.substr(pos_, n);
    pos_ += n;
    return true;
  }

 private:
  uint8_t Byte(size_t i) const {
    return static_cast<uint8_t>(bytes_[pos_ + i]);
  }

  absl::string_view bytes_;
  size_t pos_ = 0;
};

}  // namespace vtpm::eventlog::internal

#endif  // VTPM_COMMON_EVENTLOG_BYTE_READER_H_
