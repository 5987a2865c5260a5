#include "verifier/policy/policy_validate.h"

#include <re2/re2.h>

#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/hex.h"
#include "common/status_macros.h"
#include "common/tpm_alg.h"
#include "common/tpm_vendor.h"
#include "verifier/policy/firmware_version.h"
#include "verifier/policy/policy.h"
#include "verifier/policy/policy_names.h"

namespace vtpm::verifier {
namespace {

using vtpm_attest::v1::HashAlgorithm;

absl::Status FieldError(const std::string& source, const std::string& field,
                        const std::string& why) {
  return absl::InvalidArgumentError(
      absl::StrCat(source, ": field ", field, ": ", why));
}

// Canonicalizes `*value` to lower-case hex of exactly `size` bytes.
absl::Status CanonicalDigest(const std::string& source,
                             const std::string& field, size_t size,
                             std::string* value) {
  auto raw = HexDecode(*value);
  if (!raw.ok())
    return FieldError(source, field, std::string(raw.status().message()));
  if (raw->size() != size) {
    return FieldError(
        source, field,
        absl::StrFormat("'%s' is %d bytes, a SHA-256 digest is %d", *value,
                        raw->size(), size));
  }
  *value = HexEncode(*raw);
  return absl::OkStatus();
}

absl::Status CanonicalSha256List(
    const std::string& source, const std::string& field,
    google::protobuf::RepeatedPtrField<std::string>* list) {
  for (int i = 0; i < list->size(); ++i) {
    RETURN_IF_ERROR(CanonicalDigest(source, absl::StrCat(field, "[", i, "]"),
                                    32, list->Mutable(i)));
  }
  return absl::OkStatus();
}

std::string BankText(HashAlgorithm h) { return HashAlgName(FromProto(h)); }

absl::Status ValidateBanks(const Policy& p, const std::string& source) {
  std::set<int> seen;
  for (int i = 0; i < p.accepted_banks_size(); ++i) {
    HashAlgorithm h = p.accepted_banks(i);
    std::string f = absl::StrCat("acceptedBanks[", i, "]");
    if (DigestSize(FromProto(h)) == 0) {
      return FieldError(source, f,
                        absl::StrCat("unsupported bank ",
                                     vtpm_attest::v1::HashAlgorithm_Name(h)));
    }
    if (!seen.insert(h).second) {
      return FieldError(source, f,
                        absl::StrCat(BankText(h), " is listed twice"));
    }
  }
  auto not_accepted = [&](const std::string& field, HashAlgorithm h) {
    return FieldError(
        source, field,
        absl::StrCat("bank ", BankText(h), " is not accepted (acceptedBanks",
                     p.accepted_banks().empty()
                         ? " is empty: sha256, sha384, sha512"
                         : "",
                     ")"));
  };
  if (p.quote_pcrs().empty() && !BankAccepted(p, TPM2_ALG_SHA256)) {
    return FieldError(source, "quotePcrs",
                      "empty, so the verifier quotes sha256:0-7, but sha256 "
                      "is not in acceptedBanks: list the PCRs to quote");
  }
  for (int i = 0; i < p.quote_pcrs_size(); ++i) {
    if (!BankAccepted(p, FromProto(p.quote_pcrs(i).hash()))) {
      return not_accepted(absl::StrCat("quotePcrs[", i, "].hash"),
                          p.quote_pcrs(i).hash());
    }
  }
  for (int i = 0; i < p.pcr_values_size(); ++i) {
    if (!BankAccepted(p, FromProto(p.pcr_values(i).hash()))) {
      return not_accepted(absl::StrCat("pcrValues[", i, "].hash"),
                          p.pcr_values(i).hash());
    }
  }
  return absl::OkStatus();
}

// "id:" and 8 hex digits, the TCG vendor ID as EK certificates carry it.
bool IsVendorId(const std::string& m) {
  if (m.size() != 11 || !absl::StartsWithIgnoreCase(m, "id:")) return false;
  for (char c : m.substr(3)) {
    if (!absl::ascii_isxdigit(c)) return false;
  }
  return true;
}

absl::Status ValidateManufacturers(Policy* p, const std::string& source) {
  for (int i = 0; i < p->allowed_tpm_manufacturers_size(); ++i) {
    std::string* m = p->mutable_allowed_tpm_manufacturers(i);
    absl::StripAsciiWhitespace(m);
    if (IsVendorId(*m)) {
      // The form the verifier gives a certified manufacturer.
      *m = TpmManufacturerCode(*m);
      continue;
    }
    bool printable = !m->empty() && m->size() <= 4;
    for (char c : *m) {
      if (c <= ' ' || c > '~') printable = false;
    }
    if (!printable) {
      return FieldError(
          source, absl::StrCat("allowedTpmManufacturers[", i, "]"),
          absl::StrCat("'", *m,
                       "' is not a TPM manufacturer (1-4 printable ASCII "
                       "characters, e.g. \"IFX\", \"MSFT\", or a TCG "
                       "vendor ID \"id:XXXXXXXX\" as in the EK "
                       "certificate)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePinnedEks(Policy* p, const std::string& source) {
  google::protobuf::Map<std::string, std::string> canonical;
  for (const auto& [uuid, fingerprint] : p->pinned_eks()) {
    std::string f = absl::StrCat("pinnedEks[\"", uuid, "\"]");
    if (!IsUuid(uuid)) {
      return FieldError(source, f, "key is not a UUID (8-4-4-4-12 hex digits)");
    }
    std::string fp = fingerprint;
    auto raw = HexDecode(fp);
    if (!raw.ok() || raw->size() != 32 || fp.size() != 64) {
      return FieldError(source, f,
                        "value is not an EK fingerprint (64 hex digits: "
                        "SHA-256 of the EK SubjectPublicKeyInfo)");
    }
    std::string key = absl::AsciiStrToLower(uuid);
    if (!canonical.insert({key, HexEncode(*raw)}).second) {
      return FieldError(source, f, "UUID is pinned twice");
    }
  }
  *p->mutable_pinned_eks() = std::move(canonical);
  return absl::OkStatus();
}

absl::Status ValidateBoot(vtpm_attest::v1::BootPolicy* b,
                          const std::string& source) {
  RETURN_IF_ERROR(
      CanonicalSha256List(source, "boot.requiredDb", b->mutable_required_db()));
  RETURN_IF_ERROR(CanonicalSha256List(source, "boot.forbiddenDb",
                                      b->mutable_forbidden_db()));
  RETURN_IF_ERROR(CanonicalSha256List(source, "boot.requiredDbx",
                                      b->mutable_required_dbx()));
  RETURN_IF_ERROR(CanonicalSha256List(source, "boot.allowedBootApplications",
                                      b->mutable_allowed_boot_applications()));
  RETURN_IF_ERROR(CanonicalSha256List(source, "boot.allowedDrivers",
                                      b->mutable_allowed_drivers()));
  for (int i = 0; i < b->allowed_kernel_cmdlines_size(); ++i) {
    RE2::Options opts;
    opts.set_log_errors(false);
    RE2 re(b->allowed_kernel_cmdlines(i), opts);
    if (!re.ok()) {
      return FieldError(source,
                        absl::StrCat("boot.allowedKernelCmdlines[", i, "]"),
                        absl::StrCat("not an RE2 pattern: ", re.error()));
    }
  }
  RETURN_IF_ERROR(CanonicalSha256List(source, "boot.allowedInitrds",
                                      b->mutable_allowed_initrds()));
  RETURN_IF_ERROR(
      CanonicalSha256List(source, "boot.allowedKernelCmdlineSha256",
                          b->mutable_allowed_kernel_cmdline_sha256()));
  RETURN_IF_ERROR(CanonicalSha256List(source, "boot.allowedKernels",
                                      b->mutable_allowed_kernels()));
  RETURN_IF_ERROR(CanonicalSha256List(source, "boot.allowedBootFiles",
                                      b->mutable_allowed_boot_files()));
  std::set<uint32_t> os_pcrs;
  for (int i = 0; i < b->os_extended_pcrs_size(); ++i) {
    uint32_t pcr = b->os_extended_pcrs(i);
    std::string field = absl::StrCat("boot.osExtendedPcrs[", i, "]");
    if (pcr > 23) {
      return FieldError(source, field,
                        absl::StrCat("PCR ", pcr, " is not 0-23"));
    }
    if (!os_pcrs.insert(pcr).second) {
      return FieldError(source, field,
                        absl::StrCat("PCR ", pcr, " is listed twice"));
    }
  }
  if (!b->minimum_firmware_version().empty()) {
    auto v = ParseFirmwareVersion(b->minimum_firmware_version());
    if (!v.ok()) {
      return FieldError(source, "boot.minimumFirmwareVersion",
                        std::string(v.status().message()));
    }
  }
  for (int i = 0; i < b->extra_event_types_size(); ++i) {
    if (!IsKnownEventTypeName(b->extra_event_types(i))) {
      return FieldError(source, absl::StrCat("boot.extraEventTypes[", i, "]"),
                        absl::StrCat("'", b->extra_event_types(i),
                                     "' is not a TCG event type name "
                                     "(e.g. \"EV_EFI_ACTION\")"));
    }
  }
  return absl::OkStatus();
}

// Boot rules that an unquoted PCR would let pass without judging
// anything (nothing measured there reaches the BootState) must have their
// PCRs quoted. Rules that fail when nothing was measured (kernels,
// initrds, command line, firmware version, required db/dbx) need no
// check.
absl::Status ValidateBootPcrsQuoted(const Policy& p,
                                    const std::string& source) {
  const auto& b = p.boot();
  struct Need {
    bool set;
    const char* field;
    std::vector<uint32_t> pcrs;
  };
  const Need needs[] = {
      {!b.allowed_boot_applications().empty(),
       "boot.allowedBootApplications",
       {4}},
      {!b.allowed_drivers().empty(), "boot.allowedDrivers", {2}},
      {!b.forbidden_db().empty(), "boot.forbiddenDb", {7}},
      {b.require_secure_boot(), "boot.requireSecureBoot", {7}},
      {b.forbid_windows_test_signing(),
       "boot.forbidWindowsTestSigning",
       {12, 13, 14}},
      {b.forbid_windows_debugging(),
       "boot.forbidWindowsDebugging",
       {12, 13, 14}},
  };
  for (const Need& n : needs) {
    if (!n.set) continue;
    for (uint32_t pcr : n.pcrs) {
      if (!PolicyQuotesPcr(p, pcr)) {
        return FieldError(
            source, n.field,
            absl::StrCat("needs PCR ", pcr,
                         " in quotePcrs (only events in quoted PCRs are "
                         "judged; quotePcrs is ",
                         PcrSelectionToString(QuoteSelection(p)), ")"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool IsUuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-'
             : !absl::ascii_isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

absl::Status ValidateExtendedFields(Policy* p, const std::string& source) {
  RETURN_IF_ERROR(ValidateBanks(*p, source));
  RETURN_IF_ERROR(ValidateManufacturers(p, source));
  RETURN_IF_ERROR(ValidatePinnedEks(p, source));
  RETURN_IF_ERROR(CanonicalSha256List(source, "legacyEkRoots",
                                      p->mutable_legacy_ek_roots()));
  for (int i = 0; i < p->allowed_quirks_size(); ++i) {
    if (!IsKnownQuirk(p->allowed_quirks(i))) {
      std::string known = absl::StrJoin(kKnownQuirks, ", ");
      return FieldError(source, absl::StrCat("allowedQuirks[", i, "]"),
                        absl::StrCat("unknown quirk '", p->allowed_quirks(i),
                                     "' (known: ", known, ")"));
    }
  }
  if (!p->has_boot()) return absl::OkStatus();
  RETURN_IF_ERROR(ValidateBoot(p->mutable_boot(), source));
  return ValidateBootPcrsQuoted(*p, source);
}

}  // namespace vtpm::verifier
