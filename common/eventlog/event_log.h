// The TCG PC Client firmware event log: parsing (legacy SHA-1 format and
// the crypto-agile format with a Spec ID Event03 header), size and count
// limits, and the parsed form the replay and boot-state extraction work on.
//
// Nothing here is trusted: a parsed log is only a claim until Replay()
// (replay.h) has matched it against PCR values from a verified quote.
#ifndef VTPM_COMMON_EVENTLOG_EVENT_LOG_H_
#define VTPM_COMMON_EVENTLOG_EVENT_LOG_H_

#include <tss2/tss2_tpm2_types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vtpm::eventlog {

// Event types (TCG PC Client Platform Firmware Profile, section 10.4.1).
enum EventType : uint32_t {
  EV_PREBOOT_CERT = 0x0,
  EV_POST_CODE = 0x1,
  EV_UNUSED = 0x2,
  EV_NO_ACTION = 0x3,
  EV_SEPARATOR = 0x4,
  EV_ACTION = 0x5,
  EV_EVENT_TAG = 0x6,
  EV_S_CRTM_CONTENTS = 0x7,
  EV_S_CRTM_VERSION = 0x8,
  EV_CPU_MICROCODE = 0x9,
  EV_PLATFORM_CONFIG_FLAGS = 0xA,
  EV_TABLE_OF_DEVICES = 0xB,
  EV_COMPACT_HASH = 0xC,
  EV_IPL = 0xD,
  EV_IPL_PARTITION_DATA = 0xE,
  EV_NONHOST_CODE = 0xF,
  EV_NONHOST_CONFIG = 0x10,
  EV_NONHOST_INFO = 0x11,
  EV_OMIT_BOOT_DEVICE_EVENTS = 0x12,
  EV_EFI_EVENT_BASE = 0x80000000,
  EV_EFI_VARIABLE_DRIVER_CONFIG = 0x80000001,
  EV_EFI_VARIABLE_BOOT = 0x80000002,
  EV_EFI_BOOT_SERVICES_APPLICATION = 0x80000003,
  EV_EFI_BOOT_SERVICES_DRIVER = 0x80000004,
  EV_EFI_RUNTIME_SERVICES_DRIVER = 0x80000005,
  EV_EFI_GPT_EVENT = 0x80000006,
  EV_EFI_ACTION = 0x80000007,
  EV_EFI_PLATFORM_FIRMWARE_BLOB = 0x80000008,
  EV_EFI_HANDOFF_TABLES = 0x80000009,
  EV_EFI_PLATFORM_FIRMWARE_BLOB2 = 0x8000000A,
  EV_EFI_HANDOFF_TABLES2 = 0x8000000B,
  EV_EFI_VARIABLE_BOOT2 = 0x8000000C,
  EV_EFI_GPT_EVENT2 = 0x8000000D,
  EV_EFI_HCRTM_EVENT = 0x80000010,
  EV_EFI_VARIABLE_AUTHORITY = 0x800000E0,
  EV_EFI_SPDM_FIRMWARE_BLOB = 0x800000E1,
  EV_EFI_SPDM_FIRMWARE_CONFIG = 0x800000E2,
};

// "EV_EFI_ACTION", or "0x%08x" for unknown types.
std::string EventTypeName(uint32_t type);

// One digest of an event in one bank.
struct EventDigest {
  TPMI_ALG_HASH alg;
  std::string digest;  // raw bytes, DigestSize(alg) long
};

struct Event {
  uint32_t index = 0;  // position among the log's events (header excluded)
  size_t offset = 0;   // byte offset of the event in the log
  uint32_t pcr = 0;
  uint32_t type = 0;
  std::vector<EventDigest> digests;  // in the order the log lists them
  std::string data;                  // event data (TCG_PCR_EVENT2.event)

  // The digest in `alg`, or nullptr.
  const std::string* DigestFor(TPMI_ALG_HASH alg) const;
};

enum class LogFormat { kSha1Legacy, kCryptoAgile };

