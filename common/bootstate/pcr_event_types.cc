#include "common/bootstate/pcr_event_types.h"

#include <algorithm>
#include <initializer_list>

#include "common/eventlog/event_log.h"

namespace vtpm::bootstate {
namespace {

namespace ev = ::vtpm::eventlog;

bool In(uint32_t type, std::initializer_list<uint32_t> types) {
  return std::find(types.begin(), types.end(), type) != types.end();
}

}  // namespace

bool EventTypeAllowedByDefault(uint32_t pcr, uint32_t type) {
  if (type == ev::EV_NO_ACTION) return true;
  switch (pcr) {
    case 0:
      return In(type, {ev::EV_POST_CODE, ev::EV_S_CRTM_CONTENTS,
                       ev::EV_S_CRTM_VERSION, ev::EV_EFI_PLATFORM_FIRMWARE_BLOB,
                       ev::EV_EFI_PLATFORM_FIRMWARE_BLOB2,
                       ev::EV_EFI_HCRTM_EVENT, ev::EV_NONHOST_CODE,
                       ev::EV_NONHOST_CONFIG, ev::EV_NONHOST_INFO,
                       ev::EV_EFI_HANDOFF_TABLES, ev::EV_EFI_HANDOFF_TABLES2,
                       ev::EV_EFI_SPDM_FIRMWARE_BLOB, ev::EV_SEPARATOR});
    case 1:
      return In(type,
                {ev::EV_PLATFORM_CONFIG_FLAGS, ev::EV_TABLE_OF_DEVICES,
                 ev::EV_CPU_MICROCODE, ev::EV_EFI_VARIABLE_BOOT,
                 ev::EV_EFI_VARIABLE_BOOT2, ev::EV_EFI_VARIABLE_DRIVER_CONFIG,
                 ev::EV_EFI_HANDOFF_TABLES, ev::EV_EFI_HANDOFF_TABLES2,
                 ev::EV_NONHOST_CONFIG, ev::EV_NONHOST_INFO,
                 ev::EV_EFI_SPDM_FIRMWARE_CONFIG, ev::EV_EVENT_TAG,
                 ev::EV_SEPARATOR});
    case 2:
      return In(
          type,
          {ev::EV_EFI_BOOT_SERVICES_DRIVER, ev::EV_EFI_RUNTIME_SERVICES_DRIVER,
           ev::EV_EFI_PLATFORM_FIRMWARE_BLOB,
           ev::EV_EFI_PLATFORM_FIRMWARE_BLOB2, ev::EV_EFI_SPDM_FIRMWARE_BLOB,
           ev::EV_NONHOST_CODE, ev::EV_NONHOST_INFO, ev::EV_SEPARATOR});
    case 3:
      return In(type, {ev::EV_EFI_VARIABLE_DRIVER_CONFIG,
                       ev::EV_EFI_SPDM_FIRMWARE_CONFIG, ev::EV_NONHOST_CONFIG,
                       ev::EV_NONHOST_INFO, ev::EV_SEPARATOR});
    case 4:
      return In(type, {ev::EV_EFI_BOOT_SERVICES_APPLICATION, ev::EV_EFI_ACTION,
                       ev::EV_ACTION, ev::EV_COMPACT_HASH, ev::EV_IPL,
                       ev::EV_OMIT_BOOT_DEVICE_EVENTS, ev::EV_SEPARATOR});
    case 5:
      return In(type, {ev::EV_EFI_GPT_EVENT, ev::EV_EFI_GPT_EVENT2,
                       ev::EV_IPL_PARTITION_DATA, ev::EV_EFI_ACTION,
                       ev::EV_EFI_VARIABLE_BOOT, ev::EV_EFI_VARIABLE_BOOT2,
                       ev::EV_EFI_VARIABLE_DRIVER_CONFIG, ev::EV_EVENT_TAG,
                       ev::EV_SEPARATOR});
    case 6:
      return In(type, {ev::EV_COMPACT_HASH, ev::EV_ACTION, ev::EV_EFI_ACTION,
                       ev::EV_EVENT_TAG, ev::EV_SEPARATOR});
    case 7:
      return In(type, {ev::EV_EFI_VARIABLE_DRIVER_CONFIG,
                       ev::EV_EFI_VARIABLE_AUTHORITY, ev::EV_EFI_ACTION,
                       ev::EV_SEPARATOR});
    case 8:
    case 9:
      return In(type, {ev::EV_IPL, ev::EV_EVENT_TAG, ev::EV_ACTION,
                       ev::EV_COMPACT_HASH});
    default:
      return true;
  }
}

bool EventTypeAllowed(uint32_t pcr, uint32_t type,
                      const std::set<std::string>& extra) {
  return EventTypeAllowedByDefault(pcr, type) ||
         extra.count(ev::EventTypeName(type)) != 0;
}

}  // namespace vtpm::bootstate
