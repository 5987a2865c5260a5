// Internal to the boot-state extraction: decoding the verified events of
// PCR 7 (Secure Boot configuration and the authorities that verified
// boot applications).
#ifndef VTPM_COMMON_BOOTSTATE_SECURE_BOOT_EVENTS_H_
#define VTPM_COMMON_BOOTSTATE_SECURE_BOOT_EVENTS_H_

#include <string>

#include "common/bootstate/extract_context.h"
#include "common/eventlog/event_log.h"

namespace vtpm::bootstate::internal {

class SecureBootDecoder {
 public:
  explicit SecureBootDecoder(ExtractContext& ctx) : ctx_(ctx) {}

  // Decodes one verified PCR 7 event whose digest checked out;
  // `recomputed`: a digest rule applied and held; `off_by_one` says its
  // data has one unmeasured trailing byte (quirk
  // shim-secureboot-off-by-one), which is dropped. Marks the event
  // recomputed when it is and its data is understood: a configuration
  // variable that parses, an authority whose signature decodes (or one of
  // shim's SbatLevel, MokSBState, MokListTrusted, MokDBState), a known
  // PCR 7 action string.
  //   EV_EFI_VARIABLE_DRIVER_CONFIG: SecureBoot (EFI global variable GUID,
  //     one byte: secure_boot = value 1, secure_boot_known), PK and KEK
  //     (global GUID), db and dbx (image security database GUID) ->
  //     signature lists. A variable measured twice is an
  //     EVENTLOG_REPEATED_MEASUREMENT finding naming both events (which
  //     value was in force is unknown); the databases keep the first
  //     instance, secure_boot holds only if every SecureBoot instance is
  //     01. Other names or GUIDs are noted.
  //   EV_EFI_VARIABLE_AUTHORITY: an EFI_SIGNATURE_DATA -> authorities
  //     (firmware's "db", shim's "Shim"/"MokListRT"/"MokList", ...);
  //     shim's SbatLevel, MokSBState and MokListTrusted -> notes.
  //   EV_EFI_ACTION "UEFI Debug Mode", "DMA Protection Disabled" -> notes.
  void Decode(const eventlog::Event& e, bool recomputed, bool off_by_one);

  // Notes an enabled Secure Boot without any authority event.
  void Finish();

 private:
  void DecodeConfig(const eventlog::Event& e, bool recomputed);
  void DecodeAuthority(const eventlog::Event& e, bool recomputed,
                       bool off_by_one);

  ExtractContext& ctx_;
  bool separator_seen_ = false;
};

}  // namespace vtpm::bootstate::internal

#endif  // VTPM_COMMON_BOOTSTATE_SECURE_BOOT_EVENTS_H_
