// The rules EvaluatePolicy runs, one small function each, and the table
// that fixes their order. Every rule reads only the policy fields it is
// named after and adds one Reason per thing that breaks it; a rule whose
// fields are unset adds nothing.
#ifndef VTPM_VERIFIER_POLICY_POLICY_RULES_H_
#define VTPM_VERIFIER_POLICY_POLICY_RULES_H_

#include <cstdint>
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
// (POLICY_TPM_FAMILY); skipped without a verified quote (offline checks:
// the server always has one).
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

// --- Boot rules on the verified event log (boot_rules.cc,
// boot_cmdline_rules.cc) ----------------------------------------------------
//
// Event types and event data are not measured, only digests are. So an
// allowlist rule accounts for every extend into the PCRs it judges: besides
// judging what the log decodes (applications, kernels, command lines), it
// walks every verified event of its PCRs (BootState.events) and accepts an
// event only when its digest was recomputed from data the verifier
// understands (EventSummary.digest_basis RECOMPUTED), when its sha256 is in
// the rule's allowlist whatever its type, or when the rule judged it as a
// decoded object; anything else is EVENTLOG_UNCLASSIFIED_EVENT, naming the
// event (index, PCR, claimed type, sha256). A PCR of the rule that is
// verified but whose events the state does not carry fails the same way
// (common/bootstate/accounting.h). Rules judge every instance of what they
// judge, never the last one.

