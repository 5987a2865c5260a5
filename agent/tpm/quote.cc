#include "agent/tpm/quote.h"

#include <tss2/tss2_mu.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/tpm/signature.h"
#include "common/hex.h"
#include "common/status_macros.h"

namespace vtpm::agent {
namespace {

constexpr size_t kMaxNonce = sizeof(TPMU_HA);  // 64

absl::StatusOr<TPMI_ALG_HASH> SchemeHash(const TPMT_PUBLIC& pub) {
  TPMI_ALG_HASH h = TPM2_ALG_NULL;
  TPMI_ALG_ASYM_SCHEME scheme = TPM2_ALG_NULL;
  if (pub.type == TPM2_ALG_ECC) {
    scheme = pub.parameters.eccDetail.scheme.scheme;
    h = pub.parameters.eccDetail.scheme.details.anySig.hashAlg;
  } else if (pub.type == TPM2_ALG_RSA) {
    scheme = pub.parameters.rsaDetail.scheme.scheme;
    h = pub.parameters.rsaDetail.scheme.details.anySig.hashAlg;
  }
  if (scheme == TPM2_ALG_NULL || h == TPM2_ALG_NULL) {
    return absl::InvalidArgumentError("the AK has no signing scheme");
  }
  return h;
}

std::string AsString(const uint8_t* p, size_t n) {
  return std::string(reinterpret_cast<const char*>(p), n);
}

absl::StatusOr<TPMS_ATTEST> ParseAttest(absl::string_view bytes) {
  TPMS_ATTEST attest = {};
  size_t offset = 0;
  if (Tss2_MU_TPMS_ATTEST_Unmarshal(
          reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &offset,
          &attest) != TSS2_RC_SUCCESS ||
      offset != bytes.size()) {
    return absl::InternalError("the quote is not a TPMS_ATTEST");
  }
  return attest;
}

}  // namespace

absl::StatusOr<QuoteResult> Quote(TpmContext& ctx, const Ak& ak,
                                  absl::string_view nonce,
                                  const PcrSelection& sel) {
  return Quote(ctx, ak, nonce, sel, QuoteOptions());
}

absl::StatusOr<QuoteResult> Quote(TpmContext& ctx, const Ak& ak,
                                  absl::string_view nonce,
                                  const PcrSelection& sel,
                                  const QuoteOptions& options) {
  if (!ak.handle) return absl::InvalidArgumentError("the AK is not loaded");
  if (nonce.size() > kMaxNonce) {
    return absl::InvalidArgumentError(
        absl::StrFormat("nonce of %d bytes; TPM2_Quote takes at most %d",
                        nonce.size(), kMaxNonce));
  }
  if (sel.empty()) return absl::InvalidArgumentError("empty PCR selection");
  ASSIGN_OR_RETURN(TPMI_ALG_HASH hash, SchemeHash(ak.pub.publicArea));

  TPM2B_DATA qualifying = {};
  qualifying.size = static_cast<UINT16>(nonce.size());
  memcpy(qualifying.buffer, nonce.data(), nonce.size());
  TPMT_SIG_SCHEME scheme = {};
  scheme.scheme = TPM2_ALG_NULL;  // the AK's own scheme
  const TPML_PCR_SELECTION tpml = ToTpml(sel);

  const int attempts = std::max(1, options.max_attempts);
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    TPM2B_ATTEST* raw_quoted = nullptr;
    TPMT_SIGNATURE* raw_sig = nullptr;
    absl::Status st = RetryTpm("TPM2_Quote", [&] {
      Esys_Free(raw_quoted);
      Esys_Free(raw_sig);
      raw_quoted = nullptr;
      raw_sig = nullptr;
      return Esys_Quote(ctx.esys(), ak.handle.get(), ESYS_TR_PASSWORD,
                        ESYS_TR_NONE, ESYS_TR_NONE, &qualifying, &scheme, &tpml,
                        &raw_quoted, &raw_sig);
    });
    EsysPtr<TPM2B_ATTEST> quoted(raw_quoted);
    EsysPtr<TPMT_SIGNATURE> sig(raw_sig);
    RETURN_IF_ERROR(st);
    if (options.after_quote_for_testing) options.after_quote_for_testing(ctx);

    QuoteResult result;
    ASSIGN_OR_RETURN(result.pcrs, ReadPcrs(ctx, sel));
    result.attest = AsString(quoted->attestationData, quoted->size);

    ASSIGN_OR_RETURN(TPMS_ATTEST attest, ParseAttest(result.attest));
    if (attest.magic != TPM2_GENERATED_VALUE ||
        attest.type != TPM2_ST_ATTEST_QUOTE) {
      return absl::InternalError(absl::StrFormat(
          "TPM2_Quote returned magic 0x%08x type 0x%04x, not a quote",
          attest.magic, attest.type));
    }
    if (AsString(attest.extraData.buffer, attest.extraData.size) != nonce) {
      return absl::InternalError("the quote's extraData is not the nonce");
    }
    const TPMS_QUOTE_INFO& info = attest.attested.quote;
    ASSIGN_OR_RETURN(PcrSelection quoted_sel, FromTpml(info.pcrSelect));
    if (!(quoted_sel == sel)) {
      return absl::FailedPreconditionError(
          absl::StrCat("the TPM quoted PCRs ", PcrSelectionToString(quoted_sel),
                       " instead of ", PcrSelectionToString(sel),
                       " (are all requested banks allocated?)"));
    }
    ASSIGN_OR_RETURN(std::string digest,
                     ComputePcrDigest(sel, result.pcrs, hash));
    if (digest != AsString(info.pcrDigest.buffer, info.pcrDigest.size)) {
      continue;  // a PCR changed between quote and read
    }
    RETURN_IF_ERROR_CTX(
        [&]() -> absl::Status {
          absl::Status v =
              VerifyTpmSignature(ak.pub.publicArea, result.attest, *sig);
          if (v.ok()) return v;
          return absl::InternalError(v.message());
        }(),
        "the quote's signature does not verify with the AK");
    uint8_t buf[sizeof(TPMT_SIGNATURE)];
    size_t offset = 0;
    if (Tss2_MU_TPMT_SIGNATURE_Marshal(sig.get(), buf, sizeof(buf), &offset) !=
        TSS2_RC_SUCCESS) {
      return absl::InternalError("TPMT_SIGNATURE does not marshal");
    }
    result.signature = AsString(buf, offset);
    return result;
  }
  return absl::AbortedError(
      absl::StrCat("PCRs ", PcrSelectionToString(sel),
                   " kept changing between TPM2_Quote and TPM2_PCR_Read (",
                   attempts, " attempts)"));
}

}  // namespace vtpm::agent
