#include "tests/bootstate/efi_builders.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/hex.h"

namespace vtpm::bootstate::testing {
namespace {

template <typename T>
std::string Le(T v) {
  std::string out;
  for (size_t i = 0; i < sizeof(T); ++i) {
    out.push_back(
        static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
  }
  return out;
}

std::string Reverse(std::string s) { return std::string(s.rbegin(), s.rend()); }

}  // namespace

std::string U16(uint16_t v) { return Le(v); }
std::string U32(uint32_t v) { return Le(v); }
std::string U64(uint64_t v) { return Le(v); }

std::string Guid(absl::string_view text) {
  std::vector<std::string> parts = absl::StrSplit(text, '-');
  if (parts.size() != 5) return std::string(16, '\0');
  auto raw = [](const std::string& hex) { return HexDecode(hex).value_or(""); };
  return Reverse(raw(parts[0])) + Reverse(raw(parts[1])) +
         Reverse(raw(parts[2])) + raw(parts[3]) + raw(parts[4]);
}

std::string Utf16(absl::string_view ascii) {
  std::string out;
  for (char c : ascii) {
    out.push_back(c);
    out.push_back('\0');
  }
  return out;
}

std::string Node(uint8_t type, uint8_t subtype, absl::string_view body) {
  std::string out;
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(subtype));
  absl::StrAppend(&out, U16(static_cast<uint16_t>(body.size() + 4)), body);
  return out;
}

std::string SignatureList(absl::string_view type_guid,
                          const std::vector<std::string>& signatures,
                          absl::string_view header) {
  size_t sig_size = signatures.empty() ? 16 : signatures[0].size();
  std::string body;
  for (const auto& s : signatures) body += s;
  return absl::StrCat(
      Guid(type_guid),
      U32(static_cast<uint32_t>(28 + header.size() + body.size())),
      U32(static_cast<uint32_t>(header.size())),
      U32(static_cast<uint32_t>(sig_size)), header, body);
}

std::string GptEvent(absl::string_view disk_guid,
                     const std::vector<Partition>& partitions) {
  std::string header =
      absl::StrCat("EFI PART", U32(0x00010000), U32(92), U32(0), U32(0), U64(1),
                   U64(0x3fffff), U64(34), U64(0x3fffde), Guid(disk_guid),
                   U64(2), U32(128), U32(128), U32(0));
  std::string out = header + U64(partitions.size());
  for (const Partition& p : partitions) {
    std::string name = Utf16(p.name);
    name.resize(72, '\0');
    absl::StrAppend(&out, Guid(p.type_guid), Guid(p.unique_guid),
                    U64(p.first_lba), U64(p.last_lba), U64(0), name);
  }
  return out;
}

std::string ImageLoad(uint64_t base, uint64_t length,
                      absl::string_view device_path) {
  return absl::StrCat(U64(base), U64(length), U64(0), U64(device_path.size()),
                      device_path);
}

std::string FilePath(absl::string_view ascii_path) {
  return Node(4, 4, Utf16(ascii_path) + U16(0)) + Node(0x7f, 0xff, "");
}

std::string TaggedEvent(uint32_t id, absl::string_view data) {
  return absl::StrCat(U32(id), U32(static_cast<uint32_t>(data.size())), data);
}

}  // namespace vtpm::bootstate::testing
