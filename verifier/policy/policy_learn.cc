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

absl::Status LearnApplications(
    const RepeatedPtrField<v1::BootApplication>& apps, const char* what,
    RepeatedPtrField<std::string>* allowed) {
  for (const auto& app : apps) {
    auto it = app.digests().find("sha256");
    if (it == app.digests().end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " at event ", app.event_index(),
                       " has no sha256 digest: a sha256 allowlist cannot be "
                       "learned from this log"));
    }
    AddUnique(allowed, it->second);
  }
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
  if (b.allowed_kernel_cmdlines_size() > 0) {
    absl::StrAppend(&text, ", the kernel command line '", s.kernel_cmdline(),
                    "' only");
  }
  if (b.allowed_kernel_cmdline_sha256_size() > 0) {
    absl::StrAppend(&text, ", the kernel command line with SHA-256 ",
                    s.kernel_cmdline_sha256(), " only");
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
    s = LearnApplications(state.boot_applications(), "boot application",
                          b->mutable_allowed_boot_applications());
    if (!s.ok()) return s;
  }
  if (PolicyQuotesPcr(p, 2)) {
    s = LearnApplications(state.drivers(), "driver",
                          b->mutable_allowed_drivers());
    if (!s.ok()) return s;
  }
  if (!state.kernel_cmdline().empty()) {
    b->add_allowed_kernel_cmdlines(RE2::QuoteMeta(state.kernel_cmdline()));
  } else if (!state.kernel_cmdline_sha256().empty()) {
    b->add_allowed_kernel_cmdline_sha256(state.kernel_cmdline_sha256());
  }
  s = LearnImages(MeasuredInitrds(state), "initrd",
                  b->mutable_allowed_initrds());
  if (!s.ok()) return s;
  s = LearnImages(MeasuredKernels(state), "kernel",
                  b->mutable_allowed_kernels());
  if (!s.ok()) return s;
  if (ParseFirmwareVersion(state.firmware_version()).ok()) {
    b->set_minimum_firmware_version(state.firmware_version());
  }
  if (state.has_windows() && PolicyQuotesPcr(p, 12) && PolicyQuotesPcr(p, 13) &&
      PolicyQuotesPcr(p, 14)) {
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
