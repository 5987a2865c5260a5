#include "common/bootstate/describe.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/bootstate/device_path.h"
#include "common/bootstate/efi_signature_list.h"
#include "common/bootstate/efi_variable.h"
#include "common/bootstate/firmware_blob.h"
#include "common/bootstate/gpt.h"
#include "common/bootstate/image_load.h"
#include "common/bootstate/load_option.h"
#include "common/bootstate/tagged_event.h"
#include "common/bootstate/ucs2.h"
#include "common/bootstate/wbcl.h"
#include "common/hex.h"

namespace vtpm::bootstate {
namespace {

namespace ev = ::vtpm::eventlog;

constexpr size_t kMaxHex = 32;
constexpr size_t kMaxValueHex = 16;

std::string Malformed(const absl::Status& s) {
  return absl::StrCat("malformed ", s.message());
}

std::string ShortHex(absl::string_view data, size_t max) {
  return absl::StrCat(HexEncode(data.substr(0, max)),
                      data.size() > max ? "..." : "");
}

std::string DescribeVariable(const ev::Event& e) {
  auto var = ParseUefiVariableData(e.data, /*allow_trailing=*/true);
  if (!var.ok()) return Malformed(var.status());
  std::string out = var->name;
  bool signature_db = var->name == "PK" || var->name == "KEK" ||
                      var->name == "db" || var->name == "dbx" ||
                      var->name == "MokList" || var->name == "MokListX";
  if (e.type == ev::EV_EFI_VARIABLE_DRIVER_CONFIG && signature_db) {
    auto count = CountSignatures(var->data);
    if (count.ok()) {
      absl::StrAppend(&out, ": ", *count, " signatures");
    } else {
      absl::StrAppend(&out, ": ", Malformed(count.status()));
    }
  } else if ((e.type == ev::EV_EFI_VARIABLE_BOOT ||
              e.type == ev::EV_EFI_VARIABLE_BOOT2) &&
             var->name == "BootOrder") {
    auto order = ParseBootOrder(var->data);
    if (order.ok()) {
      absl::StrAppend(
          &out, " = ",
          absl::StrJoin(*order, ",", [](std::string* s, uint16_t n) {
            absl::StrAppendFormat(s, "%04X", n);
          }));
    } else {
      absl::StrAppend(&out, ": ", Malformed(order.status()));
    }
  } else if ((e.type == ev::EV_EFI_VARIABLE_BOOT ||
              e.type == ev::EV_EFI_VARIABLE_BOOT2) &&
             absl::StartsWith(var->name, "Boot")) {
    auto option = ParseLoadOption(var->data);
    if (option.ok()) {
      absl::StrAppend(&out, ": ", option->description, " (",
                      option->device_path, ")");
    } else {
      absl::StrAppend(&out, ": ", Malformed(option.status()));
    }
  } else if (e.type == ev::EV_EFI_VARIABLE_AUTHORITY) {
    bool bare = false;
    auto sig = ParseAuthoritySignature(var->data, &bare);
    if (sig.ok() && !sig->subject().empty()) {
      absl::StrAppend(&out, ": ", sig->subject());
    } else if (sig.ok()) {
      absl::StrAppend(&out, ": sha256 ", sig->sha256());
    } else {
      absl::StrAppend(&out, " = ", ShortHex(var->data, kMaxValueHex));
    }
  } else {
    absl::StrAppend(&out, " = ", ShortHex(var->data, kMaxValueHex));
  }
  if (var->trailing_bytes != 0) {
    absl::StrAppend(&out, " (+", var->trailing_bytes, " trailing bytes)");
  }
  return out;
}

std::string DescribeImage(const ev::Event& e) {
  auto image = ParseImageLoadEvent(e.data);
  if (!image.ok()) return Malformed(image.status());
  std::string path = DevicePathToText(image->device_path).text;
  return absl::StrFormat("%s (image %d bytes)",
                         path.empty() ? "<no device path>" : path,
                         image->length);
}

std::string DescribeTag(const ev::Event& e) {
  auto tag = ParseTaggedEvent(e.data);
  if (!tag.ok()) return Malformed(tag.status());
  if ((tag->id & kSipaContainerMask) == kSipaContainer) {
    return absl::StrFormat("SIPA container 0x%08x, %d bytes", tag->id,
                           tag->data.size());
  }
  return absl::StrFormat("tag 0x%08x: %s", tag->id,
                         TaggedEventLabel(tag->data));
}

}  // namespace

std::string DescribeEvent(const ev::Event& e) {
  switch (e.type) {
    case ev::EV_SEPARATOR:
      if (e.data == "WBCL") return "separator \"WBCL\"";
      return absl::StrCat("separator ", ShortHex(e.data, kMaxHex));
    case ev::EV_ACTION:
    case ev::EV_EFI_ACTION:
    case ev::EV_IPL:
    case ev::EV_S_CRTM_VERSION:
    case ev::EV_EFI_HCRTM_EVENT: {
      std::string s = LoggedString(e.data);
      return s.empty()
                 ? absl::StrCat("\"\" (", HexEncode(e.data.substr(0, 8)), ")")
                 : s;
    }
    case ev::EV_EFI_VARIABLE_DRIVER_CONFIG:
    case ev::EV_EFI_VARIABLE_BOOT:
    case ev::EV_EFI_VARIABLE_BOOT2:
    case ev::EV_EFI_VARIABLE_AUTHORITY:
      return DescribeVariable(e);
    case ev::EV_EFI_BOOT_SERVICES_APPLICATION:
    case ev::EV_EFI_BOOT_SERVICES_DRIVER:
    case ev::EV_EFI_RUNTIME_SERVICES_DRIVER:
      return DescribeImage(e);
    case ev::EV_EFI_PLATFORM_FIRMWARE_BLOB:
    case ev::EV_EFI_PLATFORM_FIRMWARE_BLOB2: {
      auto text = DescribeFirmwareBlob(
          e.data, e.type == ev::EV_EFI_PLATFORM_FIRMWARE_BLOB2);
      return text.ok() ? *text : Malformed(text.status());
    }
    case ev::EV_EFI_HANDOFF_TABLES:
    case ev::EV_EFI_HANDOFF_TABLES2: {
      auto text =
          DescribeHandoffTables(e.data, e.type == ev::EV_EFI_HANDOFF_TABLES2);
      return text.ok() ? *text : Malformed(text.status());
    }
    case ev::EV_EFI_GPT_EVENT:
    case ev::EV_EFI_GPT_EVENT2: {
      auto gpt = ParseGptEvent(e.data);
      if (!gpt.ok()) return Malformed(gpt.status());
      return absl::StrCat("GPT disk ", gpt->disk_guid, ", ",
                          gpt->partitions.size(), " partitions");
    }
    case ev::EV_EVENT_TAG:
      return DescribeTag(e);
    default:
      return absl::StrCat(e.data.size(), " bytes: ", ShortHex(e.data, kMaxHex));
  }
}

}  // namespace vtpm::bootstate