// boot.requireEventLog (or any rule that needs the log, see
// PolicyNeedsEventLog, and boot.allowedKernelCmdlineSha256): a BootState
// is present (EVENTLOG_MISSING). Every later boot rule is skipped without
// a BootState.
void CheckEventLogPresent(const Policy&, const PolicyInput&, RuleReasons&);
// allowedQuirks: every quirk the log needed is allowed (POLICY_QUIRK).
void CheckQuirks(const Policy&, const PolicyInput&, RuleReasons&);
// boot.requireSecureBoot: the SecureBoot variable was measured as 1
// (POLICY_SECURE_BOOT; BootState.secure_boot holds only if every measured
// instance is 1). With any Secure Boot rule (this, requiredDb, forbiddenDb,
// requiredDbx) every verified PCR 7 event must be RECOMPUTED
// (EVENTLOG_UNCLASSIFIED_EVENT), checked once by the first such rule.
void CheckSecureBoot(const Policy&, const PolicyInput&, RuleReasons&);
// boot.requiredDb / boot.forbiddenDb: db holds every required and no
// forbidden entry (SHA-256 of certificate DER or the hash itself)
// (POLICY_SECURE_BOOT_DB).
void CheckSecureBootDb(const Policy&, const PolicyInput&, RuleReasons&);
// boot.requiredDbx: dbx holds every listed revocation
// (POLICY_SECURE_BOOT_DBX).
void CheckSecureBootDbx(const Policy&, const PolicyInput&, RuleReasons&);
// boot.allowedBootApplications: every decoded boot application's sha256
// Authenticode digest is listed (POLICY_BOOT_APPLICATION), and every other
// verified PCR 4 event is RECOMPUTED or has a listed digest
// (EVENTLOG_UNCLASSIFIED_EVENT).
void CheckBootApplications(const Policy&, const PolicyInput&, RuleReasons&);
// boot.allowedDrivers: likewise for PCR 2 drivers / option ROMs
// (POLICY_BOOT_APPLICATION, EVENTLOG_UNCLASSIFIED_EVENT).
void CheckDrivers(const Policy&, const PolicyInput&, RuleReasons&);
// boot.allowedKernels: at least one kernel was measured and every kernel
// digest is listed (POLICY_INITRD, message says "kernel"). Kernels are
// PCR 8/9 measurements ClassifyMeasuredFile calls kernels and UKI ".linux"
// sections. With allowedKernels or allowedInitrds set, every verified
// event of PCRs 8, 9, 11, 12 and 13 must be RECOMPUTED, a judged kernel or
// initrd, a UKI section's data event, or have its digest in allowedKernels
// ∪ allowedInitrds ∪ allowedBootFiles (EVENTLOG_UNCLASSIFIED_EVENT): file
// names are not measured. Checked once (here, or by CheckInitrds when only
// allowedInitrds is set).
void CheckKernels(const Policy&, const PolicyInput&, RuleReasons&);
// boot.allowedInitrds: likewise for initrds (PCR 8/9 files and UKI
// ".initrd" sections) (POLICY_INITRD).
void CheckInitrds(const Policy&, const PolicyInput&, RuleReasons&);
// boot.allowedKernelCmdlines: every kernel command line with text
// (BootState.kernel_cmdlines) fully matches one RE2 pattern; one measured
// only as a digest fails unless allowedKernelCmdlineSha256 judges it; no
// command line at all is judged as "" (POLICY_KERNEL_CMDLINE, naming the
// instance's own event). With either command-line rule every verified
// PCR 8 event must be RECOMPUTED and every PCR 11 event a recomputed UKI
// section name or a section's data event (EVENTLOG_UNCLASSIFIED_EVENT),
// checked once.
void CheckKernelCmdline(const Policy&, const PolicyInput&, RuleReasons&);
// boot.allowedKernelCmdlineSha256: every command line's SHA-256 (the
// digest a UKI logs, or the hash of the measured text) is listed; no
// command line at all is judged as the hash of "" (POLICY_KERNEL_CMDLINE).
void CheckKernelCmdlineSha256(const Policy&, const PolicyInput&, RuleReasons&);
// boot.minimumFirmwareVersion: BootState.firmware_version compares >= the
// minimum (firmware_version.h) (POLICY_FIRMWARE_VERSION). A version
// without numbers fails. (A second S-CRTM version is an
// EVENTLOG_REPEATED_MEASUREMENT finding of the extraction.)
void CheckFirmwareVersion(const Policy&, const PolicyInput&, RuleReasons&);
// boot.forbidWindowsTestSigning / forbidWindowsDebugging: the Windows boot
// log shows neither (POLICY_WINDOWS; the extraction ORs every report), and
// every verified PCR 12-14 event is RECOMPUTED (a SIPA container, a WBCL
// separator; else EVENTLOG_UNCLASSIFIED_EVENT), so a retyped container
// cannot drop its flags. A boot without SIPA events and with nothing
// opaque in PCRs 12-14 passes.
void CheckWindows(const Policy&, const PolicyInput&, RuleReasons&);

// What a PCR 8/9 measurement is, by the last path component of its name
// (lower-cased): "initrd"/"initramfs" anywhere -> initrd ("/initrd.img",
// "Linux initrd"); starting with "vmlinuz", "vmlinux", "bzimage" or
// "kernel" -> kernel ("/vmlinuz-6.1.0-27-amd64"); anything else (grub.cfg,
// "LOADED_IMAGE::LoadOptions", modules) -> other
// (bootstate::ClassifyFileName). Names are not measured: this only picks
// what the kernel and initrd allowlists judge by name; every file digest
// is accounted for regardless (CheckKernels).
enum class MeasuredKind { kKernel, kInitrd, kOther };
MeasuredKind ClassifyMeasuredFile(const vtpm_attest::v1::MeasuredFile& file);

// A kernel or initrd measurement, from a PCR 8/9 file or a UKI section.
struct BootImage {
  std::string sha256;  // hex, empty if the log has no sha256 digest
  std::string where;   // "event 37 (PCR 9, /vmlinuz)" or "UKI section .linux"
  uint32_t event_index = 0;  // the measuring event
};
std::vector<BootImage> MeasuredKernels(const vtpm_attest::v1::BootState& s);
std::vector<BootImage> MeasuredInitrds(const vtpm_attest::v1::BootState& s);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_POLICY_POLICY_RULES_H_
