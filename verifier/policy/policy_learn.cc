#include "verifier/policy/policy_learn.h"

#include <re2/re2.h>

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/bootstate/accounting.h"
#include "common/hex.h"
#include "common/tpm_alg.h"
#include "google/protobuf/util/json_util.h"
#include "verifier/policy/firmware_version.h"
#include "verifier/policy/policy_rules.h"

namespace vtpm::verifier {
namespace {

namespace v1 = vtpm_attest::v1;
using google::protobuf::RepeatedPtrField;

// Appends `digest` (lower-cased) unless already present.
void AddUnique(RepeatedPtrField<std::string>* list, const std::string& digest) {
  std::string d = absl::AsciiStrToLower(digest);
  if (std::find(list->begin(), list->end(), d) == list->end()) *list->Add() = d;
}

constexpr char kNoneAllowed[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

// Adds the sha256 of every event `scope` leaves unaccounted for (an
// opaque event the rule's decoded objects do not cover, e.g. a boot
// application logged under another type) to `allowed`, so that the
// learned rule accounts for every extend of the golden boot.
absl::Status LearnUnaccounted(const v1::BootState& state,
                              bootstate::AccountingScope scope,
                              const char* what,
                              RepeatedPtrField<std::string>* allowed) {
  for (const std::string& d : *allowed) scope.allowed_sha256.insert(d);
  for (const auto& u : bootstate::UnaccountedEvents(state, scope)) {
    if (u.event == nullptr) continue;  // no events: decoded objects only
    if (u.sha256.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": ", u.label,
          " has no sha256 digest: a sha256 allowlist cannot be learned "
          "from this log"));
    }
    AddUnique(allowed, u.sha256);
  }
  return absl::OkStatus();
}

absl::Status LearnApplications(
    const v1::BootState& state,
    const RepeatedPtrField<v1::BootApplication>& apps, uint32_t pcr,
    const char* what, RepeatedPtrField<std::string>* allowed) {
  bootstate::AccountingScope scope;
  scope.pcrs = {pcr};
  for (const auto& app : apps) {
    auto it = app.digests().find("sha256");
    if (it == app.digests().end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " at event ", app.event_index(),
                       " has no sha256 digest: a sha256 allowlist cannot be "
                       "learned from this log"));
    }
    AddUnique(allowed, it->second);
    scope.judged_events.insert(app.event_index());
  }
  absl::Status s = LearnUnaccounted(state, scope, what, allowed);
  if (!s.ok()) return s;
  if (allowed->empty()) *allowed->Add() = kNoneAllowed;
  return absl::OkStatus();
}

absl::Status LearnImages(const std::vector<BootImage>& images, const char* what,
                         RepeatedPtrField<std::string>* allowed) {
  for (const BootImage& img : images) {
    if (img.sha256.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " ", img.where, " has no sha256 digest: a sha256 allowlist ",
          "cannot be learned from this log"));
    }
    AddUnique(allowed, img.sha256);
  }
  return absl::OkStatus();
}

// allowedBootFiles: every other file measurement (grub.cfg, the EFI
// stub's load options, ...) and every other opaque event of the PCRs the
// kernel and initrd rules account for.
absl::Status LearnBootFiles(const v1::BootState& state, v1::BootPolicy* b) {
  bootstate::AccountingScope scope;
  scope.pcrs = {8, 9, 11, 12, 13};
  for (const auto* list : {&b->allowed_kernels(), &b->allowed_initrds()}) {
    for (const std::string& d : *list) scope.allowed_sha256.insert(d);
  }
  for (const auto& f : state.kernel_and_initrd()) {
    if (ClassifyMeasuredFile(f) != MeasuredKind::kOther) continue;
    auto it = f.digests().find("sha256");
    if (it == f.digests().end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "file event ", f.event_index(), " (PCR ", f.pcr(), ", ", f.name(),
          ") has no sha256 digest: a sha256 allowlist cannot be learned "
          "from this log"));
    }
    if (scope.allowed_sha256.count(absl::AsciiStrToLower(it->second)) == 0) {
      AddUnique(b->mutable_allowed_boot_files(), it->second);
    }
  }
  return LearnUnaccounted(state, scope, "boot file",
                          b->mutable_allowed_boot_files());
}

