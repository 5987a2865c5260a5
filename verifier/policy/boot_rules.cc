// The boot rules: what the verified event log (BootState) must show.
#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/bootstate/accounting.h"
#include "common/bootstate/measured_file.h"
#include "common/eventlog/event_log.h"
#include "common/hex.h"
#include "common/tpm_alg.h"
#include "verifier/policy/boot_rules_internal.h"
#include "verifier/policy/firmware_version.h"
#include "verifier/policy/policy_rules.h"

namespace vtpm::verifier {
namespace {

namespace v1 = vtpm_attest::v1;
using internal::Account;
using internal::EventRef;
using internal::Listed;
using v1::BootState;

}  // namespace

namespace internal {

std::string EventRef(uint32_t index, uint32_t pcr, uint32_t type) {
  return absl::StrCat("event ", index, " (PCR ", pcr, ", ",
                      eventlog::EventTypeName(type), ")");
}

std::string EventRef(const v1::EventSummary& e) {
  return EventRef(e.index(), e.pcr(), e.type());
}

bool Listed(const google::protobuf::RepeatedPtrField<std::string>& list,
            const std::string& digest) {
  return std::find(list.begin(), list.end(), digest) != list.end();
}

namespace {

// The event with log index `index`, or nullptr.
const v1::EventSummary* EventAt(const BootState& s, uint32_t index) {
  for (const auto& e : s.events()) {
    if (e.index() == index) return &e;
  }
  return nullptr;
}

}  // namespace

// "event 39 (PCR 8, EV_IPL)", or "event 39 (PCR 8)" when the state does
// not carry the event.
std::string EventRefAt(const BootState& s, uint32_t index, uint32_t pcr) {
  const v1::EventSummary* e = EventAt(s, index);
  return e != nullptr ? EventRef(*e)
                      : absl::StrCat("event ", index, " (PCR ", pcr, ")");
}

// Every verified event of `scope.pcrs` that the rule does not account for
// (bootstate/accounting.h) is an EVENTLOG_UNCLASSIFIED_EVENT reason of
// `rule`; `allowlist` names the list that could have allowed it.
void Account(const BootState& s, const bootstate::AccountingScope& scope,
             absl::string_view rule, absl::string_view allowlist,
             RuleReasons& reasons) {
  for (const bootstate::UnaccountedEvent& u :
       bootstate::UnaccountedEvents(s, scope)) {
    if (u.event == nullptr) {
      reasons.Fail(v1::EVENTLOG_UNCLASSIFIED_EVENT, rule,
                   absl::StrCat(u.label,
                                " is verified but the boot state carries "
                                "none of its events, so they cannot be "
                                "accounted for"));
      continue;
    }
    reasons.Fail(
        v1::EVENTLOG_UNCLASSIFIED_EVENT, rule,
        absl::StrCat(
            u.label, " \"", u.event->description(),
            "\": its digest is not recomputed from data the verifier "
            "understands",
            allowlist.empty() ? std::string()
                              : absl::StrCat(" and is not in ", allowlist),
            "; event types and data are not measured, so this extend can "
            "be anything"));
  }
}

}  // namespace internal

namespace {

// The PCR 7 EV_EFI_VARIABLE_DRIVER_CONFIG event whose decoded description
// names the variable `name` as a whole word ("db" does not match "dbx").
const v1::EventSummary* FindVariableEvent(const BootState& s,
                                          absl::string_view name) {
  for (const auto& e : s.events()) {
    if (e.pcr() != 7 || e.type() != eventlog::EV_EFI_VARIABLE_DRIVER_CONFIG) {
      continue;
    }
    for (absl::string_view word :
         absl::StrSplit(e.description(), absl::ByAnyChar(" \t:=,;()[]{}'\""),
                        absl::SkipEmpty())) {
      if (word == name) return &e;
    }
  }
  return nullptr;
}

// ", measured by event 6 (PCR 7, EV_EFI_VARIABLE_DRIVER_CONFIG)" or "".
std::string VariableEventSuffix(const BootState& s, absl::string_view name) {
  const v1::EventSummary* e = FindVariableEvent(s, name);
  return e == nullptr ? std::string()
                      : absl::StrCat(" (", name, ": ", EventRef(*e), ")");
}

std::string Sha256Of(const google::protobuf::Map<std::string, std::string>& d) {
  auto it = d.find("sha256");
  return it == d.end() ? std::string() : absl::AsciiStrToLower(it->second);
}

// Entries of a signature database by their sha256.
std::set<std::string> EntryDigests(
    const google::protobuf::RepeatedPtrField<v1::SignatureEntry>& db) {
  std::set<std::string> out;
  for (const auto& e : db) out.insert(absl::AsciiStrToLower(e.sha256()));
  return out;
}

std::string EntryText(const v1::SignatureEntry& e) {
  std::string out = absl::AsciiStrToLower(e.sha256());
  if (!e.subject().empty()) absl::StrAppend(&out, " (", e.subject(), ")");
  return out;
}

std::set<std::string> DigestSet(
    const google::protobuf::RepeatedPtrField<std::string>& list) {
  std::set<std::string> out;
  for (const auto& d : list) out.insert(absl::AsciiStrToLower(d));
  return out;
}

// Judges boot applications or drivers against an allowlist, then accounts
// for every other verified event of `pcr`.
void CheckApplications(
    const BootState& s,
    const google::protobuf::RepeatedPtrField<v1::BootApplication>& apps,
    const google::protobuf::RepeatedPtrField<std::string>& allowed,
    uint32_t pcr, absl::string_view rule, absl::string_view what,
    RuleReasons& reasons) {
  if (allowed.empty()) return;
  bootstate::AccountingScope scope;
  scope.pcrs = {pcr};
  scope.allowed_sha256 = DigestSet(allowed);
  for (const auto& app : apps) {
    scope.judged_events.insert(app.event_index());
    std::string where =
        EventRef(app.event_index(), app.pcr(), app.event_type());
    if (!app.device_path().empty()) {
      absl::StrAppend(&where, " ", app.device_path());
    }
    std::string digest = Sha256Of(app.digests());
    if (digest.empty()) {
      reasons.Fail(
          v1::POLICY_BOOT_APPLICATION, rule,
          absl::StrCat(what, " ", where, " has no sha256 digest to judge"));
    } else if (!Listed(allowed, digest)) {
      reasons.Fail(v1::POLICY_BOOT_APPLICATION, rule,
                   absl::StrCat(what, " ", where, " sha256 ", digest,
                                " is not allowed"));
    }
  }
  Account(s, scope, rule, rule, reasons);
}

void CheckImages(const std::vector<BootImage>& images,
                 const google::protobuf::RepeatedPtrField<std::string>& allowed,
                 absl::string_view rule, absl::string_view what,
                 RuleReasons& reasons) {
  if (allowed.empty()) return;
  if (images.empty()) {
    reasons.Fail(v1::POLICY_INITRD, rule,
                 absl::StrCat("no ", what,
                              " was measured (PCR 8/9 or UKI section), so "
                              "none can be judged"));
    return;
  }
  for (const BootImage& img : images) {
    if (img.sha256.empty()) {
      reasons.Fail(
          v1::POLICY_INITRD, rule,
          absl::StrCat(what, " ", img.where, " has no sha256 digest to judge"));
    } else if (!Listed(allowed, img.sha256)) {
      reasons.Fail(v1::POLICY_INITRD, rule,
                   absl::StrCat(what, " ", img.where, " sha256 ", img.sha256,
                                " is not allowed"));
    }
  }
}

std::vector<BootImage> Images(const BootState& s, MeasuredKind kind,
                              absl::string_view uki_section) {
  std::vector<BootImage> out;
  for (const auto& f : s.kernel_and_initrd()) {
    if (ClassifyMeasuredFile(f) != kind) continue;
    out.push_back({Sha256Of(f.digests()),
                   absl::StrCat("event ", f.event_index(), " (PCR ", f.pcr(),
                                ", ", f.name(), ")"),
                   f.event_index()});
  }
  for (const auto& sec : s.uki_sections()) {
    if (sec.name() != uki_section) continue;
    out.push_back({Sha256Of(sec.digests()),
                   absl::StrCat("UKI section ", sec.name(), " (event ",
                                sec.event_index(), ")"),
                   sec.event_index()});
  }
  return out;
}

constexpr char kFileRules[] =
    "boot.allowedKernels, boot.allowedInitrds, boot.allowedBootFiles";

// When allowedKernels or allowedInitrds is set: every verified event of
// the PCRs files are measured into (GRUB 8/9, systemd-stub 12/13, UKI
// sections 11) is recomputed, a judged kernel/initrd, a UKI section, or
// has its digest in allowedKernels, allowedInitrds or allowedBootFiles:
// the names that say "kernel" or "initrd" are not measured.
void AccountFiles(const Policy& policy, const BootState& s,
                  RuleReasons& reasons) {
  const auto& b = policy.boot();
  bootstate::AccountingScope scope;
  scope.pcrs = {8, 9, 11, 12, 13};
  for (const auto* list :
       {&b.allowed_kernels(), &b.allowed_initrds(), &b.allowed_boot_files()}) {
    std::set<std::string> digests = DigestSet(*list);
    scope.allowed_sha256.insert(digests.begin(), digests.end());
  }
  if (!b.allowed_kernels().empty()) {
    for (const BootImage& img : MeasuredKernels(s)) {
      scope.judged_events.insert(img.event_index);
    }
  }
  if (!b.allowed_initrds().empty()) {
    for (const BootImage& img : MeasuredInitrds(s)) {
      scope.judged_events.insert(img.event_index);
    }
  }
  Account(s, scope, kFileRules, kFileRules, reasons);
}

// The Secure Boot rules judge PCR 7's variables, so every PCR 7 event
// must be one the verifier understands (recomputed): a variable retyped
// as something else must not drop out of db or SecureBoot. Run once, by
// the first Secure Boot rule the policy sets.
void AccountSecureBoot(const BootState& s, absl::string_view rule,
                       RuleReasons& reasons) {
  bootstate::AccountingScope scope;
  scope.pcrs = {7};
  Account(s, scope, rule, "", reasons);
}

bool HasDbRules(const Policy& p) {
  return !p.boot().required_db().empty() || !p.boot().forbidden_db().empty();
}

}  // namespace

MeasuredKind ClassifyMeasuredFile(const v1::MeasuredFile& file) {
  switch (bootstate::ClassifyFileName(file.name())) {
    case bootstate::FileKind::kKernel:
      return MeasuredKind::kKernel;
    case bootstate::FileKind::kInitrd:
      return MeasuredKind::kInitrd;
    case bootstate::FileKind::kOther:
      break;
  }
  return MeasuredKind::kOther;
}

std::vector<BootImage> MeasuredKernels(const BootState& s) {
  return Images(s, MeasuredKind::kKernel, ".linux");
}

std::vector<BootImage> MeasuredInitrds(const BootState& s) {
  return Images(s, MeasuredKind::kInitrd, ".initrd");
}

void CheckEventLogPresent(const Policy& policy, const PolicyInput& in,
                          RuleReasons& reasons) {
  const auto& b = policy.boot();
  // allowedKernelCmdlineSha256 needs the log too, whatever
  // PolicyNeedsEventLog says: without one it would judge nothing.
  if (in.boot != nullptr || (!PolicyNeedsEventLog(policy) &&
                             b.allowed_kernel_cmdline_sha256().empty())) {
    return;
  }
  if (b.require_event_log()) {
    reasons.Fail(v1::EVENTLOG_MISSING, "boot.requireEventLog",
                 "no verified event log");
    return;
  }
  std::vector<std::string> fields;
  auto note = [&](bool set, const char* field) {
    if (set) fields.push_back(field);
  };
  note(b.require_secure_boot(), "boot.requireSecureBoot");
  note(!b.required_db().empty(), "boot.requiredDb");
  note(!b.forbidden_db().empty(), "boot.forbiddenDb");
  note(!b.required_dbx().empty(), "boot.requiredDbx");
  note(!b.allowed_boot_applications().empty(), "boot.allowedBootApplications");
  note(!b.allowed_drivers().empty(), "boot.allowedDrivers");
  note(!b.allowed_kernels().empty(), "boot.allowedKernels");
  note(!b.allowed_initrds().empty(), "boot.allowedInitrds");
  note(!b.allowed_kernel_cmdlines().empty(), "boot.allowedKernelCmdlines");
  note(!b.allowed_kernel_cmdline_sha256().empty(),
       "boot.allowedKernelCmdlineSha256");
  note(!b.minimum_firmware_version().empty(), "boot.minimumFirmwareVersion");
  note(b.forbid_windows_test_signing(), "boot.forbidWindowsTestSigning");
  note(b.forbid_windows_debugging(), "boot.forbidWindowsDebugging");
  reasons.Fail(v1::EVENTLOG_MISSING, absl::StrJoin(fields, ", "),
               "needs the event log, and there is no verified one");
}

void CheckQuirks(const Policy& policy, const PolicyInput& in,
                 RuleReasons& reasons) {
  if (in.boot == nullptr) return;
  for (const std::string& q : in.boot->quirks_used()) {
    if (!Listed(policy.allowed_quirks(), q)) {
      reasons.Fail(v1::POLICY_QUIRK, "allowedQuirks",
                   absl::StrCat("the event log needs quirk '", q,
                                "', which the policy does not allow"));
    }
  }
}

void CheckSecureBoot(const Policy& policy, const PolicyInput& in,
                     RuleReasons& reasons) {
  if (in.boot == nullptr || !policy.boot().require_secure_boot()) return;
  const BootState& s = *in.boot;
  if (!s.secure_boot_known()) {
    reasons.Fail(v1::POLICY_SECURE_BOOT, "boot.requireSecureBoot",
                 "the SecureBoot variable was not measured in PCR 7");
  } else if (!s.secure_boot()) {
    reasons.Fail(v1::POLICY_SECURE_BOOT, "boot.requireSecureBoot",
                 absl::StrCat("Secure Boot is off",
                              VariableEventSuffix(s, "SecureBoot")));
  }
  AccountSecureBoot(s, "boot.requireSecureBoot", reasons);
}

void CheckSecureBootDb(const Policy& policy, const PolicyInput& in,
                       RuleReasons& reasons) {
  if (in.boot == nullptr || !HasDbRules(policy)) return;
  const BootState& s = *in.boot;
  std::set<std::string> db = EntryDigests(s.db());
  for (const std::string& want : policy.boot().required_db()) {
    if (db.count(want) == 0) {
      reasons.Fail(
          v1::POLICY_SECURE_BOOT_DB, "boot.requiredDb",
          absl::StrCat("db has no entry ", want, VariableEventSuffix(s, "db")));
    }
  }
  for (const auto& entry : s.db()) {
    if (Listed(policy.boot().forbidden_db(),
               absl::AsciiStrToLower(entry.sha256()))) {
      reasons.Fail(v1::POLICY_SECURE_BOOT_DB, "boot.forbiddenDb",
                   absl::StrCat("db holds forbidden entry ", EntryText(entry),
                                VariableEventSuffix(s, "db")));
    }
  }
  if (!policy.boot().require_secure_boot()) {
    AccountSecureBoot(s, "boot.requiredDb, boot.forbiddenDb", reasons);
  }
}

void CheckSecureBootDbx(const Policy& policy, const PolicyInput& in,
                        RuleReasons& reasons) {
  if (in.boot == nullptr || policy.boot().required_dbx().empty()) return;
  const BootState& s = *in.boot;
  std::set<std::string> dbx = EntryDigests(s.dbx());
  for (const std::string& want : policy.boot().required_dbx()) {
    if (dbx.count(want) == 0) {
      reasons.Fail(v1::POLICY_SECURE_BOOT_DBX, "boot.requiredDbx",
                   absl::StrCat("dbx lacks revocation ", want,
                                VariableEventSuffix(s, "dbx")));
    }
  }
  if (!policy.boot().require_secure_boot() && !HasDbRules(policy)) {
    AccountSecureBoot(s, "boot.requiredDbx", reasons);
  }
}

void CheckBootApplications(const Policy& policy, const PolicyInput& in,
                           RuleReasons& reasons) {
  if (in.boot == nullptr) return;
  CheckApplications(*in.boot, in.boot->boot_applications(),
                    policy.boot().allowed_boot_applications(), 4,
                    "boot.allowedBootApplications", "boot application",
                    reasons);
}

void CheckDrivers(const Policy& policy, const PolicyInput& in,
                  RuleReasons& reasons) {
  if (in.boot == nullptr) return;
  CheckApplications(*in.boot, in.boot->drivers(),
                    policy.boot().allowed_drivers(), 2, "boot.allowedDrivers",
                    "driver", reasons);
}

void CheckKernels(const Policy& policy, const PolicyInput& in,
                  RuleReasons& reasons) {
  if (in.boot == nullptr) return;
  CheckImages(MeasuredKernels(*in.boot), policy.boot().allowed_kernels(),
              "boot.allowedKernels", "kernel", reasons);
  if (!policy.boot().allowed_kernels().empty()) {
    AccountFiles(policy, *in.boot, reasons);
  }
}

void CheckInitrds(const Policy& policy, const PolicyInput& in,
                  RuleReasons& reasons) {
  if (in.boot == nullptr) return;
  CheckImages(MeasuredInitrds(*in.boot), policy.boot().allowed_initrds(),
              "boot.allowedInitrds", "initrd", reasons);
  if (policy.boot().allowed_kernels().empty() &&
      !policy.boot().allowed_initrds().empty()) {
    AccountFiles(policy, *in.boot, reasons);
  }
}

void CheckFirmwareVersion(const Policy& policy, const PolicyInput& in,
                          RuleReasons& reasons) {
  const std::string& minimum = policy.boot().minimum_firmware_version();
  if (in.boot == nullptr || minimum.empty()) return;
  std::string where;
  for (const auto& e : in.boot->events()) {
    if (e.type() == eventlog::EV_S_CRTM_VERSION) {
      where = absl::StrCat(" (", EventRef(e), ")");
      break;
    }
  }
  const std::string& seen = in.boot->firmware_version();
  auto want = ParseFirmwareVersion(minimum);
  auto got = ParseFirmwareVersion(seen);
  if (!want.ok()) {  // ParsePolicy rejects this; fail closed regardless.
    reasons.Fail(v1::POLICY_FIRMWARE_VERSION, "boot.minimumFirmwareVersion",
                 std::string(want.status().message()));
  } else if (!got.ok()) {
    reasons.Fail(
        v1::POLICY_FIRMWARE_VERSION, "boot.minimumFirmwareVersion",
        absl::StrCat("firmware version '", seen, "'", where,
                     " has no version number to compare with ", minimum));
  } else if (CompareFirmwareVersions(*got, *want) < 0) {
    reasons.Fail(v1::POLICY_FIRMWARE_VERSION, "boot.minimumFirmwareVersion",
                 absl::StrCat("firmware version '", seen, "'", where,
                              " is older than ", minimum));
  }
}

void CheckWindows(const Policy& policy, const PolicyInput& in,
                  RuleReasons& reasons) {
  const auto& b = policy.boot();
  if (in.boot == nullptr ||
      (!b.forbid_windows_test_signing() && !b.forbid_windows_debugging())) {
    return;
  }
  // Windows Boot Manager's SIPA containers hash to their own data: every
  // PCR 12-14 event must be one the verifier read, or a container retyped
  // to something else would take its flags with it (and make the boot
  // look like no Windows boot at all).
  bootstate::AccountingScope scope;
  scope.pcrs = {12, 13, 14};
  Account(*in.boot, scope,
          b.forbid_windows_test_signing() ? "boot.forbidWindowsTestSigning"
                                          : "boot.forbidWindowsDebugging",
          "", reasons);
  if (!in.boot->has_windows()) return;
  const v1::WindowsBootState& w = in.boot->windows();
  if (policy.boot().forbid_windows_test_signing() && w.test_signing()) {
    reasons.Fail(v1::POLICY_WINDOWS, "boot.forbidWindowsTestSigning",
                 "the Windows boot log (SIPA, PCR 12-14) shows test signing "
                 "enabled");
  }
  if (policy.boot().forbid_windows_debugging()) {
    std::vector<std::string> on;
    if (w.debugging()) on.push_back("debugging");
    if (w.boot_debugging()) on.push_back("boot debugging");
    if (w.kernel_debugging()) on.push_back("kernel debugging");
    if (!on.empty()) {
      reasons.Fail(v1::POLICY_WINDOWS, "boot.forbidWindowsDebugging",
                   absl::StrCat("the Windows boot log (SIPA, PCR 12-14) "
                                "shows ",
                                absl::StrJoin(on, ", "), " enabled"));
    }
  }
}

}  // namespace vtpm::verifier
