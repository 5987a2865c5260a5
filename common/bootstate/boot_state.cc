#include "common/bootstate/boot_state.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/bootstate/action_strings.h"
#include "common/bootstate/describe.h"
#include "common/bootstate/digest_check.h"
#include "common/bootstate/extract_context.h"
#include "common/bootstate/firmware_events.h"
#include "common/bootstate/os_events.h"
#include "common/bootstate/pcr_event_types.h"
#include "common/bootstate/quirks.h"
#include "common/bootstate/secure_boot_events.h"
#include "common/hex.h"
#include "common/status_macros.h"
#include "common/tpm_alg.h"

namespace vtpm::bootstate {
namespace {

namespace ev = ::vtpm::eventlog;
using internal::EventLabel;
using internal::ExtractContext;
using ::vtpm_attest::v1::EVENTLOG_AFTER_EXIT_BOOT_SERVICES;
using ::vtpm_attest::v1::EVENTLOG_DIGEST_MISMATCH;
using ::vtpm_attest::v1::EVENTLOG_UNEXPECTED_EVENT;

// Separator values: 0 (normal), 1 (error, PC Client PFP for TPM 2.0),
// 0xFFFFFFFF (error, TCG 1.2 era firmware), "WBCL" (Windows, PCRs 12-14).
bool SeparatorValueOk(const ev::Event& e, bool* error) {
  *error = false;
  if (e.data == absl::string_view("\0\0\0\0", 4)) return true;
  if (e.data == absl::string_view("\1\0\0\0", 4) ||
      e.data == "\xff\xff\xff\xff") {
    *error = true;
    return true;
  }
  return e.pcr >= 12 && e.pcr <= 14 && e.data == "WBCL";
}

// What the generic digest check found.
enum class DigestCheck {
  kMismatch,       // the data does not hash to the digest: do not decode
  kRecomputed,     // a digest rule applies and holds in a supported bank
  kNotRecomputed,  // no rule for this event (or no supported bank)
};

// Checks the event's digest where its data determines it; sets
// `*off_by_one` when the shim quirk explains the mismatch.
DigestCheck CheckDigest(const ev::Event& e, bool windows_log,
                        ExtractContext& ctx, bool* off_by_one) {
  *off_by_one = false;
  std::optional<DigestRule> rule = DigestRuleFor(e, windows_log);
  if (!rule.has_value()) return DigestCheck::kNotRecomputed;
  DigestComparison c = CompareDigests(e, rule->inputs);
  if (c.match) {
    // A vacuous match (no supported bank) recomputes nothing.
    return c.skipped_banks.size() < e.digests.size()
               ? DigestCheck::kRecomputed
               : DigestCheck::kNotRecomputed;
  }
  if (IsShimOffByOne(e)) {
    *off_by_one = true;
    ctx.NeedQuirk(kQuirkShimOffByOne, &e,
                  "the data without its last byte hashes to the digest");
    return DigestCheck::kRecomputed;
  }
  ctx.Find(EVENTLOG_DIGEST_MISMATCH, e,
           absl::StrCat("digest is not ", rule->name, ": ", c.detail,
                        "; the event's type or data was changed"));
  return DigestCheck::kMismatch;
}

// True for the PCR 5 "Exit Boot Services Returned with Success/Failure"
// actions, whose digest was recomputed: the only events that belong after
// "Exit Boot Services Invocation".
bool IsExitBootServicesReturn(const ev::Event& e, const ExtractContext& ctx) {
  return e.pcr == 5 && e.type == ev::EV_EFI_ACTION &&
         (e.data == kExitBootServicesSucceeded ||
          e.data == kExitBootServicesFailed) &&
         ctx.IsRecomputed(e.index);
}

// BootState.exit_boot_services_index, and an
// EVENTLOG_AFTER_EXIT_BOOT_SERVICES finding for every event after it in log
// order (other than its "Returned" actions) in a PCR the policy does not
// let the OS extend. Log order across PCRs is not measured: this catches
// appends that keep it; reordered logs are left to the accounting and
// repeated-measurement checks.
void CheckAfterExitBootServices(const std::vector<const ev::Event*>& events,
                                ExtractContext& ctx) {
  auto& st = ctx.state();
  st.set_exit_boot_services_index(-1);
  size_t i = 0;
  for (; i < events.size(); ++i) {
    const ev::Event& e = *events[i];
    if (e.pcr == 5 && e.type == ev::EV_EFI_ACTION &&
        e.data == kExitBootServicesInvocation && ctx.IsRecomputed(e.index)) {
      st.set_exit_boot_services_index(static_cast<int32_t>(e.index));
      break;
    }
  }
  if (i == events.size()) return;
  const ev::Event& ebs = *events[i];
  const std::set<uint32_t>& os_pcrs = ctx.options().os_extended_pcrs;
  for (++i; i < events.size(); ++i) {
    const ev::Event& e = *events[i];
    if (IsExitBootServicesReturn(e, ctx) || os_pcrs.count(e.pcr) != 0) {
      continue;
    }
    const std::string* sha256 = e.DigestFor(TPM2_ALG_SHA256);
    ctx.Find(
        EVENTLOG_AFTER_EXIT_BOOT_SERVICES, e,
        absl::StrCat("logged after ExitBootServices (", EventLabel(ebs), ")",
                     sha256 != nullptr
                         ? absl::StrCat(", sha256 ", HexEncode(*sha256))
                         : std::string(),
                     ": the firmware has handed over, so this extend came "
                     "from the OS; PCR ",
                     e.pcr, " is not in the policy's boot.osExtendedPcrs"));
  }
}

void Summarize(const ev::Event& e, vtpm_attest::v1::EventSummary* s) {
  s->set_index(e.index);
  s->set_pcr(e.pcr);
  s->set_type(e.type);
  s->set_type_name(ev::EventTypeName(e.type));
  internal::FillDigests(e, s->mutable_digests());
  s->set_description(DescribeEvent(e));
}

}  // namespace

absl::StatusOr<Extraction> ExtractBootState(const ev::ParsedLog& log,
                                            const ev::ReplayMatch& match,
                                            const ExtractOptions& options) {
  Extraction out;
  ExtractContext ctx(options, &out);
  auto& st = out.state;
  st.set_log_format(log.format == ev::LogFormat::kCryptoAgile ? "crypto-agile"
                                                              : "sha1-legacy");
  for (TPMI_ALG_HASH bank : log.banks) st.add_banks(ToProto(bank));

  auto verified = [&](uint32_t pcr) {
    return std::any_of(log.banks.begin(), log.banks.end(), [&](auto bank) {
      return match.verified.count({bank, pcr}) != 0;
    });
  };

  // The events this extraction may use: measured events in verified PCRs.
  std::vector<const ev::Event*> events;
  std::set<uint32_t> unverified;
  for (const ev::Event& e : log.events) {
    if (e.type == ev::EV_NO_ACTION) continue;
    if (verified(e.pcr)) {
      events.push_back(&e);
    } else {
      unverified.insert(e.pcr);
    }
  }
  if (!unverified.empty()) {
    ctx.Note(absl::StrCat("events in PCRs ", absl::StrJoin(unverified, ","),
                          " are not verified by the quote and are ignored"));
  }

  if (log.startup_locality.has_value() && verified(0)) {
    st.set_startup_locality(*log.startup_locality);
    // Locality 4 is where an H-CRTM starts PCR 0 (PC Client PFP 3.3.1).
    if (*log.startup_locality == 4) st.set_h_crtm(true);
  }

  for (const QuirkHit& hit : DetectLogQuirks(events, log.events, verified(5))) {
    ctx.NeedQuirk(hit.quirk, nullptr, hit.detail);
  }

  // A Windows log: its separator's digest is checked like any other.
  const bool windows_log =
      std::any_of(events.begin(), events.end(),
                  [](const ev::Event* e) { return IsWbclSeparator(*e); });

  internal::FirmwareDecoder firmware(ctx);
  internal::SecureBootDecoder secure_boot(ctx);
  internal::OsLoaderDecoder os_loader(ctx);
  for (const ev::Event* e : events) {
    if (options.include_events) Summarize(*e, st.add_events());
    if (!EventTypeAllowed(e->pcr, e->type, options.extra_event_types)) {
      ctx.Find(EVENTLOG_UNEXPECTED_EVENT, *e,
               absl::StrCat(ev::EventTypeName(e->type),
                            " does not belong in PCR ", e->pcr));
    }
    bool separator_ok = false;
    if (e->type == ev::EV_SEPARATOR) {
      bool error = false;
      separator_ok = SeparatorValueOk(*e, &error);
      if (!separator_ok) {
        ctx.Find(EVENTLOG_UNEXPECTED_EVENT, *e,
                 absl::StrCat("separator value ", HexEncode(e->data),
                              " is neither 00000000 nor an error value"));
      } else if (error) {
        ctx.Note(absl::StrCat(EventLabel(*e),
                              ": error separator (firmware reported a "
                              "failure before this point)"));
      }
    }
    bool off_by_one = false;
    DigestCheck digest = CheckDigest(*e, windows_log, ctx, &off_by_one);
    if (separator_ok && digest == DigestCheck::kRecomputed) {
      ctx.MarkRecomputed(*e);
    }
    if (digest == DigestCheck::kMismatch) continue;
    const bool recomputed = digest == DigestCheck::kRecomputed;
    if (e->pcr <= 6) {
      firmware.Decode(*e, recomputed);
    } else if (e->pcr == 7) {
      secure_boot.Decode(*e, recomputed, off_by_one);
    } else {
      os_loader.Decode(*e, recomputed);
    }
  }
  firmware.Finish();
  secure_boot.Finish();
  os_loader.Finish();
  CheckAfterExitBootServices(events, ctx);
  for (auto& summary : *st.mutable_events()) {
    summary.set_digest_basis(ctx.IsRecomputed(summary.index())
                                 ? vtpm_attest::v1::DIGEST_BASIS_RECOMPUTED
                                 : vtpm_attest::v1::DIGEST_BASIS_OPAQUE);
  }

  absl::StatusOr<PcrValues> replayed = ev::Replay(log);
  if (!replayed.ok()) {
    return Annotate(replayed.status(), "replaying the event log");
  }
  for (const auto& [bank, pcr] : match.verified) {
    auto b = replayed->find(bank);
    if (b == replayed->end()) continue;
    auto v = b->second.find(pcr);
    if (v == b->second.end()) continue;
    (*(*st.mutable_pcrs())[HashAlgName(bank)]
          .mutable_values())[std::to_string(pcr)] = HexEncode(v->second);
  }
  return out;
}

}  // namespace vtpm::bootstate
