// Internal to the boot-state extraction: decoding the verified events of
// PCRs 8-15, which boot loaders and OS loaders write: GRUB (8, 9), the
// Linux EFI stub (9), systemd-stub (11, 12, 13), shim (14) and Windows
// Boot Manager (12-14, SIPA events).
#ifndef VTPM_COMMON_BOOTSTATE_OS_EVENTS_H_
#define VTPM_COMMON_BOOTSTATE_OS_EVENTS_H_

#include <optional>
#include <set>
#include <string>

#include "absl/strings/string_view.h"
#include "common/bootstate/extract_context.h"
#include "common/bootstate/wbcl.h"
#include "common/eventlog/event_log.h"

namespace vtpm::bootstate::internal {

class OsLoaderDecoder {
 public:
  explicit OsLoaderDecoder(ExtractContext& ctx) : ctx_(ctx) {}

  // Decodes one verified event of PCR 8 or above whose digest (where
  // DigestRuleFor has a rule) checked out; `recomputed`: such a rule
  // applied and held. Marks recomputed (ExtractContext::MarkRecomputed)
  // only what is listed as such below; everything else is opaque.
  //   PCR 8 (grub_events.cc): the text the digest covers is found first:
  //     the string after a GRUB prefix ("grub_cmd: ", "kernel_cmdline: ",
  //     "module_cmdline: "; the prefix is not measured), the whole data,
  //     or the data without trailing NULs, whichever hashes to the digest
  //     in every supported bank, whatever the event type. That text is
  //     classified by content: "linux|linuxefi|linux16 PATH ..." records
  //     PATH as a kernel; a text starting with "BOOT_IMAGE=" or with such
  //     a PATH is a kernel command line (source "grub", recomputed; a
  //     second one is EVENTLOG_REPEATED_MEASUREMENT) whatever its prefix or
  //     type; other "grub_cmd: " texts -> grub_commands (recomputed),
  //     "module_cmdline: " -> note (recomputed); a "kernel_cmdline: "
  //     that is no command line by content is EVENTLOG_UNEXPECTED_EVENT.
  //     An event hashing to its own UTF-16 data is systemd-stub <= 250's
  //     command line (source "systemd-stub", recomputed). Anything else
  //     in PCR 8 (EV_EVENT_TAG: as in PCR 9) is a file measurement
  //     (kernel_and_initrd), opaque.
  //   PCR 9 EV_IPL (GRUB: a file it read) -> kernel_and_initrd, opaque; a
  //     second file named as a kernel (measured_file.h) is
  //     EVENTLOG_REPEATED_MEASUREMENT.
  //   PCR 11 (systemd-stub): per UKI section a name event hashing to the
  //     section name in ASCII with its NUL (recomputed), then the data
  //     event: whatever PCR 11 event follows a name event (per-PCR order
  //     is measured) is that section's data -> uki_sections (opaque; with
  //     its event index); a data event whose claimed type is not EV_IPL
  //     or whose name differs is also an EVENTLOG_DIGEST_MISMATCH
  //     finding. A non-EV_IPL event with no name event pending is not
  //     decoded; an EV_IPL name event that does not hash to its name is
  //     EVENTLOG_DIGEST_MISMATCH. Each section name once per boot (else
  //     EVENTLOG_REPEATED_MEASUREMENT); ".cmdline" is a digest-only
  //     kernel command line (source "uki-cmdline").
  //   PCR 12 event whose digest is the hash of its own UTF-16 text (with
  //     or without the NUL), whatever its type: the command line
  //     systemd-stub passed (source "systemd-stub", recomputed; measured
  //     once); likewise in PCR 9 the EFI stub's load options (source
  //     "efi-load-options"); other PCR 12/13 EV_IPL (credentials, sysexts)
  //     -> kernel_and_initrd, opaque.
  //   EV_EVENT_TAG with the Linux load-options tag: when the tagged data
  //     hashes to the digest it is the command line (source
  //     "efi-load-options", recomputed); otherwise a file measurement
  //     (opaque) and a note. Either way the EFI stub's load options are
  //     measured once per boot (else EVENTLOG_REPEATED_MEASUREMENT).
  //     Other non-SIPA tags -> kernel_and_initrd, opaque.
  //   PCR 12-14 EV_EVENT_TAG holding SIPA events -> windows (recomputed
  //     when `recomputed` and the events decode).
  //   PCR 14 EV_IPL (shim: MokList, MokListX, MokListTrusted) -> notes.
  void Decode(const eventlog::Event& e, bool recomputed);

  // Writes `windows` when SIPA events were seen, and notes a UKI section
  // name event without its data event.
  void Finish();

 private:
  void DecodePcr8(const eventlog::Event& e);  // grub_events.cc
  void ClassifyPcr8Text(const eventlog::Event& e, const std::string& text,
                        absl::string_view prefix);  // grub_events.cc
  void DecodeUkiEvent(const eventlog::Event& e);
  void DecodeTag(const eventlog::Event& e, bool recomputed);
  void AddFile(const eventlog::Event& e, const std::string& name);
  // Adds a kernel_cmdlines entry: `text` (empty when only `sha256` is
  // known; then `sha256` is the digest the log carries, else it is
  // computed from `text`).
  void AddCmdline(const eventlog::Event& e, const std::string& text,
                  const std::string& sha256, const char* source);

  ExtractContext& ctx_;
  std::optional<std::string> pending_uki_section_;
  WbclState wbcl_;
  std::set<std::string> grub_kernels_;  // PATH of "linux PATH ..."
  bool text_cmdline_seen_ = false;
};

}  // namespace vtpm::bootstate::internal

#endif  // VTPM_COMMON_BOOTSTATE_OS_EVENTS_H_
