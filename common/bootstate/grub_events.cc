// OsLoaderDecoder's PCR 8 events (os_events.h): GRUB's commands and kernel
// command line, systemd-stub <= 250's command line. GRUB's digests cover
// the text after its prefix, not the prefix, and nothing covers the event
// type, so what an event is follows from the text its digest covers.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/bootstate/digest_check.h"
#include "common/bootstate/os_events.h"
#include "common/bootstate/os_text.h"
#include "common/bootstate/ucs2.h"

namespace vtpm::bootstate::internal {
namespace {

namespace ev = ::vtpm::eventlog;

constexpr absl::string_view kGrubCmd = "grub_cmd: ";
constexpr absl::string_view kGrubKernelCmdlinePrefix = "kernel_cmdline: ";
constexpr absl::string_view kGrubModuleCmdline = "module_cmdline: ";
constexpr absl::string_view kGrubPrefixes[] = {
    kGrubCmd, kGrubKernelCmdlinePrefix, kGrubModuleCmdline};
constexpr absl::string_view kBootImage = "BOOT_IMAGE=";

absl::string_view StripTrailingNuls(absl::string_view s) {
  while (!s.empty() && s.back() == '\0') s.remove_suffix(1);
  return s;
}

bool IsLinuxCommand(absl::string_view word) {
  return word == "linux" || word == "linuxefi" || word == "linux16";
}

}  // namespace

void OsLoaderDecoder::DecodePcr8(const ev::Event& e) {
  if (e.type == ev::EV_EVENT_TAG) {
    DecodeTag(e, /*recomputed=*/false);
    return;
  }
  const absl::string_view s = StripTrailingNuls(e.data);
  for (absl::string_view prefix : kGrubPrefixes) {
    if (!absl::StartsWith(s, prefix)) continue;
    const std::string text(s.substr(prefix.size()));
    if (DigestsRecomputedFrom(e, {text})) {
      ClassifyPcr8Text(e, text, prefix);
      return;
    }
  }
  if (HashesToOwnUtf16(e, e.data)) {  // systemd-stub <= 250
    ctx_.MarkRecomputed(e);
    ctx_.MeasuredOnce(kSystemdStubCmdline, e);
    AddCmdline(e, LoggedString(e.data), "", "systemd-stub");
    return;
  }
  if (DigestsRecomputedFrom(e, {e.data, std::string(s)})) {
    ClassifyPcr8Text(e, std::string(s), "");
    return;
  }
  // The digest covers something the log does not carry: a file measured
  // into PCR 8, for the kernel and file rules to account for.
  ctx_.Note(absl::StrCat(EventLabel(e), ": \"", LoggedString(e.data),
                         "\" does not hash to its digest; taken as a file "
                         "measurement"));
  AddFile(e, e.type == ev::EV_IPL ? LoggedString(e.data)
                                  : ev::EventTypeName(e.type));
}

void OsLoaderDecoder::ClassifyPcr8Text(const ev::Event& e,
                                       const std::string& text,
                                       absl::string_view prefix) {
  std::vector<absl::string_view> words =
      absl::StrSplit(text, ' ', absl::SkipEmpty());
  if (words.size() >= 2 && IsLinuxCommand(words[0])) {
    grub_kernels_.insert(std::string(words[1]));
  }
  absl::string_view first = words.empty() ? "" : words[0];
  const bool boot_image = absl::ConsumePrefix(&first, kBootImage);
  if (boot_image ||
      (!first.empty() && grub_kernels_.count(std::string(first)))) {
    // A kernel command line by content, whatever the label says.
    ctx_.MarkRecomputed(e);
    ctx_.MeasuredOnce(kGrubKernelCmdline, e);
    if (prefix != kGrubKernelCmdlinePrefix) {
      ctx_.Note(absl::StrCat(
          EventLabel(e), ": the kernel command line \"", ToDisplayString(text),
          "\" is logged ",
          prefix.empty()
              ? std::string("without GRUB's \"kernel_cmdline: \" prefix")
              : absl::StrCat("with the prefix \"", prefix, "\""),
          "; it is judged as a command line"));
    }
    AddCmdline(e, ToDisplayString(text), "", "grub");
    return;
  }
  if (prefix == kGrubKernelCmdlinePrefix) {
    ctx_.Find(vtpm_attest::v1::EVENTLOG_UNEXPECTED_EVENT, e,
              absl::StrCat("GRUB kernel command line \"", ToDisplayString(text),
                           "\" does not start with the kernel of an earlier "
                           "\"linux\" command; the unmeasured "
                           "\"kernel_cmdline: \" prefix may have been "
                           "put on another string"));
    return;
  }
  if (prefix == kGrubCmd) {
    ctx_.MarkRecomputed(e);
    ctx_.state().add_grub_commands(ToDisplayString(text));
    return;
  }
  if (prefix == kGrubModuleCmdline) {
    ctx_.MarkRecomputed(e);
    ctx_.Note(absl::StrCat(EventLabel(e), ": GRUB module command line \"",
                           ToDisplayString(text), "\""));
    return;
  }
  // Text without a GRUB prefix that is no command line: its meaning is
  // unknown (opaque).
  ctx_.Note(absl::StrCat(EventLabel(e), ": \"", ToDisplayString(text),
                         "\" (not decoded)"));
}

}  // namespace vtpm::bootstate::internal
