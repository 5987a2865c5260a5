#include "common/bootstate/device_path.h"

#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/byte_reader.h"
#include "common/bootstate/guid.h"
#include "common/bootstate/ucs2.h"
#include "common/hex.h"

namespace vtpm::bootstate {
namespace {

// Device path node types and subtypes (UEFI spec 10.3).
enum : uint8_t {
  kHardware = 0x01,
  kAcpi = 0x02,
  kMessaging = 0x03,
  kMedia = 0x04,
  kBbs = 0x05,
  kEnd = 0x7f,
};
constexpr uint8_t kEndEntire = 0xff;
constexpr uint8_t kEndInstance = 0x01;
constexpr size_t kMaxVendorHex = 64;

std::string Generic(uint8_t type, uint8_t subtype) {
  return absl::StrFormat("Type(%d,%d)", type, subtype);
}

std::string VendorText(const char* prefix, ByteReader& r) {
  absl::string_view guid;
  if (!r.ReadBytes(16, &guid)) return "";
  std::string out = absl::StrCat(prefix, "(", GuidToString(guid));
  absl::string_view data = r.Rest();
  if (!data.empty()) {
    absl::StrAppend(&out, ",", HexEncode(data.substr(0, kMaxVendorHex)),
                    data.size() > kMaxVendorHex ? "..." : "");
  }
  return out + ")";
}

// "PNP0A03" for a compressed EISA id of vendor PNP, else hex.
std::string EisaId(uint32_t id) {
  if ((id & 0xffff) == 0x41d0) return absl::StrFormat("PNP%04X", id >> 16);
  return absl::StrFormat("0x%08x", id);
}

std::string Hardware(uint8_t subtype, ByteReader& r) {
  switch (subtype) {
    case 0x01: {  // PCI
      uint8_t function, device;
      if (!r.ReadU8(&function) || !r.ReadU8(&device)) return "";
      return absl::StrFormat("Pci(0x%x,0x%x)", device, function);
    }
    case 0x03: {  // memory mapped (QEMU direct boot, option ROMs)
      uint32_t mem_type;
      uint64_t start, end;
      if (!r.ReadU32(&mem_type) || !r.ReadU64(&start) || !r.ReadU64(&end)) {
        return "";
      }
      return absl::StrFormat("MemoryMapped(0x%x,0x%x,0x%x)", mem_type, start,
                             end);
    }
    case 0x04:
      return VendorText("VenHw", r);
    case 0x05: {
      uint32_t ctrl;
      if (!r.ReadU32(&ctrl)) return "";
      return absl::StrFormat("Ctrl(0x%x)", ctrl);
    }
    default:
      return Generic(kHardware, subtype);
  }
}

std::string Acpi(uint8_t subtype, ByteReader& r) {
  switch (subtype) {
    case 0x01: {
      uint32_t hid, uid;
      if (!r.ReadU32(&hid) || !r.ReadU32(&uid)) return "";
      if (hid == 0x0a0341d0) return absl::StrFormat("PciRoot(0x%x)", uid);
      if (hid == 0x0a0841d0) return absl::StrFormat("PcieRoot(0x%x)", uid);
      return absl::StrFormat("Acpi(%s,0x%x)", EisaId(hid), uid);
    }
    case 0x02: {  // expanded: HID, UID, CID, then three strings
      uint32_t hid, uid, cid;
      if (!r.ReadU32(&hid) || !r.ReadU32(&uid) || !r.ReadU32(&cid)) return "";
      return absl::StrFormat("AcpiEx(%s,%s,0x%x)", EisaId(hid), EisaId(cid),
                             uid);
    }
    case 0x03: {
      uint32_t adr;
      if (!r.ReadU32(&adr)) return "";
      return absl::StrFormat("AcpiAdr(0x%x)", adr);
    }
    default:
      return Generic(kAcpi, subtype);
  }
}

std::string Ipv4(absl::string_view b) {
  return absl::StrFormat("%d.%d.%d.%d", static_cast<uint8_t>(b[0]),
                         static_cast<uint8_t>(b[1]), static_cast<uint8_t>(b[2]),
                         static_cast<uint8_t>(b[3]));
}

std::string Messaging(uint8_t subtype, ByteReader& r) {
  switch (subtype) {
    case 0x02: {  // SCSI
      uint16_t pun, lun;
      if (!r.ReadU16(&pun) || !r.ReadU16(&lun)) return "";
      return absl::StrFormat("Scsi(0x%x,0x%x)", pun, lun);
    }
    case 0x05: {  // USB
      uint8_t port, iface;
      if (!r.ReadU8(&port) || !r.ReadU8(&iface)) return "";
      return absl::StrFormat("USB(0x%x,0x%x)", port, iface);
    }
    case 0x0a:
      return VendorText("VenMsg", r);
    case 0x0b: {  // MAC address: 32 bytes, then the interface type
      absl::string_view mac;
      uint8_t if_type;
      if (!r.ReadBytes(32, &mac) || !r.ReadU8(&if_type)) return "";
      // Ethernet (types 0 and 1) uses 6 bytes of the 32.
      size_t len = (if_type == 0 || if_type == 1) ? 6 : 32;
      return absl::StrFormat("MAC(%s,0x%x)", HexEncode(mac.substr(0, len)),
                             if_type);
    }
    case 0x0c: {  // IPv4: local, remote, ports, protocol, static, ...
      absl::string_view local, remote;
      if (!r.ReadBytes(4, &local) || !r.ReadBytes(4, &remote)) return "";
      return absl::StrFormat("IPv4(%s)", Ipv4(remote));
    }
    case 0x0d: {  // IPv6: local (16), remote (16), ...
      absl::string_view local, remote;
      if (!r.ReadBytes(16, &local) || !r.ReadBytes(16, &remote)) return "";
      return absl::StrFormat("IPv6(%s)", HexEncode(remote));
    }
    case 0x12: {  // SATA
      uint16_t hba, pm, lun;
      if (!r.ReadU16(&hba) || !r.ReadU16(&pm) || !r.ReadU16(&lun)) return "";
      return absl::StrFormat("Sata(0x%x,0x%x,0x%x)", hba, pm, lun);
    }
    case 0x17: {  // NVMe namespace
      uint32_t nsid;
      absl::string_view eui;
      if (!r.ReadU32(&nsid) || !r.ReadBytes(8, &eui)) return "";
      return absl::StrFormat("NVMe(0x%x,%s)", nsid, HexEncode(eui));
    }
    case 0x18:  // URI, not NUL-terminated
      return absl::StrCat("Uri(", ToDisplayString(r.Rest()), ")");
    default:
      return Generic(kMessaging, subtype);
  }
}

std::string Media(uint8_t subtype, ByteReader& r) {
  switch (subtype) {
    case 0x01: {  // hard drive partition
      uint32_t number;
      uint64_t start, size;
      absl::string_view signature;
      uint8_t mbr_type, sig_type;
      if (!r.ReadU32(&number) || !r.ReadU64(&start) || !r.ReadU64(&size) ||
          !r.ReadBytes(16, &signature) || !r.ReadU8(&mbr_type) ||
          !r.ReadU8(&sig_type)) {
        return "";
      }
      std::string sig;
      if (sig_type == 0x02) {
        sig = absl::StrCat("GPT,", GuidToString(signature));
      } else if (sig_type == 0x01) {
        ByteReader s(signature);
        uint32_t mbr_sig = 0;
        s.ReadU32(&mbr_sig);
        sig = absl::StrFormat("MBR,0x%08x", mbr_sig);
      } else {
        sig = absl::StrFormat("%d,0", sig_type);
      }
      return absl::StrFormat("HD(%d,%s,0x%x,0x%x)", number, sig, start, size);
    }
    case 0x02: {  // CD-ROM (El Torito)
      uint32_t entry;
      uint64_t start, size;
      if (!r.ReadU32(&entry) || !r.ReadU64(&start) || !r.ReadU64(&size)) {
        return "";
      }
      return absl::StrFormat("CDROM(0x%x,0x%x,0x%x)", entry, start, size);
    }
    case 0x03:
      return VendorText("VenMedia", r);
    case 0x04:  // file path, UTF-16 with NUL
      return ToDisplayString(Utf16LeToUtf8(r.Rest()));
    case 0x05: {
      absl::string_view guid;
      if (!r.ReadBytes(16, &guid)) return "";
      return absl::StrCat("Media(", GuidToString(guid), ")");
    }
    case 0x06: {  // PIWG firmware file
      absl::string_view guid;
      if (!r.ReadBytes(16, &guid)) return "";
      return absl::StrCat("FvFile(", GuidToString(guid), ")");
    }
    case 0x07: {  // PIWG firmware volume
      absl::string_view guid;
      if (!r.ReadBytes(16, &guid)) return "";
      return absl::StrCat("Fv(", GuidToString(guid), ")");
    }
    case 0x08: {  // relative offset range
      uint32_t reserved;
      uint64_t start, end;
      if (!r.ReadU32(&reserved) || !r.ReadU64(&start) || !r.ReadU64(&end)) {
        return "";
      }
      return absl::StrFormat("Offset(0x%x,0x%x)", start, end);
    }
    case 0x09: {  // RAM disk
      uint64_t start, end;
      absl::string_view guid;
      if (!r.ReadU64(&start) || !r.ReadU64(&end) || !r.ReadBytes(16, &guid)) {
        return "";
      }
      return absl::StrFormat("RamDisk(0x%x,0x%x,%s)", start, end,
                             GuidToString(guid));
    }
    default:
      return Generic(kMedia, subtype);
  }
}

std::string Bbs(uint8_t subtype, ByteReader& r) {
  if (subtype != 0x01) return Generic(kBbs, subtype);
  uint16_t device_type, status;
  if (!r.ReadU16(&device_type) || !r.ReadU16(&status)) return "";
  std::string desc(r.Rest());
  if (auto nul = desc.find('\0'); nul != std::string::npos) desc.resize(nul);
  return absl::StrFormat("BBS(0x%x,%s)", device_type, ToDisplayString(desc));
}

}  // namespace

DevicePathText DevicePathToText(absl::string_view bytes) {
  DevicePathText out;
  // Node texts; an empty string marks an instance separator.
  std::vector<std::string> nodes;
  ByteReader r(bytes);
  while (!r.empty()) {
    uint8_t type = 0, subtype = 0;
    uint16_t length = 0;
    if (!r.ReadU8(&type) || !r.ReadU8(&subtype) || !r.ReadU16(&length) ||
        length < 4 || length - 4u > r.remaining()) {
      out.well_formed = false;
      nodes.push_back("<malformed>");
      break;
    }
    absl::string_view body;
    r.ReadBytes(length - 4u, &body);
    if (type == kEnd) {
      if (subtype == kEndEntire) break;
      if (subtype == kEndInstance) {
        nodes.emplace_back();
        continue;
      }
    }
    ByteReader node(body);
    std::string text;
    switch (type) {
      case kHardware:
        text = Hardware(subtype, node);
        break;
      case kAcpi:
        text = Acpi(subtype, node);
        break;
      case kMessaging:
        text = Messaging(subtype, node);
        break;
      case kMedia:
        text = Media(subtype, node);
        break;
      case kBbs:
        text = Bbs(subtype, node);
        break;
      default:
        text = Generic(type, subtype);
    }
    if (text.empty() && !(type == kMedia && subtype == 0x04)) {
      // a known node too short for its fields
      out.well_formed = false;
      text = Generic(type, subtype);
    }
    if (text.empty()) text.assign(1, '\\');  // an empty file path
    nodes.push_back(std::move(text));
  }
  // Instances are separated by ',' without the '/' around it.
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].empty()) {
      out.text += ",";
      continue;
    }
    if (i > 0 && !nodes[i - 1].empty()) out.text += "/";
    out.text += nodes[i];
  }
  return out;
}

}  // namespace vtpm::bootstate
