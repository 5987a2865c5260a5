#include "common/bootstate/secure_boot_events.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/bootstate/action_strings.h"
#include "common/bootstate/efi_signature_list.h"
#include "common/bootstate/efi_variable.h"
#include "common/bootstate/guid.h"
#include "common/bootstate/ucs2.h"
#include "common/hex.h"

namespace vtpm::bootstate::internal {
namespace {

namespace ev = ::vtpm::eventlog;
using ::vtpm_attest::v1::SignatureEntry;

constexpr size_t kMaxNoteValue = 200;

// A SecureBoot value counts as on only when it is the one byte 01.
bool IsOn(absl::string_view value) {
  return value.size() == 1 && value[0] == '\1';
}

}  // namespace

void SecureBootDecoder::Decode(const ev::Event& e, bool recomputed,
                               bool off_by_one) {
  switch (e.type) {
    case ev::EV_SEPARATOR:
      separator_seen_ = true;
      return;
    case ev::EV_EFI_VARIABLE_DRIVER_CONFIG:
      DecodeConfig(e, recomputed);
      return;
    case ev::EV_EFI_VARIABLE_AUTHORITY:
      DecodeAuthority(e, recomputed, off_by_one);
      return;
    case ev::EV_EFI_ACTION:
      if (recomputed && IsKnownAction(e.pcr, e.data)) ctx_.MarkRecomputed(e);
      if (e.data == kUefiDebugMode) {
        ctx_.Note(absl::StrCat(EventLabel(e),
                               ": a UEFI debugger was enabled during boot"));
      } else if (e.data == kDmaProtectionDisabled) {
        ctx_.Note(absl::StrCat(EventLabel(e),
                               ": the platform reports DMA protection as "
                               "disabled"));
      } else {
        ctx_.Note(absl::StrCat(EventLabel(e), ": action \"",
                               ToDisplayString(e.data), "\""));
      }
      return;
    default:
      return;
  }
}

void SecureBootDecoder::DecodeConfig(const ev::Event& e, bool recomputed) {
  auto& st = ctx_.state();
  auto var = ParseUefiVariableData(e.data);
  if (!var.ok()) {
    ctx_.Note(absl::StrCat(EventLabel(e), ": ", var.status().message()));
    return;
  }
  if (recomputed) ctx_.MarkRecomputed(e);
  const bool global = var->vendor_guid == kEfiGlobalVariableGuid;
  const bool image_db = var->vendor_guid == kImageSecurityDatabaseGuid;
  const bool first =
      ctx_.MeasuredOnce(absl::StrCat("the Secure Boot variable ", var->name,
                                     " (", var->vendor_guid, ")"),
                        e);
  if (!first) {
    // Every instance counts for SecureBoot (on only if every one says
    // so); for the databases the first is kept and the finding fails
    // the verdict.
    if (global && var->name == "SecureBoot" && !IsOn(var->data)) {
      st.set_secure_boot(false);
    }
    return;
  }
  if (separator_seen_) {
    ctx_.Note(absl::StrCat(EventLabel(e), ": ", var->name,
                           " measured after the PCR 7 separator"));
  }
  google::protobuf::RepeatedPtrField<SignatureEntry>* target = nullptr;
  if (global && var->name == "SecureBoot") {
    if (var->data.size() != 1 ||
        (var->data[0] != '\0' && var->data[0] != '\1')) {
      ctx_.Note(absl::StrCat(EventLabel(e), ": SecureBoot value ",
                             HexEncode(var->data),
                             " is not one byte 00 or 01; taken as off"));
    }
    st.set_secure_boot(IsOn(var->data));
    st.set_secure_boot_known(true);
    return;
  } else if (global && var->name == "PK") {
    target = st.mutable_pk();
  } else if (global && var->name == "KEK") {
    target = st.mutable_kek();
  } else if (image_db && var->name == "db") {
    target = st.mutable_db();
  } else if (image_db && var->name == "dbx") {
    target = st.mutable_dbx();
  } else {
    ctx_.Note(absl::StrCat(EventLabel(e), ": configuration variable ",
                           var->vendor_guid, ":", var->name, " (",
                           var->data.size(), " bytes)"));
    return;
  }
  std::vector<std::string> problems;
  auto entries = ParseSignatureLists(var->data, &problems);
  if (!entries.ok()) {
    ctx_.Note(absl::StrCat(EventLabel(e), ": ", var->name, ": ",
                           entries.status().message()));
    return;
  }
  for (const std::string& p : problems) {
    ctx_.Note(absl::StrCat(EventLabel(e), ": ", var->name, " ", p));
  }
  for (auto& entry : *entries) *target->Add() = std::move(entry);
}

void SecureBootDecoder::DecodeAuthority(const ev::Event& e, bool recomputed,
                                        bool off_by_one) {
  auto& st = ctx_.state();
  absl::string_view data = e.data;
  if (off_by_one && !data.empty()) data.remove_suffix(1);
  auto var = ParseUefiVariableData(data);
  if (!var.ok()) {
    ctx_.Note(absl::StrCat(EventLabel(e), ": ", var.status().message()));
    return;
  }
  const bool shim = var->vendor_guid == kShimLockGuid;
  const bool shim_state =
      shim && (var->name == "SbatLevel" || var->name == "MokSBState" ||
               var->name == "MokListTrusted" || var->name == "MokDBState");
  // Understood: shim's state variables, or one signature that decodes.
  bool bare = false;
  auto sig = shim_state ? absl::StatusOr<SignatureEntry>(SignatureEntry())
                        : ParseAuthoritySignature(var->data, &bare);
  if (recomputed && sig.ok()) ctx_.MarkRecomputed(e);
  if (shim && var->name == "SbatLevel") {
    std::string text = absl::StrReplaceAll(
        ToDisplayString(var->data.substr(0, kMaxNoteValue)), {{"\\x0a", " "}});
    while (!text.empty() && text.back() == ' ') text.pop_back();
    ctx_.Note(absl::StrCat("shim SbatLevel: ", text));
    return;
  }
  if (shim && (var->name == "MokSBState" || var->name == "MokListTrusted" ||
               var->name == "MokDBState")) {
    bool set = var->data.find_first_not_of('\0') != absl::string_view::npos;
    if (var->name == "MokSBState" && set) {
      ctx_.Note(absl::StrCat(EventLabel(e),
                             ": shim's MokSBState is set: shim does not "
                             "verify the images it loads"));
    } else {
      ctx_.Note(absl::StrCat("shim ", var->name, " = ",
                             HexEncode(var->data.substr(0, 16))));
    }
    return;
  }
  if (!sig.ok()) {
    ctx_.Note(absl::StrCat(EventLabel(e), ": authority ", var->name, ": ",
                           sig.status().message()));
    return;
  }
  if (bare) {
    ctx_.Note(absl::StrCat(EventLabel(e), ": authority ", var->name,
                           " is a bare certificate without its owner GUID "
                           "(shim before 15.3)"));
  }
  if (var->name == "dbx" || var->name == "MokListX") {
    ctx_.Note(absl::StrCat(EventLabel(e), ": authority from ", var->name,
                           " (a revoked signature matched)"));
  }
  *st.add_authorities() = std::move(*sig);
}

void SecureBootDecoder::Finish() {
  const auto& st = ctx_.state();
  if (st.secure_boot() && st.authorities_size() == 0) {
    ctx_.Note(
        "Secure Boot is enabled but no authority (EV_EFI_VARIABLE_AUTHORITY) "
        "was measured");
  }
}

}  // namespace vtpm::bootstate::internal
