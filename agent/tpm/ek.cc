#include "agent/tpm/ek.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "agent/tpm/capability.h"
#include "agent/tpm/der.h"
#include "agent/tpm/ek_session.h"
#include "agent/tpm/ek_template.h"
#include "agent/tpm/nv.h"
#include "common/ossl.h"
#include "common/status_macros.h"
#include "common/tpm_public.h"

namespace vtpm::agent {
namespace {

constexpr TPM2_HANDLE kEkNvFirst = 0x01c00000;
constexpr TPM2_HANDLE kChainFirst = 0x01c00100;
constexpr TPM2_HANDLE kChainLast = 0x01c001ff;

struct EkSlot {
  EkAlgorithm alg;
  TPM2_HANDLE cert_index;
  TPM2_HANDLE persistent;
  EkTemplateId tmpl;
};

// In kAuto preference order.
constexpr EkSlot kSlots[] = {
    {EkAlgorithm::kRsa2048, 0x01c00002, 0x81010001, EkTemplateId::kL1Rsa2048},
    {EkAlgorithm::kRsa2048, 0x01c00012, 0x81010012, EkTemplateId::kH1Rsa2048},
    {EkAlgorithm::kEccP384, 0x01c00016, 0x81010016, EkTemplateId::kH3EccP384},
    {EkAlgorithm::kEccP256, 0x01c0000a, 0x81010002, EkTemplateId::kL2EccP256},
    {EkAlgorithm::kEccP256, 0x01c00014, 0x81010014, EkTemplateId::kH2EccP256},
};

struct LoadedKey {
  ScopedHandle handle;
  TPM2B_PUBLIC pub = {};
};

absl::StatusOr<LoadedKey> ReadPersistent(TpmContext& ctx, TPM2_HANDLE h) {
  ESYS_TR raw = ESYS_TR_NONE;
  RETURN_IF_ERROR(RetryTpm("Esys_TR_FromTPMPublic", [&] {
    return Esys_TR_FromTPMPublic(ctx.esys(), h, ESYS_TR_NONE, ESYS_TR_NONE,
                                 ESYS_TR_NONE, &raw);
  }));
  LoadedKey key;
  key.handle = ScopedHandle(ctx, raw, ScopedHandle::Kind::kClose);
  TPM2B_PUBLIC* pub = nullptr;
  RETURN_IF_ERROR(RetryTpm("TPM2_ReadPublic", [&] {
    Esys_Free(pub);
    pub = nullptr;
    return Esys_ReadPublic(ctx.esys(), key.handle.get(), ESYS_TR_NONE,
                           ESYS_TR_NONE, ESYS_TR_NONE, &pub, nullptr, nullptr);
  }));
  key.pub = *pub;
  Esys_Free(pub);
  return key;
}

absl::StatusOr<LoadedKey> CreateFromTemplate(TpmContext& ctx, EkTemplateId id) {
  TPM2B_PUBLIC tmpl = EkTemplate(id);
  TPM2B_SENSITIVE_CREATE sensitive = {};
  TPM2B_DATA outside = {};
  TPML_PCR_SELECTION pcrs = {};
  ESYS_TR raw = ESYS_TR_NONE;
  TPM2B_PUBLIC* pub = nullptr;
  TSS2_RC rc = TSS2_RC_SUCCESS;
  absl::Status st = RetryTpm(
      absl::StrCat("TPM2_CreatePrimary(endorsement, ", EkTemplateName(id), ")"),
      [&] {
        Esys_Free(pub);
        pub = nullptr;
        rc = Esys_CreatePrimary(ctx.esys(), ESYS_TR_RH_ENDORSEMENT,
                                ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                                &sensitive, &tmpl, &outside, &pcrs, &raw, &pub,
                                nullptr, nullptr, nullptr);
        return rc;
      });
  EsysPtr<TPM2B_PUBLIC> owned_pub(pub);
  RETURN_IF_ERROR(ExplainEndorsementAuth(st, rc));
  LoadedKey key;
  key.handle = ScopedHandle(ctx, raw, ScopedHandle::Kind::kFlush);
  key.pub = *owned_pub;
  return key;
}

bool Contains(const std::vector<TPM2_HANDLE>& v, TPM2_HANDLE h) {
  return std::binary_search(v.begin(), v.end(), h);
}

// Reads the chain range; indices that do not hold certificates are noted.
absl::Status ReadChain(TpmContext& ctx, const std::vector<TPM2_HANDLE>& nv,
                       Ek& ek) {
  for (TPM2_HANDLE index : nv) {
    if (index < kChainFirst || index > kChainLast) continue;
    auto data = ReadNvIndex(ctx, index);
    if (absl::IsNotFound(data.status())) continue;
    if (!data.ok()) {
      ek.notes.push_back(absl::StrFormat("EK chain NV index 0x%08x: %s", index,
                                         data.status().message()));
      continue;
    }
    auto certs = SplitDerCertificates(*data);
    if (!certs.ok()) {
      ek.notes.push_back(absl::StrFormat("EK chain NV index 0x%08x skipped: %s",
                                         index, certs.status().message()));
      continue;
    }
    for (auto& c : *certs) ek.chain_der.push_back(std::move(c));
  }
  return absl::OkStatus();
}

// Fills `ek` for `slot`: its certificate when `has_cert`, then the
// persistent EK if it is the right key, else the template EK.
absl::Status LoadEkAt(TpmContext& ctx, const EkSlot& slot, bool has_cert,
                      Ek& ek) {
  ek.algorithm = slot.alg;
  X509Ptr cert;
  if (has_cert) {
    const std::string where =
        absl::StrFormat("EK certificate at NV 0x%08x", slot.cert_index);
    ASSIGN_OR_RETURN(std::string data, ReadNvIndex(ctx, slot.cert_index));
    auto der = TrimToDerCertificate(data);
    if (!der.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": ", der.status().message()));
    }
    ASSIGN_OR_RETURN(cert, ParseDerCertificate(*der));
    ek.cert_der = *std::move(der);
    ek.cert_nv_index = slot.cert_index;
  }
  EVP_PKEY* cert_key = cert ? X509_get0_pubkey(cert.get()) : nullptr;
  if (cert && cert_key == nullptr) {
    return OsslError("EK certificate public key",
                     absl::StatusCode::kInvalidArgument);
  }
  // Whether `pub` is the EK we look for.
  auto is_our_ek = [&](const TPMT_PUBLIC& pub) {
    if (cert_key == nullptr) return MatchesEkTemplate(pub, slot.tmpl);
    auto match = PublicMatchesEvp(pub, cert_key);
    return match.ok() && *match;  // not ok: another key type
  };

