// Internal to the boot-state extraction: decoding the verified events of
// PCRs 0-6 (firmware, boot variables, drivers, boot applications, GPT).
#ifndef VTPM_COMMON_BOOTSTATE_FIRMWARE_EVENTS_H_
#define VTPM_COMMON_BOOTSTATE_FIRMWARE_EVENTS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/bootstate/extract_context.h"
#include "common/eventlog/event_log.h"

namespace vtpm::bootstate::internal {

class FirmwareDecoder {
 public:
  explicit FirmwareDecoder(ExtractContext& ctx) : ctx_(ctx) {}

  // Decodes one verified event of PCRs 0-6 whose digest checked out;
  // `recomputed`: a digest rule (digest_check.h) applied and held. Marks
  // the event recomputed (ExtractContext::MarkRecomputed) when it is and
  // its data is understood here: the PCR 0 S-CRTM version, a known action
  // string of its PCR (action_strings.h), a PCR 1/5 boot variable or a
  // PCR 1/3/5 configuration variable that parses, a PCR 5 GPT that parses.
  //   PCR 0: EV_S_CRTM_VERSION -> firmware_version (a second one is
  //     EVENTLOG_REPEATED_MEASUREMENT),
  //     EV_EFI_PLATFORM_FIRMWARE_BLOB(2), EV_S_CRTM_CONTENTS, EV_POST_CODE
  //     -> firmware_blobs; EV_EFI_HCRTM_EVENT -> h_crtm.
  //   PCR 1: EV_EFI_VARIABLE_BOOT(2) BootOrder / Boot#### -> boot_order.
  //   PCR 2: drivers and firmware blobs (option ROMs) -> drivers.
  //   PCR 4: EV_EFI_BOOT_SERVICES_APPLICATION -> boot_applications (and
  //     the qemu-direct-kernel-boot quirk); "Returning from EFI
  //     Application" -> note.
  //   PCR 5: EV_EFI_GPT_EVENT(2) -> gpt; Exit Boot Services failure -> note.
  // Malformed structures become notes; nothing here fails.
  void Decode(const eventlog::Event& e, bool recomputed);

  // Writes boot_order: Boot#### options in BootOrder order, then options
  // not in BootOrder, each "Boot0001: <description> (<device path>)". A
  // variable measured twice keeps its first value (noted; no rule judges
  // boot variables).
  // Under EDK2's digest rule for boot variables the variable names are
  // not covered by the digests, so which number an option had is a claim
  // of the log; descriptions and device paths are covered.
  void Finish();

 private:
  void DecodeBootVariable(const eventlog::Event& e, bool recomputed);
  void DecodeImage(const eventlog::Event& e, bool application);

  ExtractContext& ctx_;
  std::optional<std::vector<uint16_t>> boot_order_;
  std::map<uint16_t, std::string> boot_options_;
};

}  // namespace vtpm::bootstate::internal

#endif  // VTPM_COMMON_BOOTSTATE_FIRMWARE_EVENTS_H_