// The command-line rules: every text as an RE2 literal; digest-only
// command lines (a UKI's .cmdline) by digest, and then the texts' digests
// too, since allowedKernelCmdlineSha256 judges every command line.
void LearnCmdlines(const v1::BootState& state, v1::BootPolicy* b) {
  std::vector<std::string> texts, digests;
  bool digest_only = false;
  for (const auto& c : state.kernel_cmdlines()) {
    if (c.text().empty() && !c.sha256().empty()) {
      digest_only = true;
    } else {
      texts.push_back(c.text());
    }
    digests.push_back(c.sha256());
  }
  if (state.kernel_cmdlines().empty()) {  // a state that predates them
    if (!state.kernel_cmdline().empty()) {
      texts.push_back(state.kernel_cmdline());
    } else if (!state.kernel_cmdline_sha256().empty()) {
      digest_only = true;
      digests.push_back(state.kernel_cmdline_sha256());
    }
  }
  for (const std::string& t : texts) {
    std::string pattern = RE2::QuoteMeta(t);
    const auto& list = b->allowed_kernel_cmdlines();
    if (std::find(list.begin(), list.end(), pattern) == list.end()) {
      b->add_allowed_kernel_cmdlines(pattern);
    }
  }
  if (!digest_only) return;
  for (const std::string& d : digests) {
    if (!d.empty()) AddUnique(b->mutable_allowed_kernel_cmdline_sha256(), d);
  }
}

// The boot rules of `p` on `state`: what the learned policy says about its
// own golden boot (nothing, unless the log holds something the rules
// cannot account for, e.g. an opaque PCR 7 or PCR 8 event).
std::vector<v1::Reason> JudgeGolden(const Policy& p,
                                    const v1::BootState& state) {
  Policy boot_only;
  boot_only.set_name(p.name());
  *boot_only.mutable_boot() = p.boot();
  *boot_only.mutable_allowed_quirks() = p.allowed_quirks();
  PolicyInput in;
  in.boot = &state;
  return EvaluatePolicy(boot_only, in);
}

// quotePcrs and (optionally) pcrValues from the replayed values.
absl::Status LearnPcrs(const v1::BootState& state, bool golden, Policy* p) {
  std::vector<TPMI_ALG_HASH> banks;
  for (const auto& [name, values] : state.pcrs()) {
    auto h = HashAlgFromName(name);
    if (h.ok() && BankAccepted(*p, *h)) banks.push_back(*h);
  }
  if (banks.empty()) {
    return absl::InvalidArgumentError(
        "the boot state has no replayed PCR values in an accepted bank "
        "(sha256, sha384, sha512)");
  }
  std::sort(banks.begin(), banks.end(), [](TPMI_ALG_HASH a, TPMI_ALG_HASH b) {
    return DigestSize(a) < DigestSize(b);
  });
  for (TPMI_ALG_HASH h : banks) {
    const auto& values = state.pcrs().at(HashAlgName(h)).values();
    std::map<uint32_t, std::string> by_index;
    for (const auto& [index_text, hex] : values) {
      uint32_t index;
      if (!absl::SimpleAtoi(index_text, &index) || index >= 24) {
        return absl::InvalidArgumentError(
            absl::StrCat("boot state PCR '", index_text, "' is not 0-23"));
      }
      by_index[index] = absl::AsciiStrToLower(hex);
    }
    v1::PcrSelection* sel = p->add_quote_pcrs();
    sel->set_hash(ToProto(h));
    v1::PcrBankPolicy* bank = golden ? p->add_pcr_values() : nullptr;
    if (bank != nullptr) bank->set_hash(ToProto(h));
    for (const auto& [index, hex] : by_index) {
      sel->add_pcrs(index);
      if (bank != nullptr) {
        v1::PcrValue* pv = bank->add_pcrs();
        pv->set_index(index);
        pv->add_values(hex);
      }
    }
  }
  return absl::OkStatus();
}

