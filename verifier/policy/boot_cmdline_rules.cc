// The kernel command-line rules: every command line the verified event
// log measured is judged, and PCRs 8 (GRUB's text) and 11 (UKI sections)
// must hold nothing the verifier cannot account for.
#include <re2/re2.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/bootstate/accounting.h"
#include "common/hex.h"
#include "common/tpm_alg.h"
#include "verifier/policy/boot_rules_internal.h"
#include "verifier/policy/policy_rules.h"

namespace vtpm::verifier {
namespace {

namespace v1 = vtpm_attest::v1;
using internal::Account;
using internal::EventRefAt;
using internal::Listed;
using v1::BootState;

// The command lines of `s`: kernel_cmdlines, or for a state that predates
// that field its singular kernel_cmdline / kernel_cmdline_sha256.
std::vector<v1::KernelCmdline> Cmdlines(const BootState& s) {
  std::vector<v1::KernelCmdline> out(s.kernel_cmdlines().begin(),
                                     s.kernel_cmdlines().end());
  if (!out.empty()) return out;
  if (!s.kernel_cmdline().empty()) {
    out.emplace_back().set_text(s.kernel_cmdline());
  }
  if (!s.kernel_cmdline_sha256().empty()) {
    out.emplace_back().set_sha256(s.kernel_cmdline_sha256());
  }
  return out;
}

std::string CmdlineRef(const BootState& s, const v1::KernelCmdline& c) {
  if (c.source().empty()) return "";  // from the singular fields
  return absl::StrCat(" (", EventRefAt(s, c.event_index(), c.pcr()), ", ",
                      c.source(), ")");
}

// The SHA-256 a command line is judged by: the digest the log carries, or
// that of its text.
std::string CmdlineSha256(const v1::KernelCmdline& c) {
  if (!c.sha256().empty()) return absl::AsciiStrToLower(c.sha256());
  auto h = vtpm::Hash(TPM2_ALG_SHA256, c.text());
  return h.ok() ? HexEncode(*h) : std::string();
}

// GRUB writes its command line into PCR 8 as text, systemd-stub a UKI's
// into PCR 11 as a section: every PCR 8 event must be recomputed from
// understood data, and every PCR 11 event a recomputed section name or the
// data event that follows one, or a command line could hide behind
// another type, prefix or name. Run once, by the first command-line rule
// set. (The EFI stub's PCR 9 load options and systemd-stub's PCR 12
// measurements sit among opaque files there: the kernel and boot-file
// rules account for those PCRs.)
void AccountCmdlines(const BootState& s, absl::string_view rule,
                     RuleReasons& reasons) {
  bootstate::AccountingScope scope;
  scope.pcrs = {8, 11};
  Account(s, scope, rule, "", reasons);
}

}  // namespace

void CheckKernelCmdline(const Policy& policy, const PolicyInput& in,
                        RuleReasons& reasons) {
  const auto& patterns = policy.boot().allowed_kernel_cmdlines();
  if (in.boot == nullptr || patterns.empty()) return;
  const BootState& s = *in.boot;
  constexpr char kRule[] = "boot.allowedKernelCmdlines";
  AccountCmdlines(s, kRule, reasons);
  RE2::Options opts;
  opts.set_log_errors(false);
  auto matches = [&](const std::string& text) {
    for (const std::string& p : patterns) {
      RE2 re(p, opts);
      // ParsePolicy has compiled every pattern; one that fails here
      // matches nothing.
      if (re.ok() && RE2::FullMatch(text, re)) return true;
    }
    return false;
  };
  std::vector<v1::KernelCmdline> cmdlines = Cmdlines(s);
  if (cmdlines.empty()) {
    if (!matches("")) {
      reasons.Fail(v1::POLICY_KERNEL_CMDLINE, kRule,
                   "no kernel command line was measured and no pattern "
                   "matches the empty string");
    }
    return;
  }
  // Every instance is judged, never only the last (or the first).
  for (const v1::KernelCmdline& c : cmdlines) {
    if (c.text().empty() && !c.sha256().empty()) {
      // Only a digest: the sha256 rule judges it, if the policy has one.
      if (policy.boot().allowed_kernel_cmdline_sha256().empty()) {
        reasons.Fail(
            v1::POLICY_KERNEL_CMDLINE, kRule,
            absl::StrCat("kernel command line", CmdlineRef(s, c),
                         " is measured only as a digest (sha256 ", c.sha256(),
                         "): no pattern can judge it; list it in "
                         "boot.allowedKernelCmdlineSha256"));
      }
      continue;
    }
    if (matches(c.text())) continue;
    reasons.Fail(v1::POLICY_KERNEL_CMDLINE, kRule,
                 c.text().empty()
                     ? absl::StrCat("the kernel command line", CmdlineRef(s, c),
                                    " is empty and no pattern matches the "
                                    "empty string")
                     : absl::StrCat("kernel command line '", c.text(), "'",
                                    CmdlineRef(s, c), " matches none of the ",
                                    patterns.size(), " patterns"));
  }
}

void CheckKernelCmdlineSha256(const Policy& policy, const PolicyInput& in,
                              RuleReasons& reasons) {
  const auto& allowed = policy.boot().allowed_kernel_cmdline_sha256();
  if (in.boot == nullptr || allowed.empty()) return;
  const BootState& s = *in.boot;
  constexpr char kRule[] = "boot.allowedKernelCmdlineSha256";
  if (policy.boot().allowed_kernel_cmdlines().empty()) {
    AccountCmdlines(s, kRule, reasons);
  }
  std::vector<v1::KernelCmdline> cmdlines = Cmdlines(s);
  if (cmdlines.empty()) cmdlines.emplace_back();  // judged as ""
  for (const v1::KernelCmdline& c : cmdlines) {
    std::string got = CmdlineSha256(c);
    if (Listed(allowed, got)) continue;
    const bool from_text = !c.text().empty() || c.sha256().empty();
    reasons.Fail(
        v1::POLICY_KERNEL_CMDLINE, kRule,
        absl::StrCat("kernel command line ",
                     from_text
                         ? absl::StrCat("'", c.text(), "' (sha256 ", got, ")")
                         : absl::StrCat("measured as sha256 ", got),
                     CmdlineRef(s, c), " is not among the ", allowed.size(),
                     " allowed"));
  }
}

}  // namespace vtpm::verifier