struct ParsedLog {
  LogFormat format = LogFormat::kSha1Legacy;
  // Banks the log carries digests for (from the Spec ID Event03 header;
  // {sha1} for the legacy format), with their digest sizes checked.
  std::vector<TPMI_ALG_HASH> banks;
  // Every event after the header, EV_NO_ACTION ones included.
  std::vector<Event> events;
  // Locality from a "StartupLocality" EV_NO_ACTION event (PCR 0 then
  // starts at ...000L instead of zero); nullopt when absent.
  std::optional<uint8_t> startup_locality;
};

// Limits on what the parser accepts (a real OVMF/Windows log is tens to
// hundreds of KiB with tens to a few thousand events).
struct ParseLimits {
  size_t max_log_bytes = 4 << 20;
  size_t max_events = 20000;
  size_t max_event_data_bytes = 1 << 20;
  size_t max_banks = 8;
};

// Signatures (16 bytes, NUL included) of the EV_NO_ACTION events the parser
// interprets: the crypto-agile header (TCG_EfiSpecIdEvent) and
// TCG_EfiStartupLocalityEvent (signature + one byte locality).
inline constexpr absl::string_view kSpecIdEvent03Signature{"Spec ID Event03\0",
                                                           16};
inline constexpr absl::string_view kStartupLocalitySignature{
    "StartupLocality\0", 16};

// Parses a whole log. An empty input is an error (InvalidArgument, "empty
// event log"); so is any truncation, a digest count or size that does not
// match the header, an unknown algorithm in an event, or a limit exceeded.
// Errors name the event index and byte offset.
//
// Details of what is accepted:
// - Format: crypto-agile when the first record is a legacy-format
//   EV_NO_ACTION event whose data starts with kSpecIdEvent03Signature (it
//   must then be in PCR 0 with an all-zero digest, and its data must be
//   exactly one TCG_EfiSpecIdEvent); otherwise the whole log is legacy
//   SHA-1 and the first record is event 0.
// - Spec ID header: 1..max_banks distinct algorithms; a known hash
//   (sha1/256/384/512) must have its real digest size; an unknown algorithm
//   is carried (in `banks` and in every event's digests) when the header
//   gives it a size of 1..64 bytes, and Replay() skips it.
// - Each TCG_PCR_EVENT2 lists exactly one digest per header bank, in any
//   order, each of the header's size; an algorithm outside the header or a
//   repeated one is an error.
// - Every event's PCR index is < 24 (EV_NO_ACTION events included).
// - StartupLocality (EV_NO_ACTION whose data starts with
//   kStartupLocalitySignature): data exactly 17 bytes, PCR 0, locality 0, 3
//   or 4 (the only values that give PCR 0 a defined start value), at most
//   once, and before any event that extends PCR 0.
// - End of log: the log ends at the last byte, or at an event boundary
//   followed only by the fill of a firmware log area: every remaining byte
//   0xFF (a record with PCR 0xFFFFFFFF, which no real event has), or every
//   remaining byte 0x00 and at least a record's fixed fields long (12 bytes
//   crypto-agile: PCR 0, type 0, digest count 0, which no real event has;
//   32 bytes legacy: PCR 0, type 0, zero digest, no data). Anything else
//   after the last event is an error, including a zero tail shorter than
//   that (it cannot be told from a truncated PCR 0 event). A log cut
//   exactly at an event boundary parses as the shorter log: the format has
//   no event count; replay against the quote catches the missing events.
// - Errors are InvalidArgument and carry the reason EVENTLOG_MALFORMED
//   (vtpm::ReasonOf); their message names "event N at offset M" (N as in
//   Event.index), "Spec ID header at offset 0", or "first record at offset
//   0" (the first record cut short, before its format is known).
absl::StatusOr<ParsedLog> ParseEventLog(absl::string_view bytes,
                                        const ParseLimits& limits = {});

}  // namespace vtpm::eventlog

#endif  // VTPM_COMMON_EVENTLOG_EVENT_LOG_H_