std::string Describe(const v1::BootState& s, const Policy& p,
                     const LearnOptions& o) {
  const auto& b = p.boot();
  std::string text = absl::StrCat(
      "Learned by `vtpm-attest policy learn`",
      o.source.empty() ? "" : absl::StrCat(" from ", o.source),
      ". Accepts exactly that boot: Secure Boot ",
      s.secure_boot() ? "on" : "off (not required)", ", ", b.required_db_size(),
      " db and ", b.required_dbx_size(), " dbx entries required, ",
      b.allowed_boot_applications_size(), " boot application digest(s)");
  if (b.allowed_drivers_size() == 1 && b.allowed_drivers(0) == kNoneAllowed) {
    absl::StrAppend(&text,
                    ", no driver or option ROM (allowedDrivers holds "
                    "only the all-zero digest, which nothing matches)");
  } else {
    absl::StrAppend(&text, ", ", b.allowed_drivers_size(), " driver(s)");
  }
  absl::StrAppend(&text, ", ", b.allowed_kernels_size(), " kernel(s), ",
                  b.allowed_initrds_size(), " initrd(s)");
  if (b.allowed_boot_files_size() > 0) {
    absl::StrAppend(&text, ", ", b.allowed_boot_files_size(),
                    " other boot file digest(s) (grub.cfg, load options, "
                    "...)");
  }
  if (b.allowed_kernel_cmdlines_size() == 1) {
    absl::StrAppend(&text, ", the kernel command line '", s.kernel_cmdline(),
                    "' only");
  } else if (b.allowed_kernel_cmdlines_size() > 1) {
    absl::StrAppend(&text, ", ", b.allowed_kernel_cmdlines_size(),
                    " kernel command lines");
  }
  if (b.allowed_kernel_cmdline_sha256_size() == 1) {
    absl::StrAppend(&text, ", the kernel command line with SHA-256 ",
                    b.allowed_kernel_cmdline_sha256(0), " only");
  } else if (b.allowed_kernel_cmdline_sha256_size() > 1) {
    absl::StrAppend(&text, ", ", b.allowed_kernel_cmdline_sha256_size(),
                    " kernel command line digests");
  }
  if (!s.quirks_used().empty()) {
    absl::StrAppend(&text, ", log quirks ",
                    absl::StrJoin(s.quirks_used(), ", "));
  }
  absl::StrAppend(
      &text,
      ". Review before use: an allowlist left empty allows anything; a "
      "kernel upgrade, a new shim/grub or a dbx update changes the digests "
      "(learn again from the upgraded golden VM, or add the new digests). ",
      p.pcr_values().empty()
          ? "PCR values are not pinned (learn with --golden-pcrs to pin "
            "them). "
          : "PCR values are pinned (pcrValues): any change in a quoted PCR "
            "fails. ",
      "Drop PCRs the OS extends after boot (10 IMA, 11 systemd-pcrphase, "
      "15) from quotePcrs. Applies to agents labelled ");
  std::vector<std::string> labels;
  for (const auto& [k, v] : p.match_labels()) labels.push_back(k + "=" + v);
  std::sort(labels.begin(), labels.end());
  absl::StrAppend(&text, absl::StrJoin(labels, ", "), ".");
  return text;
}

// Protobuf indents by one space and puts every array element on its own
// line. Rewrites to two-space indentation with arrays of numbers on one
// line ("pcrs": [0, 1, 2]). JSON strings hold no raw newline, so working
// line by line never looks inside a string.
std::string Reindent(const std::string& json) {
  std::vector<std::string> lines = absl::StrSplit(json, '\n');
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    size_t indent = line.find_first_not_of(' ');
    if (indent == std::string::npos) continue;
    std::string body = line.substr(indent);
    // "key": [ followed by number lines and the closing bracket.
    if (!body.empty() && body.back() == '[') {
      std::vector<std::string> numbers;
      size_t j = i + 1;
      for (; j < lines.size(); ++j) {
        absl::string_view item = absl::StripAsciiWhitespace(lines[j]);
        if (absl::StartsWith(item, "]")) break;
        absl::ConsumeSuffix(&item, ",");
        uint64_t n;
        if (!absl::SimpleAtoi(item, &n)) break;
        numbers.push_back(std::string(item));
      }
      if (!numbers.empty() && j < lines.size() &&
          absl::StartsWith(absl::StripAsciiWhitespace(lines[j]), "]")) {
        absl::StrAppend(&out, std::string(2 * indent, ' '), body,
                        absl::StrJoin(numbers, ", "),
                        absl::StripAsciiWhitespace(lines[j]), "\n");
        i = j;
        continue;
      }
    }
    absl::StrAppend(&out, std::string(2 * indent, ' '), body, "\n");
  }
  return out;
}

}  // namespace

