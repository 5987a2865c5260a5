// Which event types belong in which of PCRs 0-9 (TCG PC Client Platform
// Firmware Profile r1.05, sections 3.3.4.1-3.3.4.10 and 10.4.1, plus the
// boot loaders' documented use of PCRs 8 and 9).
#ifndef VTPM_COMMON_BOOTSTATE_PCR_EVENT_TYPES_H_
#define VTPM_COMMON_BOOTSTATE_PCR_EVENT_TYPES_H_

#include <cstdint>
#include <set>
#include <string>

namespace vtpm::bootstate {

// True when an event of `type` may appear in `pcr` by default:
//   any PCR:  EV_NO_ACTION (never extended)
//   0: EV_POST_CODE, EV_S_CRTM_CONTENTS, EV_S_CRTM_VERSION,
//      EV_EFI_PLATFORM_FIRMWARE_BLOB(2), EV_EFI_HCRTM_EVENT, EV_NONHOST_*,
//      EV_EFI_HANDOFF_TABLES(2) (some firmware logs ACPI tables here),
//      EV_EFI_SPDM_FIRMWARE_BLOB, EV_SEPARATOR
//   1: EV_PLATFORM_CONFIG_FLAGS, EV_TABLE_OF_DEVICES, EV_CPU_MICROCODE,
//      EV_EFI_VARIABLE_BOOT(2), EV_EFI_VARIABLE_DRIVER_CONFIG,
//      EV_EFI_HANDOFF_TABLES(2), EV_NONHOST_CONFIG/INFO,
//      EV_EFI_SPDM_FIRMWARE_CONFIG, EV_EVENT_TAG (systemd-boot/-stub
//      SMBIOS measurements), EV_SEPARATOR
//   2: EV_EFI_BOOT_SERVICES_DRIVER, EV_EFI_RUNTIME_SERVICES_DRIVER,
//      EV_EFI_PLATFORM_FIRMWARE_BLOB(2), EV_EFI_SPDM_FIRMWARE_BLOB,
//      EV_NONHOST_CODE/INFO, EV_SEPARATOR
//   3: EV_EFI_VARIABLE_DRIVER_CONFIG, EV_EFI_SPDM_FIRMWARE_CONFIG,
//      EV_NONHOST_CONFIG/INFO, EV_SEPARATOR
//   4: EV_EFI_BOOT_SERVICES_APPLICATION, EV_EFI_ACTION, EV_ACTION,
//      EV_COMPACT_HASH, EV_IPL (legacy boot), EV_OMIT_BOOT_DEVICE_EVENTS,
//      EV_SEPARATOR
//   5: EV_EFI_GPT_EVENT(2), EV_IPL_PARTITION_DATA, EV_EFI_ACTION,
//      EV_EFI_VARIABLE_BOOT(2), EV_EFI_VARIABLE_DRIVER_CONFIG,
//      EV_EVENT_TAG (systemd-boot loader.conf), EV_SEPARATOR
//   6: EV_COMPACT_HASH, EV_ACTION, EV_EFI_ACTION, EV_EVENT_TAG,
//      EV_SEPARATOR (host platform manufacturer specific)
//   7: EV_EFI_VARIABLE_DRIVER_CONFIG, EV_EFI_VARIABLE_AUTHORITY,
//      EV_EFI_ACTION ("UEFI Debug Mode", "DMA Protection Disabled"),
//      EV_SEPARATOR
//   8, 9: EV_IPL, EV_EVENT_TAG, EV_ACTION, EV_COMPACT_HASH
//   10 and above: anything (outside the firmware profile's table).
bool EventTypeAllowedByDefault(uint32_t pcr, uint32_t type);

// Like EventTypeAllowedByDefault, also allowing the types named (as
// eventlog::EventTypeName gives them) in `extra` in any PCR.
bool EventTypeAllowed(uint32_t pcr, uint32_t type,
                      const std::set<std::string>& extra);

}  // namespace vtpm::bootstate

#endif  // VTPM_COMMON_BOOTSTATE_PCR_EVENT_TYPES_H_
