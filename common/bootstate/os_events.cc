#include "common/bootstate/os_events.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/bootstate/digest_check.h"
#include "common/bootstate/measured_file.h"
#include "common/bootstate/os_text.h"
#include "common/bootstate/tagged_event.h"
#include "common/bootstate/ucs2.h"
#include "common/hex.h"
#include "common/tpm_alg.h"

namespace vtpm::bootstate::internal {
namespace {

namespace ev = ::vtpm::eventlog;

std::string Sha256Of(const ev::Event& e) {
  const std::string* d = e.DigestFor(TPM2_ALG_SHA256);
  return d != nullptr ? absl::StrCat(" (sha256 ", HexEncode(*d), ")") : "";
}

}  // namespace

void OsLoaderDecoder::Decode(const ev::Event& e, bool recomputed) {
  if (e.pcr == 8) {
    DecodePcr8(e);
    return;
  }
  if (e.pcr == 11) {
    DecodeUkiEvent(e);
    return;
  }
  // A command line is found by what its digest covers: in PCR 9 (the
  // EFI stub's load options) or 12 (systemd-stub), UTF-16 data that hashes
  // to the digest is one, whatever the event type says.
  if ((e.pcr == 9 || e.pcr == 12) && e.type != ev::EV_EVENT_TAG &&
      HashesToOwnUtf16(e, e.data)) {
    const bool stub = e.pcr == 12;
    ctx_.MarkRecomputed(e);
    ctx_.MeasuredOnce(stub ? kSystemdStubCmdline : kEfiStubLoadOptions, e);
    if (e.type != ev::EV_IPL || !stub) {
      ctx_.Note(absl::StrCat(EventLabel(e),
                             ": UTF-16 text that hashes to the digest is "
                             "judged as a kernel command line"));
    }
    AddCmdline(e, LoggedString(e.data), "",
               stub ? "systemd-stub" : "efi-load-options");
    return;
  }
  if (e.type == ev::EV_EVENT_TAG) {
    DecodeTag(e, recomputed);
    return;
  }
  if (e.type != ev::EV_IPL) return;
  switch (e.pcr) {
    case 9:
    case 12:
      AddFile(e, LoggedString(e.data));
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

void OsLoaderDecoder::DecodeUkiEvent(const ev::Event& e) {
  if (!pending_uki_section_.has_value()) {
    // A name event: H(section name in ASCII, NUL included). Anything but
    // an EV_IPL is left undecoded (opaque).
    if (e.type != ev::EV_IPL) return;
    const std::string name = LoggedString(e.data);
    std::string ascii_name = name;
    ascii_name.push_back('\0');
    DigestComparison c = CompareDigests(e, {ascii_name});
    if (!c.match) {
      ctx_.Find(vtpm_attest::v1::EVENTLOG_DIGEST_MISMATCH, e,
                absl::StrCat("UKI section name event \"", name,
                             "\" does not hash to its name: ", c.detail));
      return;
    }
    if (DigestsRecomputedFrom(e, {ascii_name})) ctx_.MarkRecomputed(e);
    pending_uki_section_ = name;
    return;
  }
  // The data event: whatever follows the name event in PCR 11 (the order
  // within a PCR is measured), whatever type or name it claims.
  const std::string section = *pending_uki_section_;
  pending_uki_section_.reset();
  const std::string claimed =
      e.type == ev::EV_IPL ? LoggedString(e.data) : std::string();
  if (e.type != ev::EV_IPL || claimed != section) {
    ctx_.Find(vtpm_attest::v1::EVENTLOG_DIGEST_MISMATCH, e,
              absl::StrCat("UKI section data event \"", claimed, "\" (",
                           ev::EventTypeName(e.type),
                           ") follows the name event of section \"", section,
                           "\"; it is taken as that section's data"));
  }
  ctx_.MeasuredOnce(absl::StrCat("the UKI section ", section), e);
  auto* s = ctx_.state().add_uki_sections();
  s->set_name(section);
  FillDigests(e, s->mutable_digests());
  s->set_event_index(e.index);
  if (section == ".cmdline") {
    const std::string* d = e.DigestFor(TPM2_ALG_SHA256);
    AddCmdline(e, "", d != nullptr ? HexEncode(*d) : std::string(),
               "uki-cmdline");
    ctx_.Note(absl::StrCat(
        "the kernel command line is the UKI's .cmdline section, measured "
        "only as a digest",
        Sha256Of(e)));
  }
}

void OsLoaderDecoder::DecodeTag(const ev::Event& e, bool recomputed) {
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
    } else if (recomputed) {
      ctx_.MarkRecomputed(e);
    }
    return;
  }
  if (tag->id == kLinuxLoadOptionsTag) {
    ctx_.MeasuredOnce(kEfiStubLoadOptions, e);
    if (HashesToOwnUtf16(e, tag->data)) {
      ctx_.MarkRecomputed(e);
      AddCmdline(e, LoggedString(tag->data), "", "efi-load-options");
      return;
    }
    ctx_.Note(absl::StrCat(
        "the kernel's load options (command line) are measured only as a "
        "digest",
        Sha256Of(e)));
  }
  std::string label = TaggedEventLabel(tag->data);
  AddFile(e, label.empty() ? absl::StrFormat("tag 0x%08x", tag->id) : label);
}

void OsLoaderDecoder::AddFile(const ev::Event& e, const std::string& name) {
  auto* f = ctx_.state().add_kernel_and_initrd();
  f->set_name(name);
  FillDigests(e, f->mutable_digests());
  f->set_pcr(e.pcr);
  f->set_event_index(e.index);
  if ((e.pcr == 8 || e.pcr == 9) &&
      ClassifyFileName(name) == FileKind::kKernel) {
    ctx_.MeasuredOnce(absl::StrCat("a kernel file in PCR ", e.pcr), e);
  }
}

void OsLoaderDecoder::AddCmdline(const ev::Event& e, const std::string& text,
                                 const std::string& sha256,
                                 const char* source) {
  auto& st = ctx_.state();
  const bool digest_only = text.empty() && !sha256.empty();
  auto* c = st.add_kernel_cmdlines();
  c->set_text(text);
  c->set_sha256(digest_only ? sha256 : Sha256Hex(text));
  c->set_pcr(e.pcr);
  c->set_event_index(e.index);
  c->set_source(source);
  if (digest_only) {
    if (st.kernel_cmdline_sha256().empty()) {
      st.set_kernel_cmdline_sha256(sha256);
    }
    return;
  }
  if (!text_cmdline_seen_) {
    st.set_kernel_cmdline(text);
    text_cmdline_seen_ = true;
  } else if (st.kernel_cmdline() != text) {
    ctx_.Note(absl::StrCat(EventLabel(e), ": another kernel command line \"",
                           text, "\" (the first was \"", st.kernel_cmdline(),
                           "\"); every one is judged"));
  }
}

void OsLoaderDecoder::Finish() {
  if (pending_uki_section_.has_value()) {
    ctx_.Note(absl::StrCat("UKI section \"", *pending_uki_section_,
                           "\" has a name event but no data event"));
  }
  if (wbcl_.seen) WbclToProto(wbcl_, ctx_.state().mutable_windows());
}

}  // namespace vtpm::bootstate::internal