absl::StatusOr<Policy> LearnPolicy(const v1::BootState& state,
                                   const LearnOptions& options) {
  if (options.name.empty()) {
    return absl::InvalidArgumentError("a learned policy needs a name");
  }
  Policy p;
  p.set_name(options.name);
  p.set_tpm_family("2.0");
  p.set_require_ek_certificate(true);
  p.set_require_ek_eku(true);
  if (options.match_labels.empty()) {
    (*p.mutable_match_labels())["policy"] = options.name;
  } else {
    p.mutable_match_labels()->insert(options.match_labels.begin(),
                                     options.match_labels.end());
  }
  // quotePcrs first: a boot rule is learned only where its PCRs are
  // quoted (ParsePolicy refuses some rules over unquoted PCRs).
  absl::Status s = LearnPcrs(state, options.golden_pcrs, &p);
  if (!s.ok()) return s;
  v1::BootPolicy* b = p.mutable_boot();
  b->set_require_event_log(true);
  b->set_require_secure_boot(PolicyQuotesPcr(p, 7) &&
                             state.secure_boot_known() && state.secure_boot());
  for (const auto& e : state.db()) {
    AddUnique(b->mutable_required_db(), e.sha256());
  }
  for (const auto& e : state.dbx()) {
    AddUnique(b->mutable_required_dbx(), e.sha256());
  }
  if (PolicyQuotesPcr(p, 4)) {
    s = LearnApplications(state, state.boot_applications(), 4,
                          "boot application",
                          b->mutable_allowed_boot_applications());
    if (!s.ok()) return s;
  }
  if (PolicyQuotesPcr(p, 2)) {
    s = LearnApplications(state, state.drivers(), 2, "driver",
                          b->mutable_allowed_drivers());
    if (!s.ok()) return s;
  }
  LearnCmdlines(state, b);
  s = LearnImages(MeasuredInitrds(state), "initrd",
                  b->mutable_allowed_initrds());
  if (!s.ok()) return s;
  s = LearnImages(MeasuredKernels(state), "kernel",
                  b->mutable_allowed_kernels());
  if (!s.ok()) return s;
  if (!b->allowed_kernels().empty() || !b->allowed_initrds().empty()) {
    s = LearnBootFiles(state, b);
    if (!s.ok()) return s;
  }
  if (ParseFirmwareVersion(state.firmware_version()).ok()) {
    b->set_minimum_firmware_version(state.firmware_version());
  }
  // The Windows rules accept only recomputed PCR 12-14 events
  // (policy_rules.h): not learned where an opaque one is (shim's MOK
  // lists).
  bootstate::AccountingScope windows_pcrs;
  windows_pcrs.pcrs = {12, 13, 14};
  const bool windows_accounted =
      state.events().empty() ||
      bootstate::UnaccountedEvents(state, windows_pcrs).empty();
  if (state.has_windows() && windows_accounted && PolicyQuotesPcr(p, 12) &&
      PolicyQuotesPcr(p, 13) && PolicyQuotesPcr(p, 14)) {
    const auto& w = state.windows();
    b->set_forbid_windows_test_signing(!w.test_signing());
    b->set_forbid_windows_debugging(
        !(w.debugging() || w.boot_debugging() || w.kernel_debugging()));
  }
  for (const std::string& q : state.quirks_used()) {
    if (std::find(p.allowed_quirks().begin(), p.allowed_quirks().end(), q) ==
        p.allowed_quirks().end()) {
      p.add_allowed_quirks(q);
    }
  }
  p.set_description(Describe(state, p, options));
  // A state without events (a stored verdict) can only be judged by its
  // decoded objects, which the lists above hold.
  if (!state.events().empty()) {
    std::vector<v1::Reason> golden = JudgeGolden(p, state);
    if (!golden.empty()) {
      std::vector<std::string> why;
      for (const auto& r : golden) {
        why.push_back(
            absl::StrCat(v1::ReasonCode_Name(r.code()), ": ", r.message()));
      }
      return absl::FailedPreconditionError(absl::StrCat(
          "the learned policy would reject the boot it was learned from: ",
          absl::StrJoin(why, "; ")));
    }
  }
  return p;
}

absl::StatusOr<std::string> PolicyToJson(const Policy& policy) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.preserve_proto_field_names = false;
  std::string raw;
  auto st = google::protobuf::util::MessageToJsonString(policy, &raw, opts);
  if (!st.ok()) {
    return absl::InternalError(
        absl::StrCat("policy to JSON: ", std::string(st.message())));
  }
  return Reindent(raw);
}

}  // namespace vtpm::verifier
