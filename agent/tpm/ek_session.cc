#include "agent/tpm/ek_session.h"

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "agent/tpm/ek_template.h"
#include "common/hex.h"
#include "common/status_macros.h"
#include "common/tpm_alg.h"

namespace vtpm::agent {
namespace {

bool Equals(const TPM2B_DIGEST& d, const std::string& s) {
  return d.size == s.size() && memcmp(d.buffer, s.data(), s.size()) == 0;
}

void SetDigest(TPM2B_DIGEST* out, const std::string& d) {
  out->size = static_cast<UINT16>(d.size());
  memcpy(out->buffer, d.data(), d.size());
}

}  // namespace

absl::Status ExplainEndorsementAuth(absl::Status status, TSS2_RC rc) {
  if (status.ok()) return status;
  if (IsTpmRc(rc, TPM2_RC_BAD_AUTH) || IsTpmRc(rc, TPM2_RC_AUTH_FAIL)) {
    return absl::FailedPreconditionError(absl::StrCat(
        status.message(),
        " - the endorsement hierarchy has a password; vtpm-attest needs it "
        "empty (tpm2_changeauth -c e)"));
  }
  return status;
}

absl::StatusOr<ScopedHandle> StartEkPolicySession(TpmContext& ctx,
                                                  const TPMT_PUBLIC& ek) {
  const TPMI_ALG_HASH hash = ek.nameAlg;
  ASSIGN_OR_RETURN(std::string policy_a, EkPolicyA(hash));
  ASSIGN_OR_RETURN(std::string policy_b, EkPolicyB(hash));
  const bool needs_or = Equals(ek.authPolicy, policy_b);
  if (!needs_or && !Equals(ek.authPolicy, policy_a)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the EK's authPolicy ",
        HexEncode(absl::string_view(
            reinterpret_cast<const char*>(ek.authPolicy.buffer),
            ek.authPolicy.size)),
        " is neither PolicyA nor PolicyB of the TCG EK Credential Profile"));
  }

  TPMT_SYM_DEF sym = {};
  sym.algorithm = TPM2_ALG_NULL;
  ESYS_TR raw = ESYS_TR_NONE;
  RETURN_IF_ERROR(RetryTpm("TPM2_StartAuthSession(policy)", [&] {
    return Esys_StartAuthSession(ctx.esys(), ESYS_TR_NONE, ESYS_TR_NONE,
                                 ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                 nullptr, TPM2_SE_POLICY, &sym, hash, &raw);
  }));
  ScopedHandle session(ctx, raw, ScopedHandle::Kind::kFlush);

  TPM2B_NONCE nonce_tpm = {};
  TPM2B_DIGEST cp_hash = {};
  TPM2B_NONCE policy_ref = {};
  TSS2_RC rc = TSS2_RC_SUCCESS;
  absl::Status st =
      RetryTpm("TPM2_PolicySecret(TPM_RH_ENDORSEMENT)", [&]() -> TSS2_RC {
        TPM2B_TIMEOUT* timeout = nullptr;
        TPMT_TK_AUTH* ticket = nullptr;
        rc = Esys_PolicySecret(ctx.esys(), ESYS_TR_RH_ENDORSEMENT,
                               session.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE,
                               ESYS_TR_NONE, &nonce_tpm, &cp_hash, &policy_ref,
                               0, &timeout, &ticket);
        Esys_Free(timeout);
        Esys_Free(ticket);
        return rc;
      });
  RETURN_IF_ERROR(ExplainEndorsementAuth(st, rc));

  if (needs_or) {
    ASSIGN_OR_RETURN(std::string policy_c, EkPolicyC(hash));
    TPML_DIGEST list = {};
    list.count = 2;
    SetDigest(&list.digests[0], policy_a);
    SetDigest(&list.digests[1], policy_c);
    RETURN_IF_ERROR(RetryTpm("TPM2_PolicyOR(PolicyA, PolicyC)", [&] {
      return Esys_PolicyOR(ctx.esys(), session.get(), ESYS_TR_NONE,
                           ESYS_TR_NONE, ESYS_TR_NONE, &list);
    }));
  }
  return session;
}

}  // namespace vtpm::agent
