#include "common/byte_reader.h"

namespace vtpm {
namespace {

template <typename T>
bool ReadLe(absl::string_view data, size_t* pos, T* out) {
  if (data.size() - *pos < sizeof(T)) return false;
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    v |= static_cast<T>(static_cast<uint8_t>(data[*pos + i])) << (8 * i);
  }
  *out = v;
  *pos += sizeof(T);
  return true;
}

}  // namespace

bool ByteReader::ReadU8(uint8_t* out) { return ReadLe(data_, &pos_, out); }
bool ByteReader::ReadU16(uint16_t* out) { return ReadLe(data_, &pos_, out); }
bool ByteReader::ReadU32(uint32_t* out) { return ReadLe(data_, &pos_, out); }
bool ByteReader::ReadU64(uint64_t* out) { return ReadLe(data_, &pos_, out); }

bool ByteReader::ReadBytes(size_t n, absl::string_view* out) {
  if (remaining() < n) return false;
  *out = data_.substr(pos_, n);
  pos_ += n;
  return true;
}

bool ByteReader::Skip(size_t n) {
  if (remaining() < n) return false;
  pos_ += n;
  return true;
}

}  // namespace vtpm
