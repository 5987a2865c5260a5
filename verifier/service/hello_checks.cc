#include "verifier/service/hello_checks.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/guest_text.h"
#include "common/hex.h"
#include "common/ossl.h"
#include "common/reason.h"
#include "common/status_macros.h"
#include "common/tpm_public.h"
#include "verifier/service/limits.h"

namespace vtpm::verifier {
namespace {

using vtpm_attest::v1::AK_INVALID;
using vtpm_attest::v1::AK_NAME_MISMATCH;
using vtpm_attest::v1::EK_PUBLIC_INVALID;
using vtpm_attest::v1::MALFORMED_MESSAGE;
using vtpm_attest::v1::OVERSIZED_MESSAGE;

absl::Status Limit(absl::string_view field, size_t size, size_t max) {
  if (size <= max) return absl::OkStatus();
  return ReasonError(OVERSIZED_MESSAGE,
                     absl::StrFormat("Hello.%s is %d bytes; the limit is %d",
                                     field, size, max));
}

}  // namespace

absl::Status CheckHelloSizes(const vtpm_attest::v1::Hello& h) {
  // The whole message first: fields nothing else measures (unknown ones
  // are refused by CheckNoUnknownFields) must not make it large either.
  RETURN_IF_ERROR(Limit("(whole message)", h.ByteSizeLong(), kMaxHelloBytes));
  RETURN_IF_ERROR(
      Limit("agent_version", h.agent_version().size(), kMaxStringBytes));
  RETURN_IF_ERROR(Limit("host.os", h.host().os().size(), kMaxOsNameBytes));
  RETURN_IF_ERROR(
      Limit("host.hostname", h.host().hostname().size(), kMaxHostnameBytes));
  RETURN_IF_ERROR(
      Limit("host.os_version", h.host().os_version().size(), kMaxStringBytes));
  RETURN_IF_ERROR(
      Limit("host.vm_uuid", h.host().vm_uuid().size(), kMaxStringBytes));
  RETURN_IF_ERROR(
      Limit("host.machine_id", h.host().machine_id().size(), kMaxStringBytes));
  RETURN_IF_ERROR(
      Limit("tpm.family", h.tpm().family().size(), kMaxTpmPropertyBytes));
  RETURN_IF_ERROR(Limit("tpm.manufacturer", h.tpm().manufacturer().size(),
                        kMaxTpmPropertyBytes));
  RETURN_IF_ERROR(
      Limit("tpm.vendor", h.tpm().vendor().size(), kMaxStringBytes));
  RETURN_IF_ERROR(
      Limit("tpm.pcr_banks (count)", h.tpm().pcr_banks_size(), kMaxPcrBanks));
  RETURN_IF_ERROR(Limit("ek.public_area", h.ek().public_area().size(),
                        kMaxPublicAreaBytes));
  RETURN_IF_ERROR(Limit("ek.certificate", h.ek().certificate().size(),
                        kMaxCertificateBytes));
  RETURN_IF_ERROR(Limit("ek.chain_certificates (count)",
                        h.ek().chain_certificates_size(),
                        kMaxChainCertificates));
  for (const auto& c : h.ek().chain_certificates()) {
    RETURN_IF_ERROR(
        Limit("ek.chain_certificates[]", c.size(), kMaxCertificateBytes));
  }
  RETURN_IF_ERROR(Limit("ak.public_area", h.ak().public_area().size(),
                        kMaxPublicAreaBytes));
  RETURN_IF_ERROR(Limit("ak.name", h.ak().name().size(), kMaxNameBytes));
  RETURN_IF_ERROR(Limit("labels (count)", h.labels_size(), kMaxLabels));
  for (const auto& [k, v] : h.labels()) {
    RETURN_IF_ERROR(Limit("labels key", k.size(), kMaxLabelKeyBytes));
    RETURN_IF_ERROR(Limit("labels value", v.size(), kMaxLabelValueBytes));
  }
  return absl::OkStatus();
}

namespace {

absl::Status BadText(absl::string_view field, absl::string_view value,
                     absl::string_view rule) {
  // The value is the guest's: shown escaped, never raw.
  return ReasonError(vtpm_attest::v1::INVALID_TEXT,
                     absl::StrCat("Hello.", field, " \"",
                                  PrintableText(value, 64), "\" ", rule));
}

bool AllOf(absl::string_view s, bool (*ok)(char)) {
  for (char c : s) {
    if (!ok(c)) return false;
  }
  return true;
}

bool PrintableAscii(char c) { return c >= 0x20 && c <= 0x7e; }
bool MachineIdChar(char c) {
  return absl::ascii_isxdigit(c) || c == '-' || c == '{' || c == '}';
}
bool OsNameChar(char c) {
  return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-';
}

}  // namespace

std::string PrintableText(absl::string_view text, size_t max_bytes) {
  std::string out;
  for (unsigned char c : text.substr(0, max_bytes)) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    }
  }
  if (text.size() > max_bytes) out += "...";
  return out;
}

bool IsCanonicalUuid(absl::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !absl::ascii_isxdigit(s[i])) return false;
  }
  return true;
}

