// The boot rules: what the verified event log (BootState) must show.
#include <re2/re2.h>

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/eventlog/event_log.h"
#include "common/hex.h"
#include "common/tpm_alg.h"
#include "verifier/policy/firmware_version.h"
#include "verifier/policy/policy_rules.h"

namespace vtpm::verifier {
namespace {

namespace v1 = vtpm_attest::v1;
using v1::BootState;

// "event 23 (PCR 4, EV_EFI_BOOT_SERVICES_APPLICATION)".
std::string EventRef(uint32_t index, uint32_t pcr, uint32_t type) {
  return absl::StrCat("event ", index, " (PCR ", pcr, ", ",
                      eventlog::EventTypeName(type), ")");
}

std::string EventRef(const v1::EventSummary& e) {
  return EventRef(e.index(), e.pcr(), e.type());
}

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

bool Listed(const google::protobuf::RepeatedPtrField<std::string>& list,
            const std::string& digest) {
  return std::find(list.begin(), list.end(), digest) != list.end();
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

// Judges boot applications or drivers against an allowlist.
void CheckApplications(
    const google::protobuf::RepeatedPtrField<v1::BootApplication>& apps,
    const google::protobuf::RepeatedPtrField<std::string>& allowed,
    absl::string_view rule, absl::string_view what, RuleReasons& reasons) {
  if (allowed.empty()) return;
  for (const auto& app : apps) {
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
                                ", ", f.name(), ")")});
  }
  for (const auto& sec : s.uki_sections()) {
    if (sec.name() != uki_section) continue;
    out.push_back(
        {Sha256Of(sec.digests()), absl::StrCat("UKI section ", sec.name())});
  }
  return out;
}

}  // namespace

MeasuredKind ClassifyMeasuredFile(const v1::MeasuredFile& file) {
  std::string name = absl::AsciiStrToLower(file.name());
  size_t slash = name.find_last_of("/\\)");
  std::string base = slash == std::string::npos ? name : name.substr(slash + 1);
  if (absl::StrContains(base, "initrd") ||
      absl::StrContains(base, "initramfs")) {
    return MeasuredKind::kInitrd;
  }
  for (absl::string_view prefix : {"vmlinuz", "vmlinux", "bzimage", "kernel"}) {
    if (absl::StartsWith(base, prefix)) return MeasuredKind::kKernel;
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
  if (in.boot != nullptr || !PolicyNeedsEventLog(policy)) return;
  const auto& b = policy.boot();
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
}

void CheckSecureBootDb(const Policy& policy, const PolicyInput& in,
                       RuleReasons& reasons) {
  if (in.boot == nullptr) return;
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
}

void CheckSecureBootDbx(const Policy& policy, const PolicyInput& in,
                        RuleReasons& reasons) {
  if (in.boot == nullptr) return;
  const BootState& s = *in.boot;
  std::set<std::string> dbx = EntryDigests(s.dbx());
  for (const std::string& want : policy.boot().required_dbx()) {
    if (dbx.count(want) == 0) {
      reasons.Fail(v1::POLICY_SECURE_BOOT_DBX, "boot.requiredDbx",
                   absl::StrCat("dbx lacks revocation ", want,
                                VariableEventSuffix(s, "dbx")));
    }
  }
}

void CheckBootApplications(const Policy& policy, const PolicyInput& in,
                           RuleReasons& reasons) {
  if (in.boot == nullptr) return;
  CheckApplications(
      in.boot->boot_applications(), policy.boot().allowed_boot_applications(),
      "boot.allowedBootApplications", "boot application", reasons);
}

void CheckDrivers(const Policy& policy, const PolicyInput& in,
                  RuleReasons& reasons) {
  if (in.boot == nullptr) return;
  CheckApplications(in.boot->drivers(), policy.boot().allowed_drivers(),
                    "boot.allowedDrivers", "driver", reasons);
}

void CheckKernels(const Policy& policy, const PolicyInput& in,
                  RuleReasons& reasons) {
  if (in.boot == nullptr) return;
  CheckImages(MeasuredKernels(*in.boot), policy.boot().allowed_kernels(),
              "boot.allowedKernels", "kernel", reasons);
}

void CheckInitrds(const Policy& policy, const PolicyInput& in,
                  RuleReasons& reasons) {
  if (in.boot == nullptr) return;
  CheckImages(MeasuredInitrds(*in.boot), policy.boot().allowed_initrds(),
              "boot.allowedInitrds", "initrd", reasons);
}

void CheckKernelCmdline(const Policy& policy, const PolicyInput& in,
                        RuleReasons& reasons) {
  const auto& patterns = policy.boot().allowed_kernel_cmdlines();
  if (in.boot == nullptr || patterns.empty()) return;
  const std::string& cmdline = in.boot->kernel_cmdline();
  RE2::Options opts;
  opts.set_log_errors(false);
  for (const std::string& p : patterns) {
    RE2 re(p, opts);
    // ParsePolicy has compiled every pattern; one that fails here matches
    // nothing.
    if (re.ok() && RE2::FullMatch(cmdline, re)) return;
  }
  std::string where;
  if (!cmdline.empty()) {
    for (const auto& e : in.boot->events()) {
      if (absl::StrContains(e.description(), cmdline)) {
        where = absl::StrCat(" (", EventRef(e), ")");
        break;
      }
    }
  }
  reasons.Fail(
      v1::POLICY_KERNEL_CMDLINE, "boot.allowedKernelCmdlines",
      cmdline.empty()
          ? std::string("no kernel command line was measured (or it is "
                        "empty) and no pattern matches the empty string")
          : absl::StrCat("kernel command line '", cmdline, "'", where,
                         " matches none of the ", patterns.size(),
                         " patterns"));
}

void CheckKernelCmdlineSha256(const Policy& policy, const PolicyInput& in,
                              RuleReasons& reasons) {
  const auto& allowed = policy.boot().allowed_kernel_cmdline_sha256();
  if (in.boot == nullptr || allowed.empty()) return;
  // The digest the log carries (UKI), or that of the measured text.
  std::string got = in.boot->kernel_cmdline_sha256();
  bool from_text = got.empty();
  if (from_text) {
    auto h = vtpm::Hash(TPM2_ALG_SHA256, in.boot->kernel_cmdline());
    if (!h.ok()) return;
    got = HexEncode(*h);
  }
  if (std::find(allowed.begin(), allowed.end(), got) != allowed.end()) return;
  reasons.Fail(
      v1::POLICY_KERNEL_CMDLINE, "boot.allowedKernelCmdlineSha256",
      absl::StrCat("kernel command line ",
                   from_text ? absl::StrCat("'", in.boot->kernel_cmdline(),
                                            "' (sha256 ", got, ")")
                             : absl::StrCat("measured as sha256 ", got),
                   " is not among the ", allowed.size(), " allowed"));
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
  if (in.boot == nullptr || !in.boot->has_windows()) return;
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
