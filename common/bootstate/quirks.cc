#include "common/bootstate/quirks.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/bootstate/action_strings.h"
#include "common/bootstate/digest_check.h"
#include "common/bootstate/guid.h"

namespace vtpm::bootstate {
namespace {

namespace ev = ::vtpm::eventlog;

constexpr Quirk kQuirks[] = {
    {kQuirkQemuDirectKernelBoot,
     "QEMU's direct kernel boot (qemu -kernel/-initrd/-append, OVMF's "
     "QemuKernelLoaderFsDxe) loads the kernel from a virtual file system "
     "before the boot manager runs a Boot#### option, so its image load is "
     "measured in PCR 4 without a preceding EV_EFI_ACTION \"Calling EFI "
     "Application from Boot Option\". QEMU also patches the kernel's setup "
     "header (initrd address and size), so the PCR 4 digest is not the "
     "Authenticode hash of the kernel file and changes with the initrd.",
     "A PCR 4 EV_EFI_BOOT_SERVICES_APPLICATION whose device path starts "
     "with VenMedia(1428f772-b64a-441e-b8c3-9ebdd7f893c7) (QEMU's kernel "
     "loader file system).",
     "The kernel is listed as a boot application like any other; only its "
     "digest cannot be predicted from the kernel file."},
    {kQuirkShimOffByOne,
     "shim 15 and earlier logged one byte more in the "
     "EV_EFI_VARIABLE_AUTHORITY events of its Secure Boot verification "
     "(PCR 7) than it measured, so the event data does not hash to the "
     "digest (go-attestation #157, rhboot/shim #184; fixed on shim's main "
     "branch in February 2020 by commit 8a27a48 of rhboot/shim #178).",
     "A PCR 7 EV_EFI_VARIABLE_AUTHORITY whose data does not hash to its "
     "digest while the data without its last byte does, in every bank.",
     "The digest is accepted as covering the data without its last byte; "
     "that byte is ignored when decoding the authority."},
    {kQuirkLogBeforeExitBootServices,
     "A log read before ExitBootServices (e.g. by a UEFI application, or "
     "a firmware log area copied early) has no record of the firmware "
     "handing over to the OS, so later PCR 5 extends are not covered.",
     "PCR 5 is verified but has no EV_EFI_ACTION \"Exit Boot Services "
     "Invocation\".",
     "The boot state is extracted from what the log has."},
    {kQuirkEmptyLog,
     "A platform whose firmware measured nothing (no measured boot, or a "
     "vTPM without firmware support) still hands over a log with only its "
     "header.",
     "The log has no event other than EV_NO_ACTION.",
     "An empty boot state is accepted; nothing about the boot is known."},
};

}  // namespace

absl::Span<const Quirk> AllQuirks() { return kQuirks; }

const Quirk* FindQuirk(absl::string_view name) {
  for (const Quirk& q : kQuirks) {
    if (name == q.name) return &q;
  }
  return nullptr;
}

bool IsQemuDirectKernelBoot(const ev::Event& e,
                            absl::string_view device_path_text) {
  return e.pcr == 4 && e.type == ev::EV_EFI_BOOT_SERVICES_APPLICATION &&
         absl::StartsWith(
             device_path_text,
             absl::StrCat("VenMedia(", kQemuKernelLoaderFsMediaGuid));
}

bool IsShimOffByOne(const ev::Event& e) {
  if (e.pcr != 7 || e.type != ev::EV_EFI_VARIABLE_AUTHORITY || e.data.empty()) {
    return false;
  }
  if (CompareDigests(e, {e.data}).match) return false;
  DigestComparison shorter =
      CompareDigests(e, {e.data.substr(0, e.data.size() - 1)});
  // Vacuous matches (no supported bank) do not count.
  return shorter.match && shorter.skipped_banks.size() < e.digests.size();
}

std::vector<QuirkHit> DetectLogQuirks(
    const std::vector<const ev::Event*>& events,
    const std::vector<ev::Event>& all_events, bool pcr5_verified) {
  std::vector<QuirkHit> hits;
  bool any_measured = false;
  for (const ev::Event& e : all_events) {
    if (e.type != ev::EV_NO_ACTION) {
      any_measured = true;
      break;
    }
  }
  if (!any_measured) {
    hits.push_back({kQuirkEmptyLog, std::nullopt,
                    absl::StrCat("the log has ", all_events.size(),
                                 " events and none is measured")});
    return hits;
  }
  if (pcr5_verified) {
    bool exit_boot_services = false;
    for (const ev::Event* e : events) {
      if (e->pcr == 5 && e->type == ev::EV_EFI_ACTION &&
          e->data == kExitBootServicesInvocation) {
        exit_boot_services = true;
      }
    }
    if (!exit_boot_services) {
      hits.push_back({kQuirkLogBeforeExitBootServices, std::nullopt,
                      "PCR 5 has no EV_EFI_ACTION \"Exit Boot Services "
                      "Invocation\""});
    }
  }
  return hits;
}

}  // namespace vtpm::bootstate
