#include "verifier/service/hello_checks.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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
  RETURN_IF_ERROR(
      Limit("agent_version", h.agent_version().size(), kMaxStringBytes));
  RETURN_IF_ERROR(
      Limit("host.hostname", h.host().hostname().size(), kMaxStringBytes));
  RETURN_IF_ERROR(
      Limit("host.os_version", h.host().os_version().size(), kMaxStringBytes));
  RETURN_IF_ERROR(
      Limit("host.vm_uuid", h.host().vm_uuid().size(), kMaxStringBytes));
  RETURN_IF_ERROR(
      Limit("host.machine_id", h.host().machine_id().size(), kMaxStringBytes));
  RETURN_IF_ERROR(
      Limit("tpm.vendor", h.tpm().vendor().size(), kMaxStringBytes));
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
    RETURN_IF_ERROR(Limit("labels key", k.size(), kMaxStringBytes));
    RETURN_IF_ERROR(Limit("labels value", v.size(), kMaxStringBytes));
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
