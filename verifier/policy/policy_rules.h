// The rules EvaluatePolicy runs, one small function each, and the table
// that fixes their order. Every rule reads only the policy fields it is
// named after and adds one Reason per thing that breaks it; a rule whose
// fields are unset adds nothing.
#ifndef VTPM_VERIFIER_POLICY_POLICY_RULES_H_
#define VTPM_VERIFIER_POLICY_POLICY_RULES_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "verifier/policy/policy.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::verifier {

// Collects failed rules as Verdict reasons with the message
// "policy NAME: RULE: MESSAGE".
class RuleReasons {
 public:
  RuleReasons(const Policy& policy, std::vector<vtpm_attest::v1::Reason>* out)
      : policy_name_(policy.name()), out_(out) {}
  void Fail(vtpm_attest::v1::ReasonCode code, absl::string_view rule,
            absl::string_view message);

 private:
  std::string policy_name_;
  std::vector<vtpm_attest::v1::Reason>* out_;
};

using RuleFn = void (*)(const Policy&, const PolicyInput&, RuleReasons&);

struct PolicyRule {
  const char* field;  // JSON field(s) the rule judges, e.g. "pinnedEks"
  RuleFn check;
};

// The rules in evaluation order: who the TPM is (family, model,
// manufacturer, pinned EK), how fresh and in which banks the evidence is,
// golden PCR values, then the boot rules from the event log (log present,
// quirks, Secure Boot and its databases, boot applications, drivers,
// kernels, initrds, command line, firmware version, Windows).
const std::vector<PolicyRule>& PolicyRules();

// --- Rules on the TPM and the evidence (policy_rules.cc) ---------------

// Every rule below reads PolicyInput's verified part only, unless its
// comment says it judges what the guest reports.
//
// tpmFamily: the verified quote shows this family ("2.0")
// (POLICY_TPM_FAMILY); fails without a verified quote.
void CheckTpmFamily(const Policy&, const PolicyInput&, RuleReasons&);
// allowedTpmModels: "MANUFACTURER:MODEL" or "MANUFACTURER" of the verified
// EK certificate's TPM SAN matches (POLICY_TPM_MODEL); fails without a
// verified EK certificate.
void CheckTpmModel(const Policy&, const PolicyInput&, RuleReasons&);
// allowedTpmManufacturers: the verified EK certificate's manufacturer
// (VerifiedTpm.manufacturer) is listed (POLICY_TPM_MANUFACTURER); fails
// without a verified EK certificate.
void CheckTpmManufacturer(const Policy&, const PolicyInput&, RuleReasons&);
// pinnedEks: if the VM UUID the guest reports is pinned, the proven EK
// fingerprint equals the pinned one; and a proven EK that is pinned to a
// VM UUID presents that UUID (POLICY_EK_PINNED). Unpinned UUIDs and EKs
// pass.
void CheckPinnedEk(const Policy&, const PolicyInput&, RuleReasons&);
// freshness.maxEvidenceAgeSeconds: evidence_age <= the limit
// (POLICY_EVIDENCE_AGE); an unknown (infinite) age fails.
void CheckFreshness(const Policy&, const PolicyInput&, RuleReasons&);
// acceptedBanks: every bank the evidence used is accepted (POLICY_BANK).
void CheckBanks(const Policy&, const PolicyInput&, RuleReasons&);
// pcrValues: each listed PCR was quoted with one of its allowed values
// (POLICY_PCR_MISMATCH).
void CheckPcrValues(const Policy&, const PolicyInput&, RuleReasons&);

// --- Boot rules on the verified event log (boot_rules.cc) ---------------

