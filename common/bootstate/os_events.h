// Internal to the boot-state extraction: decoding the verified events of
// PCRs 8-15, which boot loaders and OS loaders write: GRUB (8, 9), the
// Linux EFI stub (9), systemd-stub (11, 12, 13), shim (14) and Windows
// Boot Manager (12-14, SIPA events).
#ifndef VTPM_COMMON_BOOTSTATE_OS_EVENTS_H_
#define VTPM_COMMON_BOOTSTATE_OS_EVENTS_H_

#include <optional>
#include <set>
#include <string>

#include "common/bootstate/extract_context.h"
#include "common/bootstate/wbcl.h"
#include "common/eventlog/event_log.h"

namespace vtpm::bootstate::internal {

class OsLoaderDecoder {
 public:
  explicit OsLoaderDecoder(ExtractContext& ctx) : ctx_(ctx) {}

  // Decodes one verified event of PCR 8 or above whose digest (where
  // DigestRuleFor has a rule) checked out:
  //   PCR 8 EV_IPL: GRUB "grub_cmd: X" -> grub_commands, "kernel_cmdline:
  //     X" -> kernel_cmdline; systemd-stub <= 250's UTF-16 command line.
  //     GRUB's digest does not cover the prefix, so a "kernel_cmdline:"
  //     must start with (optionally "BOOT_IMAGE=" and) the kernel path of
  //     an earlier "grub_cmd: linux PATH ..." (or linuxefi/linux16);
  //     otherwise it is an EVENTLOG_UNEXPECTED_EVENT finding and not used.
  //   PCR 9 EV_IPL (GRUB: a file it read) and EV_EVENT_TAG (Linux EFI
  //     stub: initrd, load options) -> kernel_and_initrd.
  //   PCR 11 EV_IPL (systemd-stub): pairs of events per UKI section, the
  //     first hashing to the section name in ASCII with its NUL, the
  //     second (same name) to the section's contents -> uki_sections. A
  //     name event that does not hash to its name, or a data event with
  //     another name, is an EVENTLOG_DIGEST_MISMATCH finding.
  //   PCR 12 EV_IPL whose digest is the hash of its own UTF-16 text (with
  //     or without the NUL): the command line systemd-stub passed ->
  //     kernel_cmdline; other PCR 12/13 EV_IPL (credentials, sysexts) and
  //     systemd tagged events -> kernel_and_initrd.
  //   EV_EVENT_TAG with the Linux load-options tag whose tagged data hashes
  //     to the digest (the command line itself) -> kernel_cmdline.
  //   PCR 12-14 EV_EVENT_TAG holding SIPA events -> windows.
  //   PCR 14 EV_IPL (shim: MokList, MokListX, MokListTrusted) -> notes.
  void Decode(const eventlog::Event& e);

  // Writes `windows` when SIPA events were seen, and notes a UKI section
  // name event without its data event.
  void Finish();

 private:
  void DecodeGrubString(const eventlog::Event& e);
  void DecodeUkiEvent(const eventlog::Event& e);
  void DecodeTag(const eventlog::Event& e);
  void AddFile(const eventlog::Event& e, const std::string& name);
  void SetCmdline(const eventlog::Event& e, const std::string& cmdline);

  ExtractContext& ctx_;
  std::optional<std::string> pending_uki_section_;
  WbclState wbcl_;
  bool cmdline_set_ = false;
  std::set<std::string> grub_kernels_;  // PATH of "grub_cmd: linux PATH"
};

}  // namespace vtpm::bootstate::internal

#endif  // VTPM_COMMON_BOOTSTATE_OS_EVENTS_H_