absl::Status CheckHelloText(const vtpm_attest::v1::Hello& h) {
  const auto& host = h.host();
  if (!AllOf(h.agent_version(), PrintableAscii)) {
    return BadText("agent_version", h.agent_version(),
                   "is not printable ASCII");
  }
  if (!AllOf(host.os(), OsNameChar)) {
    return BadText("host.os", host.os(),
                   "is not lower-case letters, digits and '-'");
  }
  if (!AllOf(host.os_version(), PrintableAscii)) {
    return BadText("host.os_version", host.os_version(),
                   "is not printable ASCII");
  }
  if (!IsValidHostname(host.hostname())) {
    return BadText("host.hostname", host.hostname(),
                   "is not a host name (letters, digits, '.', '-', '_'; not "
                   "starting with '-' or '.')");
  }
  if (!host.vm_uuid().empty() && !IsCanonicalUuid(host.vm_uuid())) {
    return BadText("host.vm_uuid", host.vm_uuid(),
                   "is not a UUID in 8-4-4-4-12 hex form");
  }
  if (!AllOf(host.machine_id(), MachineIdChar)) {
    return BadText("host.machine_id", host.machine_id(),
                   "is not hex digits, '-', '{' and '}'");
  }
  const auto& tpm = h.tpm();
  for (const auto& [field, value] :
       {std::pair<absl::string_view, absl::string_view>{"tpm.family",
                                                        tpm.family()},
        {"tpm.manufacturer", tpm.manufacturer()},
        {"tpm.vendor", tpm.vendor()}}) {
    if (!AllOf(value, PrintableAscii)) {
      return BadText(field, value, "is not printable ASCII");
    }
  }
  for (const auto& [k, v] : h.labels()) {
    if (!IsValidLabelKey(k)) {
      return BadText("labels key", k,
                     "is not a label key (letters, digits, '.', '_', '-', "
                     "'/'; starting with a letter or digit)");
    }
    if (!IsValidLabelValue(v)) {
      return BadText(absl::StrCat("labels[", k, "]"), v,
                     "is not printable ASCII");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<TPMT_PUBLIC> VerifyAkPublic(
    const vtpm_attest::v1::AttestationKey& ak) {
  auto parsed = ParsePublic(ak.public_area());
  if (!parsed.ok()) {
    return ReasonError(
        MALFORMED_MESSAGE,
        absl::StrCat("AK public area: ", parsed.status().message()));
  }
  const TPMT_PUBLIC& pub = parsed->publicArea;
  constexpr TPMA_OBJECT kRequired =
      TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_RESTRICTED |
      TPMA_OBJECT_SIGN_ENCRYPT;
  if ((pub.objectAttributes & kRequired) != kRequired ||
      (pub.objectAttributes & TPMA_OBJECT_DECRYPT)) {
    return ReasonError(
        AK_INVALID,
        absl::StrFormat("AK attributes 0x%08x: an AK must be a restricted "
                        "signing key with fixedTPM, fixedParent and "
                        "sensitiveDataOrigin, and must not decrypt",
                        pub.objectAttributes));
  }
  if (pub.type != TPM2_ALG_RSA && pub.type != TPM2_ALG_ECC) {
    return ReasonError(
        AK_INVALID,
        absl::StrFormat("AK type 0x%04x is not RSA or ECC", pub.type));
  }
  if (pub.nameAlg != TPM2_ALG_SHA256 && pub.nameAlg != TPM2_ALG_SHA384 &&
      pub.nameAlg != TPM2_ALG_SHA512) {
    return ReasonError(
        AK_INVALID, absl::StrFormat("AK nameAlg 0x%04x is weaker than SHA-256",
                                    pub.nameAlg));
  }
  auto key = PublicToEvp(pub);
  if (!key.ok()) {
    return ReasonError(AK_INVALID,
                       absl::StrCat("AK key: ", key.status().message()));
  }
  ASSIGN_OR_RETURN(std::string name, ComputeName(pub));
  if (!ConstantTimeEquals(name, ak.name())) {
    return ReasonError(AK_NAME_MISMATCH,
                       absl::StrCat("AK name claimed ", HexEncode(ak.name()),
                                    ", computed ", HexEncode(name)));
  }
  return pub;
}

absl::StatusOr<TPMT_PUBLIC> ParseEkPublic(absl::string_view bytes) {
  auto parsed = ParsePublic(bytes);
  if (!parsed.ok()) {
    return ReasonError(
        MALFORMED_MESSAGE,
        absl::StrCat("EK public area: ", parsed.status().message()));
  }
  const TPMT_PUBLIC& pub = parsed->publicArea;
  constexpr TPMA_OBJECT kRequired =
      TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_RESTRICTED |
      TPMA_OBJECT_DECRYPT;
  if ((pub.objectAttributes & kRequired) != kRequired ||
      (pub.objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT)) {
    return ReasonError(
        EK_PUBLIC_INVALID,
        absl::StrFormat("EK attributes 0x%08x: an EK is a restricted "
                        "decryption key fixed to its TPM that cannot sign",
                        pub.objectAttributes));
  }
  auto key = PublicToEvp(pub);
  if (!key.ok()) {
    return ReasonError(EK_PUBLIC_INVALID,
                       absl::StrCat("EK key: ", key.status().message()));
  }
  return pub;
}

}  // namespace vtpm::verifier
