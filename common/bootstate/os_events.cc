#include "common/bootstate/os_events.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/bootstate/digest_check.h"
#include "common/bootstate/tagged_event.h"
#include "common/bootstate/ucs2.h"
#include "common/hex.h"
#include "common/tpm_alg.h"

namespace vtpm::bootstate::internal {
namespace {

namespace ev = ::vtpm::eventlog;

constexpr absl::string_view kGrubCmd = "grub_cmd: ";
constexpr absl::string_view kGrubKernelCmdline = "kernel_cmdline: ";
constexpr absl::string_view kGrubModuleCmdline = "module_cmdline: ";

// A UTF-16 string with and without its trailing NUL: the two forms
// systemd-stub versions hash (with it up to 252, without it later).
std::vector<std::string> Utf16Candidates(absl::string_view data) {
  std::vector<std::string> out{std::string(data)};
  if (data.size() >= 2 &&
      data.substr(data.size() - 2) == absl::string_view("\0\0", 2)) {
    out.emplace_back(data.substr(0, data.size() - 2));
  }
  return out;
}

// True when the event's digests are the hash of its UTF-16 data.
bool HashesToOwnUtf16(const ev::Event& e, absl::string_view data) {
  if (!LooksLikeAsciiUtf16(data)) return false;
  DigestComparison c = CompareDigests(e, Utf16Candidates(data));
  return c.match && c.skipped_banks.size() < e.digests.size();
}

std::string Sha256Of(const ev::Event& e) {
  const std::string* d = e.DigestFor(TPM2_ALG_SHA256);
  return d != nullptr ? absl::StrCat(" (sha256 ", HexEncode(*d), ")") : "";
}

}  // namespace

void OsLoaderDecoder::Decode(const ev::Event& e) {
  if (e.type == ev::EV_EVENT_TAG) {
    DecodeTag(e);
    return;
  }
  if (e.type != ev::EV_IPL) return;
  switch (e.pcr) {
    case 8:
      DecodeGrubString(e);
      return;
    case 9:
      AddFile(e, LoggedString(e.data));
      return;
    case 11:
      DecodeUkiEvent(e);
      return;
    case 12:
      if (HashesToOwnUtf16(e, e.data)) {
        SetCmdline(e, LoggedString(e.data));
      } else {
        AddFile(e, LoggedString(e.data));
      }
      return;
    case 13:
      AddFile(e, LoggedString(e.data));
      return;
    case 14:
      ctx_.Note(absl::StrCat("shim measured ", LoggedString(e.data),
                             " into PCR 14", Sha256Of(e)));
      return;
    default:
      ctx_.Note(
          absl::StrCat(EventLabel(e), ": \"", LoggedString(e.data), "\""));
      return;
  }
}

void OsLoaderDecoder::DecodeGrubString(const ev::Event& e) {
  absl::string_view s = e.data;
  while (!s.empty() && s.back() == '\0') s.remove_suffix(1);
  if (absl::StartsWith(s, kGrubCmd)) {
    absl::string_view command = s.substr(kGrubCmd.size());
    std::vector<absl::string_view> words =
        absl::StrSplit(command, ' ', absl::SkipEmpty());
    if (words.size() >= 2 && (words[0] == "linux" || words[0] == "linuxefi" ||
                              words[0] == "linux16")) {
      grub_kernels_.insert(std::string(words[1]));
    }
    ctx_.state().add_grub_commands(ToDisplayString(command));
  } else if (absl::StartsWith(s, kGrubKernelCmdline)) {
    absl::string_view cmdline = s.substr(kGrubKernelCmdline.size());
    absl::string_view kernel = cmdline.substr(0, cmdline.find(' '));
    absl::ConsumePrefix(&kernel, "BOOT_IMAGE=");
    if (grub_kernels_.count(std::string(kernel)) == 0) {
      ctx_.Find(
          vtpm_attest::v1::EVENTLOG_UNEXPECTED_EVENT, e,
          absl::StrCat("GRUB kernel command line \"", ToDisplayString(cmdline),
                       "\" does not start with the kernel of an earlier "
                       "\"linux\" command; the unmeasured "
                       "\"kernel_cmdline: \" prefix may have been "
                       "put on another string"));
      return;
    }
    SetCmdline(e, ToDisplayString(cmdline));
  } else if (absl::StartsWith(s, kGrubModuleCmdline)) {
    ctx_.Note(absl::StrCat(EventLabel(e), ": GRUB module command line \"",
                           ToDisplayString(s.substr(kGrubModuleCmdline.size())),
                           "\""));
  } else if (HashesToOwnUtf16(e, e.data)) {
    SetCmdline(e, LoggedString(e.data));  // systemd-stub <= 250
  } else {
    ctx_.Note(absl::StrCat(EventLabel(e), ": \"", LoggedString(e.data),
                           "\" (not decoded)"));
  }
}

void OsLoaderDecoder::DecodeUkiEvent(const ev::Event& e) {
  const std::string name = LoggedString(e.data);
  if (!pending_uki_section_.has_value()) {
    // A name event: H(section name in ASCII, NUL included).
    std::string ascii_name = name;
    ascii_name.push_back('\0');
    DigestComparison c = CompareDigests(e, {ascii_name});
    if (!c.match) {
      ctx_.Find(vtpm_attest::v1::EVENTLOG_DIGEST_MISMATCH, e,
                absl::StrCat("UKI section name event \"", name,
                             "\" does not hash to its name: ", c.detail));
      return;
    }
    pending_uki_section_ = name;
    return;
  }
  if (name != *pending_uki_section_) {
    ctx_.Find(vtpm_attest::v1::EVENTLOG_DIGEST_MISMATCH, e,
              absl::StrCat("UKI section data event \"", name,
                           "\" follows the name event of section \"",
                           *pending_uki_section_, "\""));
    pending_uki_section_.reset();
    return;
  }
  pending_uki_section_.reset();
  auto* section = ctx_.state().add_uki_sections();
  section->set_name(name);
  FillDigests(e, section->mutable_digests());
  if (name == ".cmdline") {
    if (const std::string* d = e.DigestFor(TPM2_ALG_SHA256)) {
      ctx_.state().set_kernel_cmdline_sha256(HexEncode(*d));
    }
    ctx_.Note(absl::StrCat(
        "the kernel command line is the UKI's .cmdline section, measured "
        "only as a digest",
        Sha256Of(e)));
  }
}

void OsLoaderDecoder::DecodeTag(const ev::Event& e) {
  auto tag = ParseTaggedEvent(e.data);
  if (!tag.ok()) {
    ctx_.Note(absl::StrCat(EventLabel(e), ": ", tag.status().message()));
    return;
  }
  if (e.pcr >= 12 && e.pcr <= 14 &&
      (tag->id & kSipaContainerMask) == kSipaContainer) {
    absl::Status s = DecodeWbclEvent(e.data, &wbcl_);
    if (!s.ok()) {
      ctx_.Note(absl::StrCat(EventLabel(e), ": ", s.message()));
    }
    return;
  }
  if (tag->id == kLinuxLoadOptionsTag && HashesToOwnUtf16(e, tag->data)) {
    SetCmdline(e, LoggedString(tag->data));
    return;
  }
  std::string label = TaggedEventLabel(tag->data);
  if (tag->id == kLinuxLoadOptionsTag) {
    ctx_.Note(absl::StrCat(
        "the kernel's load options (command line) are measured only as a "
        "digest",
        Sha256Of(e)));
  }
  AddFile(e, label.empty() ? absl::StrFormat("tag 0x%08x", tag->id) : label);
}

void OsLoaderDecoder::AddFile(const ev::Event& e, const std::string& name) {
  auto* f = ctx_.state().add_kernel_and_initrd();
  f->set_name(name);
  FillDigests(e, f->mutable_digests());
  f->set_pcr(e.pcr);
  f->set_event_index(e.index);
}

void OsLoaderDecoder::SetCmdline(const ev::Event& e,
                                 const std::string& cmdline) {
  auto& st = ctx_.state();
  if (cmdline_set_ && st.kernel_cmdline() != cmdline) {
    ctx_.Note(absl::StrCat(EventLabel(e), ": kernel command line \"", cmdline,
                           "\" replaces \"", st.kernel_cmdline(), "\""));
  }
  st.set_kernel_cmdline(cmdline);
  cmdline_set_ = true;
}

void OsLoaderDecoder::Finish() {
  if (pending_uki_section_.has_value()) {
    ctx_.Note(absl::StrCat("UKI section \"", *pending_uki_section_,
                           "\" has a name event but no data event"));
  }
  if (wbcl_.seen) WbclToProto(wbcl_, ctx_.state().mutable_windows());
}

}  // namespace vtpm::bootstate::internal