// boot.requireEventLog (or any rule that needs the log, see
// PolicyNeedsEventLog): a BootState is present (EVENTLOG_MISSING). Every
// later boot rule is skipped without a BootState.
void CheckEventLogPresent(const Policy&, const PolicyInput&, RuleReasons&);
// allowedQuirks: every quirk the log needed is allowed (POLICY_QUIRK).
void CheckQuirks(const Policy&, const PolicyInput&, RuleReasons&);
// boot.requireSecureBoot: the SecureBoot variable was measured as 1
// (POLICY_SECURE_BOOT).
void CheckSecureBoot(const Policy&, const PolicyInput&, RuleReasons&);
// boot.requiredDb / boot.forbiddenDb: db holds every required and no
// forbidden entry (SHA-256 of certificate DER or the hash itself)
// (POLICY_SECURE_BOOT_DB).
void CheckSecureBootDb(const Policy&, const PolicyInput&, RuleReasons&);
// boot.requiredDbx: dbx holds every listed revocation
// (POLICY_SECURE_BOOT_DBX).
void CheckSecureBootDbx(const Policy&, const PolicyInput&, RuleReasons&);
// boot.allowedBootApplications: every PCR 4 application's sha256
// Authenticode digest is listed (POLICY_BOOT_APPLICATION).
void CheckBootApplications(const Policy&, const PolicyInput&, RuleReasons&);
// boot.allowedDrivers: every PCR 2 driver / option ROM digest is listed
// (POLICY_BOOT_APPLICATION).
void CheckDrivers(const Policy&, const PolicyInput&, RuleReasons&);
// boot.allowedKernels: at least one kernel was measured and every kernel
// digest is listed (POLICY_INITRD, message says "kernel"). Kernels are
// PCR 8/9 measurements ClassifyMeasuredFile calls kernels and UKI ".linux"
// sections.
void CheckKernels(const Policy&, const PolicyInput&, RuleReasons&);
// boot.allowedInitrds: likewise for initrds (PCR 8/9 files and UKI
// ".initrd" sections) (POLICY_INITRD).
void CheckInitrds(const Policy&, const PolicyInput&, RuleReasons&);
// boot.allowedKernelCmdlines: BootState.kernel_cmdline fully matches one
// RE2 pattern (POLICY_KERNEL_CMDLINE).
void CheckKernelCmdline(const Policy&, const PolicyInput&, RuleReasons&);
// boot.allowedKernelCmdlineSha256: the command line's SHA-256 (the digest a
// UKI logs, or the hash of the measured text) is listed
// (POLICY_KERNEL_CMDLINE).
void CheckKernelCmdlineSha256(const Policy&, const PolicyInput&, RuleReasons&);
// boot.minimumFirmwareVersion: BootState.firmware_version compares >= the
// minimum (firmware_version.h) (POLICY_FIRMWARE_VERSION). A version
// without numbers fails.
void CheckFirmwareVersion(const Policy&, const PolicyInput&, RuleReasons&);
// boot.forbidWindowsTestSigning / forbidWindowsDebugging: the Windows boot
// log shows neither (POLICY_WINDOWS). Non-Windows boots pass.
void CheckWindows(const Policy&, const PolicyInput&, RuleReasons&);

// What a PCR 8/9 measurement is, by the last path component of its name
// (lower-cased): "initrd"/"initramfs" anywhere -> initrd ("/initrd.img",
// "Linux initrd"); starting with "vmlinuz", "vmlinux", "bzimage" or
// "kernel" -> kernel ("/vmlinuz-6.1.0-27-amd64"); anything else (grub.cfg,
// "LOADED_IMAGE::LoadOptions", modules) -> other.
enum class MeasuredKind { kKernel, kInitrd, kOther };
MeasuredKind ClassifyMeasuredFile(const vtpm_attest::v1::MeasuredFile& file);

// A kernel or initrd measurement, from a PCR 8/9 file or a UKI section.
struct BootImage {
  std::string sha256;  // hex, empty if the log has no sha256 digest
  std::string where;   // "event 37 (PCR 9, /vmlinuz)" or "UKI section .linux"
};
std::vector<BootImage> MeasuredKernels(const vtpm_attest::v1::BootState& s);
std::vector<BootImage> MeasuredInitrds(const vtpm_attest::v1::BootState& s);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_POLICY_POLICY_RULES_H_
