#include "common/bootstate/firmware_events.h"

#include <cctype>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/bootstate/action_strings.h"
#include "common/bootstate/describe.h"
#include "common/bootstate/device_path.h"
#include "common/bootstate/efi_variable.h"
#include "common/bootstate/firmware_blob.h"
#include "common/bootstate/gpt.h"
#include "common/bootstate/guid.h"
#include "common/bootstate/image_load.h"
#include "common/bootstate/load_option.h"
#include "common/bootstate/quirks.h"
#include "common/bootstate/ucs2.h"

namespace vtpm::bootstate::internal {
namespace {

namespace ev = ::vtpm::eventlog;

// "Boot0001" -> 1; nullopt for other names.
std::optional<uint16_t> BootOptionNumber(absl::string_view name) {
  if (name.size() != 8 || !absl::StartsWith(name, "Boot")) return std::nullopt;
  uint32_t n = 0;
  for (char c : name.substr(4)) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  if (!absl::SimpleHexAtoi(name.substr(4), &n)) return std::nullopt;
  return static_cast<uint16_t>(n);
}

}  // namespace

void FirmwareDecoder::Decode(const ev::Event& e, bool recomputed) {
  auto& st = ctx_.state();
  switch (e.type) {
    case ev::EV_S_CRTM_VERSION:
      if (recomputed && e.pcr == 0) ctx_.MarkRecomputed(e);
      if (ctx_.MeasuredOnce("the S-CRTM (firmware) version", e)) {
        st.set_firmware_version(LoggedString(e.data));
      }
      return;
    case ev::EV_EFI_HCRTM_EVENT:
      st.set_h_crtm(true);
      return;
    case ev::EV_EFI_PLATFORM_FIRMWARE_BLOB:
    case ev::EV_EFI_PLATFORM_FIRMWARE_BLOB2: {
      auto text = DescribeFirmwareBlob(
          e.data, e.type == ev::EV_EFI_PLATFORM_FIRMWARE_BLOB2);
      if (!text.ok()) {
        ctx_.Note(absl::StrCat(EventLabel(e), ": ", text.status().message()));
        return;
      }
      if (e.pcr == 2) {
        auto* d = st.add_drivers();
        d->set_pcr(e.pcr);
        d->set_event_type(e.type);
        FillDigests(e, d->mutable_digests());
        d->set_device_path(*text);
        d->set_event_index(e.index);
      } else {
        st.add_firmware_blobs(*text);
      }
      return;
    }
    case ev::EV_S_CRTM_CONTENTS:
    case ev::EV_POST_CODE:
      if (e.pcr == 0) {
        st.add_firmware_blobs(
            absl::StrCat(ev::EventTypeName(e.type), ": ", DescribeEvent(e)));
      }
      return;
    case ev::EV_EFI_VARIABLE_BOOT:
    case ev::EV_EFI_VARIABLE_BOOT2:
      DecodeBootVariable(e, recomputed);
      return;
    case ev::EV_EFI_VARIABLE_DRIVER_CONFIG:
      // PCRs 1, 3 and 5 hold configuration variables no rule judges; the
      // data is understood when it is a UEFI_VARIABLE_DATA.
      if (recomputed && (e.pcr == 1 || e.pcr == 3 || e.pcr == 5) &&
          ParseUefiVariableData(e.data).ok()) {
        ctx_.MarkRecomputed(e);
      }
      return;
    case ev::EV_EFI_BOOT_SERVICES_DRIVER:
    case ev::EV_EFI_RUNTIME_SERVICES_DRIVER:
      DecodeImage(e, /*application=*/false);
      return;
    case ev::EV_EFI_BOOT_SERVICES_APPLICATION:
      DecodeImage(e, /*application=*/true);
      return;
    case ev::EV_EFI_GPT_EVENT:
    case ev::EV_EFI_GPT_EVENT2: {
      auto gpt = ParseGptEvent(e.data);
      if (!gpt.ok()) {
        ctx_.Note(absl::StrCat(EventLabel(e), ": ", gpt.status().message()));
        return;
      }
      if (recomputed && e.pcr == 5) ctx_.MarkRecomputed(e);
      if (st.gpt_size() != 0) {
        ctx_.Note(absl::StrCat(EventLabel(e),
                               ": a second GPT was measured; partitions of "
                               "both are listed"));
      }
      for (auto& p : gpt->partitions) *st.add_gpt() = std::move(p);
      return;
    }
    case ev::EV_ACTION:
    case ev::EV_EFI_ACTION:
      if (recomputed && IsKnownAction(e.pcr, e.data)) ctx_.MarkRecomputed(e);
      if (e.type != ev::EV_EFI_ACTION) return;
      if (e.pcr == 4 && e.data == kReturningFromEfiApplication) {
        ctx_.Note(absl::StrCat(EventLabel(e),
                               ": a boot option returned to the firmware, "
                               "which then tried another"));
      } else if (e.pcr == 5 && e.data == kExitBootServicesFailed) {
        ctx_.Note(absl::StrCat(EventLabel(e), ": ExitBootServices failed"));
      }
      return;
    default:
      return;
  }
}

void FirmwareDecoder::DecodeBootVariable(const ev::Event& e, bool recomputed) {
  auto var = ParseUefiVariableData(e.data);
  if (!var.ok()) {
    ctx_.Note(absl::StrCat(EventLabel(e), ": ", var.status().message()));
    return;
  }
  if (recomputed && (e.pcr == 1 || e.pcr == 5)) ctx_.MarkRecomputed(e);
  if (var->vendor_guid != kEfiGlobalVariableGuid) {
    ctx_.Note(absl::StrCat(EventLabel(e), ": boot variable ", var->name,
                           " with vendor GUID ", var->vendor_guid));
    return;
  }
  if (var->name == "BootOrder") {
    auto order = ParseBootOrder(var->data);
    if (!order.ok()) {
      ctx_.Note(absl::StrCat(EventLabel(e), ": ", order.status().message()));
      return;
    }
    if (boot_order_.has_value()) {
      ctx_.Note(absl::StrCat(EventLabel(e),
                             ": BootOrder measured again; the first one is "
                             "shown"));
      return;
    }
    boot_order_ = *order;
    return;
  }
  std::optional<uint16_t> number = BootOptionNumber(var->name);
  if (!number.has_value()) {
    ctx_.Note(absl::StrCat(EventLabel(e), ": boot variable ", var->name));
    return;
  }
  auto option = ParseLoadOption(var->data);
  if (!option.ok()) {
    ctx_.Note(absl::StrCat(EventLabel(e), ": ", var->name, ": ",
                           option.status().message()));
    return;
  }
  if (boot_options_.count(*number) != 0) {
    ctx_.Note(absl::StrCat(EventLabel(e), ": ", var->name,
                           " measured again; the first one is shown"));
    return;
  }
  boot_options_[*number] = absl::StrFormat(
      "Boot%04X: %s (%s)", *number, option->description, option->device_path);
}

void FirmwareDecoder::DecodeImage(const ev::Event& e, bool application) {
  auto& st = ctx_.state();
  auto* app = application ? st.add_boot_applications() : st.add_drivers();
  app->set_pcr(e.pcr);
  app->set_event_type(e.type);
  FillDigests(e, app->mutable_digests());
  app->set_event_index(e.index);
  auto image = ParseImageLoadEvent(e.data);
  if (!image.ok()) {
    ctx_.Note(absl::StrCat(EventLabel(e), ": ", image.status().message()));
    return;
  }
  DevicePathText path = DevicePathToText(image->device_path);
  if (!path.well_formed) {
    ctx_.Note(absl::StrCat(EventLabel(e), ": malformed device path \"",
                           path.text, "\""));
  }
  app->set_device_path(path.text);
  if (application && IsQemuDirectKernelBoot(e, path.text)) {
    ctx_.NeedQuirk(
        kQuirkQemuDirectKernelBoot, &e,
        absl::StrCat("kernel loaded by QEMU's direct kernel boot (", path.text,
                     "); its digest is not the file's "
                     "Authenticode hash"));
  }
}

void FirmwareDecoder::Finish() {
  auto& st = ctx_.state();
  std::map<uint16_t, std::string> rest = boot_options_;
  if (boot_order_.has_value()) {
    for (uint16_t n : *boot_order_) {
      auto it = rest.find(n);
      if (it == rest.end()) {
        ctx_.Note(absl::StrFormat(
            "BootOrder lists Boot%04X, which the log does not measure", n));
        continue;
      }
      st.add_boot_order(it->second);
      rest.erase(it);
    }
  }
  for (auto& [n, text] : rest) st.add_boot_order(text);
}

}  // namespace vtpm::bootstate::internal
