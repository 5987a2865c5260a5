#include "agent/tpm/ak.h"

#include <tss2/tss2_mu.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/tpm/ak_store.h"
#include "agent/tpm/ek_session.h"
#include "common/status_macros.h"
#include "common/tpm_public.h"
#include "common/tss_error.h"

namespace vtpm::agent {
namespace {

constexpr TPMA_OBJECT kAkAttributes =
    TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;

// Whether `pub` was made from AkTemplate(alg) (the key itself aside).
bool MatchesAkTemplate(const TPMT_PUBLIC& pub, AkAlgorithm alg) {
  const TPMT_PUBLIC t = AkTemplate(alg).publicArea;
  if (pub.type != t.type || pub.nameAlg != t.nameAlg ||
      pub.objectAttributes != t.objectAttributes || pub.authPolicy.size != 0) {
    return false;
  }
  if (t.type == TPM2_ALG_ECC) {
    const auto& a = pub.parameters.eccDetail;
    const auto& b = t.parameters.eccDetail;
    return a.symmetric.algorithm == TPM2_ALG_NULL &&
           a.scheme.scheme == b.scheme.scheme &&
           a.scheme.details.ecdsa.hashAlg == b.scheme.details.ecdsa.hashAlg &&
           a.curveID == b.curveID && a.kdf.scheme == TPM2_ALG_NULL;
  }
  const auto& a = pub.parameters.rsaDetail;
  const auto& b = t.parameters.rsaDetail;
  return a.symmetric.algorithm == TPM2_ALG_NULL &&
         a.scheme.scheme == b.scheme.scheme &&
         a.scheme.details.rsassa.hashAlg == b.scheme.details.rsassa.hashAlg &&
         a.keyBits == b.keyBits && (a.exponent == 0 || a.exponent == 65537);
}

absl::StatusOr<SavedAk> CreateAk(TpmContext& ctx, const Ek& ek,
                                 AkAlgorithm alg) {
  ASSIGN_OR_RETURN(ScopedHandle session,
                   StartEkPolicySession(ctx, ek.pub.publicArea));
  TPM2B_SENSITIVE_CREATE sensitive = {};
  TPM2B_PUBLIC tmpl = AkTemplate(alg);
  TPM2B_DATA outside = {};
  TPML_PCR_SELECTION pcrs = {};
  TPM2B_PRIVATE* priv = nullptr;
  TPM2B_PUBLIC* pub = nullptr;
  absl::Status st = RetryTpm(
      absl::StrCat("TPM2_Create(AK ", AkAlgorithmName(alg), ") under the EK"),
      [&] {
        Esys_Free(priv);
        Esys_Free(pub);
        priv = nullptr;
        pub = nullptr;
        return Esys_Create(ctx.esys(), ek.handle.get(), session.get(),
                           ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &tmpl,
                           &outside, &pcrs, &priv, &pub, nullptr, nullptr,
                           nullptr);
      });
  EsysPtr<TPM2B_PRIVATE> owned_priv(priv);
  EsysPtr<TPM2B_PUBLIC> owned_pub(pub);
  RETURN_IF_ERROR(st);
  SavedAk saved;
  saved.pub = *owned_pub;
  saved.priv = *owned_priv;
  saved.ek_name = ek.name;
  return saved;
}

absl::StatusOr<Ak> LoadAk(TpmContext& ctx, const Ek& ek, const SavedAk& saved) {
  ASSIGN_OR_RETURN(ScopedHandle session,
                   StartEkPolicySession(ctx, ek.pub.publicArea));
  ESYS_TR raw = ESYS_TR_NONE;
  RETURN_IF_ERROR(RetryTpm("TPM2_Load(AK) under the EK", [&] {
    return Esys_Load(ctx.esys(), ek.handle.get(), session.get(), ESYS_TR_NONE,
                     ESYS_TR_NONE, &saved.priv, &saved.pub, &raw);
  }));
  Ak ak;
  ak.handle = ScopedHandle(ctx, raw, ScopedHandle::Kind::kFlush);
  ak.pub = saved.pub;
  ASSIGN_OR_RETURN(ak.name, ComputeName(ak.pub.publicArea));
  // ESAPI checked the TPM's name for the loaded object against the public
  // area; compare ours with ESAPI's as well.
  TPM2B_NAME* esys_name = nullptr;
  RETURN_IF_ERROR(TssStatus(Esys_TR_GetName(ctx.esys(), raw, &esys_name),
                            "Esys_TR_GetName(AK)"));
  EsysPtr<TPM2B_NAME> owned_name(esys_name);
  if (ak.name != std::string(reinterpret_cast<const char*>(esys_name->name),
                             esys_name->size)) {
    return absl::InternalError("the loaded AK's name differs from ak.pub's");
  }
  return ak;
}

// Errors that say "this TPM cannot do anything now" rather than "this saved
// AK is bad": no reason to throw the AK away.
bool IsTpmTrouble(const absl::Status& st) {
  return st.code() == absl::StatusCode::kUnavailable ||
         st.code() == absl::StatusCode::kFailedPrecondition;
}

}  // namespace

const char* AkAlgorithmName(AkAlgorithm alg) {
  switch (alg) {
    case AkAlgorithm::kEccP256:
      return "ecc256";
    case AkAlgorithm::kRsa2048:
      return "rsa2048";
  }
  return "?";
}

TPM2B_PUBLIC AkTemplate(AkAlgorithm alg) {
  TPM2B_PUBLIC t = {};
  TPMT_PUBLIC& p = t.publicArea;
  p.nameAlg = TPM2_ALG_SHA256;
  p.objectAttributes = kAkAttributes;
  switch (alg) {
    case AkAlgorithm::kEccP256: {
      p.type = TPM2_ALG_ECC;
      auto& ecc = p.parameters.eccDetail;
      ecc.symmetric.algorithm = TPM2_ALG_NULL;
      ecc.scheme.scheme = TPM2_ALG_ECDSA;
      ecc.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
      ecc.curveID = TPM2_ECC_NIST_P256;
      ecc.kdf.scheme = TPM2_ALG_NULL;
      break;
    }
    case AkAlgorithm::kRsa2048: {
      p.type = TPM2_ALG_RSA;
      auto& rsa = p.parameters.rsaDetail;
      rsa.symmetric.algorithm = TPM2_ALG_NULL;
      rsa.scheme.scheme = TPM2_ALG_RSASSA;
      rsa.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
      rsa.keyBits = 2048;
      rsa.exponent = 0;
      break;
    }
  }
  return t;
}

absl::StatusOr<Ak> LoadOrCreateAk(TpmContext& ctx, const Ek& ek,
                                  const std::string& state_dir,
                                  AkAlgorithm alg) {
  if (!ek.handle) return absl::InvalidArgumentError("the EK is not loaded");
  RETURN_IF_ERROR(EnsureDirectory(state_dir));
  std::string because;
  auto saved = ReadSavedAk(state_dir);
  if (saved.ok()) {
    if (saved->ek_name != ek.name) {
      because = "the saved AK belongs to another EK";
    } else if (!MatchesAkTemplate(saved->pub.publicArea, alg)) {
      because = absl::StrCat("the saved AK is not an ", AkAlgorithmName(alg),
                             " AK of the expected template");
    } else {
      auto ak = LoadAk(ctx, ek, *saved);
      if (ak.ok()) return ak;
      if (IsTpmTrouble(ak.status())) {
        return Annotate(ak.status(), "loading the saved AK");
      }
      because = absl::StrCat("the TPM did not load the saved AK: ",
                             ak.status().message());
    }
  } else if (!absl::IsNotFound(saved.status())) {
    because =
        absl::StrCat("the saved AK is unreadable: ", saved.status().message());
  }

  ASSIGN_OR_RETURN(SavedAk fresh, CreateAk(ctx, ek, alg));
  RETURN_IF_ERROR_CTX(WriteSavedAk(state_dir, fresh), "saving the new AK");
  ASSIGN_OR_RETURN(Ak ak, LoadAk(ctx, ek, fresh));
  ak.created = true;
  ak.recreated_because = because;
  return ak;
}

absl::StatusOr<std::string> ActivateCredential(
    TpmContext& ctx, const Ek& ek, const Ak& ak,
    absl::string_view credential_blob, absl::string_view encrypted_secret) {
  if (!ek.handle || !ak.handle) {
    return absl::InvalidArgumentError("the EK or AK is not loaded");
  }
  TPM2B_ID_OBJECT blob = {};
  size_t offset = 0;
  if (Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(
          reinterpret_cast<const uint8_t*>(credential_blob.data()),
          credential_blob.size(), &offset, &blob) != TSS2_RC_SUCCESS ||
      offset != credential_blob.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "the credential blob (%d bytes) is not a TPM2B_ID_OBJECT",
        credential_blob.size()));
  }
  TPM2B_ENCRYPTED_SECRET secret = {};
  offset = 0;
  if (Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(
          reinterpret_cast<const uint8_t*>(encrypted_secret.data()),
          encrypted_secret.size(), &offset, &secret) != TSS2_RC_SUCCESS ||
      offset != encrypted_secret.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "the encrypted secret (%d bytes) is not a TPM2B_ENCRYPTED_SECRET",
        encrypted_secret.size()));
  }

  ASSIGN_OR_RETURN(ScopedHandle session,
                   StartEkPolicySession(ctx, ek.pub.publicArea));
  TPM2B_DIGEST* cert_info = nullptr;
  TSS2_RC rc = TSS2_RC_SUCCESS;
  absl::Status st = RetryTpm("TPM2_ActivateCredential", [&] {
    Esys_Free(cert_info);
    cert_info = nullptr;
    rc = Esys_ActivateCredential(ctx.esys(), ak.handle.get(), ek.handle.get(),
                                 ESYS_TR_PASSWORD, session.get(), ESYS_TR_NONE,
                                 &blob, &secret, &cert_info);
    return rc;
  });
  EsysPtr<TPM2B_DIGEST> owned(cert_info);
  if (!st.ok()) {
    for (TSS2_RC code : {TPM2_RC_INTEGRITY, TPM2_RC_VALUE, TPM2_RC_ECC_POINT,
                         TPM2_RC_SIZE, TPM2_RC_SCHEME}) {
      if (IsTpmRc(rc, code)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "the credential was not made for this EK and AK name: ",
            st.message()));
      }
    }
    return st;
  }
  return std::string(reinterpret_cast<const char*>(owned->buffer), owned->size);
}

}  // namespace vtpm::agent