  ASSIGN_OR_RETURN(auto persistent,
                   ListHandles(ctx, slot.persistent, slot.persistent));
  if (!persistent.empty()) {
    ASSIGN_OR_RETURN(LoadedKey key, ReadPersistent(ctx, slot.persistent));
    if (is_our_ek(key.pub.publicArea)) {
      ek.handle = std::move(key.handle);
      ek.pub = key.pub;
      ek.persistent_handle = slot.persistent;
      return absl::OkStatus();
    }
    ek.notes.push_back(absl::StrFormat(
        "the persistent key at 0x%08x is not %s; using the EK created from "
        "template %s",
        slot.persistent,
        has_cert ? "the key of the EK certificate" : "a default-template EK",
        EkTemplateName(slot.tmpl)));
  }
  ASSIGN_OR_RETURN(LoadedKey key, CreateFromTemplate(ctx, slot.tmpl));
  if (!is_our_ek(key.pub.publicArea)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "the EK certificate at NV 0x%08x does not certify this TPM's EK: "
        "its public key equals neither the persistent key at 0x%08x (%s) "
        "nor the key TPM2_CreatePrimary makes from the TCG default template "
        "%s",
        slot.cert_index, slot.persistent,
        persistent.empty() ? "absent" : "different",
        EkTemplateName(slot.tmpl)));
  }
  ek.handle = std::move(key.handle);
  ek.pub = key.pub;
  return absl::OkStatus();
}

}  // namespace

const char* EkAlgorithmName(EkAlgorithm alg) {
  switch (alg) {
    case EkAlgorithm::kAuto:
      return "auto";
    case EkAlgorithm::kRsa2048:
      return "rsa2048";
    case EkAlgorithm::kEccP256:
      return "ecc256";
    case EkAlgorithm::kEccP384:
      return "ecc384";
  }
  return "?";
}

absl::StatusOr<Ek> LoadEk(TpmContext& ctx, EkAlgorithm alg) {
  ASSIGN_OR_RETURN(std::vector<TPM2_HANDLE> nv,
                   ListHandles(ctx, kEkNvFirst, kChainLast));
  Ek ek;
  bool done = false;
  for (const EkSlot& s : kSlots) {
    if ((alg == EkAlgorithm::kAuto || s.alg == alg) &&
        Contains(nv, s.cert_index)) {
      RETURN_IF_ERROR(LoadEkAt(ctx, s, /*has_cert=*/true, ek));
      done = true;
      break;
    }
  }
  if (!done) {
    // No certificate: the first default template of the algorithm; for
    // kAuto RSA-2048 (L-1), or ECC P-256 (L-2) on a TPM without RSA.
    const EkSlot* first = nullptr;
    for (const EkSlot& s : kSlots) {
      if (alg == EkAlgorithm::kAuto || s.alg == alg) {
        first = &s;
        break;
      }
    }
    absl::Status st = LoadEkAt(ctx, *first, /*has_cert=*/false, ek);
    if (!st.ok() && alg == EkAlgorithm::kAuto && !absl::IsUnavailable(st) &&
        !absl::IsFailedPrecondition(st)) {
      ek = Ek();
      ek.notes.push_back(
          absl::StrCat("no RSA EK (", st.message(), "); using ECC P-256"));
      for (const EkSlot& s : kSlots) {
        if (s.tmpl == EkTemplateId::kL2EccP256) {
          st = LoadEkAt(ctx, s, /*has_cert=*/false, ek);
        }
      }
    }
    RETURN_IF_ERROR(st);
  }
  ASSIGN_OR_RETURN(ek.name, ComputeName(ek.pub.publicArea));
  RETURN_IF_ERROR(ReadChain(ctx, nv, ek));
  return ek;
}

}  // namespace vtpm::agent
