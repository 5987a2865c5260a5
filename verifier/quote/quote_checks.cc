#include "verifier/quote/quote_checks.h"

#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/hex.h"
#include "common/ossl.h"
#include "common/reason.h"
#include "common/tpm_alg.h"
#include "verifier/quote/digest.h"
#include "verifier/quote/quote_verifier.h"

namespace vtpm::verifier {
namespace {

namespace v1 = ::vtpm_attest::v1;

std::string SchemeName(TPMI_ALG_SIG_SCHEME scheme) {
  switch (scheme) {
    case TPM2_ALG_NULL:
      return "null";
    case TPM2_ALG_RSASSA:
      return "rsassa";
    case TPM2_ALG_RSAPSS:
      return "rsapss";
    case TPM2_ALG_ECDSA:
      return "ecdsa";
    case TPM2_ALG_ECDAA:
      return "ecdaa";
    case TPM2_ALG_SM2:
      return "sm2";
    case TPM2_ALG_ECSCHNORR:
      return "ecschnorr";
    case TPM2_ALG_HMAC:
      return "hmac";
    default:
      return absl::StrFormat("0x%04x", scheme);
  }
}

// The AK's own signing scheme (TPM2_ALG_NULL when it has none) and hash.
void AkScheme(const TPMT_PUBLIC& pub, TPMI_ALG_SIG_SCHEME* scheme,
              TPMI_ALG_HASH* hash) {
  *scheme = TPM2_ALG_NULL;
  *hash = TPM2_ALG_NULL;
  if (pub.type == TPM2_ALG_RSA) {
    *scheme = pub.parameters.rsaDetail.scheme.scheme;
    *hash = pub.parameters.rsaDetail.scheme.details.anySig.hashAlg;
  } else if (pub.type == TPM2_ALG_ECC) {
    *scheme = pub.parameters.eccDetail.scheme.scheme;
    *hash = pub.parameters.eccDetail.scheme.details.anySig.hashAlg;
  }
}

}  // namespace

absl::Status CheckSizeLimits(absl::string_view attest,
                             absl::string_view signature) {
  if (attest.size() > kMaxAttestSize) {
    return ReasonError(v1::OVERSIZED_MESSAGE,
                       absl::StrFormat("attest is %d bytes, limit %d",
                                       attest.size(), kMaxAttestSize));
  }
  if (signature.size() > kMaxSignatureSize) {
    return ReasonError(v1::OVERSIZED_MESSAGE,
                       absl::StrFormat("signature is %d bytes, limit %d",
                                       signature.size(), kMaxSignatureSize));
  }
  return absl::OkStatus();
}

absl::Status CheckAk(const PreparedAk& ak, std::string* note) {
  if (ak.type() == TPM2_ALG_RSA) {
    if (ak.bits() < 2048) {
      return ReasonError(v1::AK_INVALID,
                         absl::StrCat("RSA AK of ", ak.bits(),
                                      " bits; at least 2048 required"));
    }
  } else if (ak.type() == TPM2_ALG_ECC) {
    if (ak.bits() != 256 && ak.bits() != 384 && ak.bits() != 521) {
      return ReasonError(v1::AK_INVALID, "ECC AK on an unsupported curve");
    }
  } else {
    return ReasonError(v1::AK_INVALID, "AK is neither RSA nor ECC");
  }
  const TPMT_PUBLIC* pub = ak.public_area();
  if (pub == nullptr) {
    *note =
        "bare public key: object attributes (restricted, sign, fixedTPM, "
        "sensitiveDataOrigin, decrypt) and the key's own scheme not checked";
    return absl::OkStatus();
  }
  struct Want {
    TPMA_OBJECT bit;
    bool set;
    const char* name;
  };
  static constexpr Want kWant[] = {
      {TPMA_OBJECT_SIGN_ENCRYPT, true, "sign"},
      {TPMA_OBJECT_RESTRICTED, true, "restricted"},
      {TPMA_OBJECT_FIXEDTPM, true, "fixedTPM"},
      {TPMA_OBJECT_SENSITIVEDATAORIGIN, true, "sensitiveDataOrigin"},
      {TPMA_OBJECT_DECRYPT, false, "decrypt"},
  };
  std::vector<std::string> wrong;
  for (const Want& w : kWant) {
    bool is_set = (pub->objectAttributes & w.bit) != 0;
    if (is_set != w.set) {
      wrong.push_back(absl::StrCat(w.name, w.set ? " not set" : " set"));
    }
  }
  if (!wrong.empty()) {
    return ReasonError(
        v1::AK_INVALID,
        absl::StrFormat("AK is not a restricted signing key (attributes "
                        "0x%08x: %s)",
                        pub->objectAttributes, absl::StrJoin(wrong, ", ")));
  }
  return absl::OkStatus();
}

absl::Status UnmarshalSignature(absl::string_view bytes, TPMT_SIGNATURE* out) {
  size_t offset = 0;
  *out = {};
  TSS2_RC rc = Tss2_MU_TPMT_SIGNATURE_Unmarshal(
      reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &offset,
      out);
  if (rc != TSS2_RC_SUCCESS) {
    return ReasonError(
        v1::QUOTE_MALFORMED,
        absl::StrFormat("TPMT_SIGNATURE of %d bytes does not unmarshal "
                        "(rc 0x%x)",
                        bytes.size(), rc));
  }
  if (offset != bytes.size()) {
    return ReasonError(v1::QUOTE_MALFORMED,
                       absl::StrFormat("TPMT_SIGNATURE has %d trailing bytes",
                                       bytes.size() - offset));
  }
  return absl::OkStatus();
}

absl::Status UnmarshalAttest(absl::string_view bytes, TPMS_ATTEST* out) {
  size_t offset = 0;
  *out = {};
  TSS2_RC rc = Tss2_MU_TPMS_ATTEST_Unmarshal(
      reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &offset,
      out);
  if (rc != TSS2_RC_SUCCESS) {
    return ReasonError(
        v1::QUOTE_MALFORMED,
        absl::StrFormat("TPMS_ATTEST of %d bytes does not unmarshal (rc 0x%x)",
                        bytes.size(), rc));
  }
  if (offset != bytes.size()) {
    return ReasonError(v1::QUOTE_MALFORMED,
                       absl::StrFormat("TPMS_ATTEST has %d trailing bytes",
                                       bytes.size() - offset));
  }
  return absl::OkStatus();
}

TPMI_ALG_HASH SignatureHash(const TPMT_SIGNATURE& sig) {
  switch (sig.sigAlg) {
    case TPM2_ALG_RSASSA:
      return sig.signature.rsassa.hash;
    case TPM2_ALG_RSAPSS:
      return sig.signature.rsapss.hash;
    case TPM2_ALG_ECDSA:
      return sig.signature.ecdsa.hash;
    case TPM2_ALG_ECDAA:
      return sig.signature.ecdaa.hash;
    case TPM2_ALG_SM2:
      return sig.signature.sm2.hash;
    case TPM2_ALG_ECSCHNORR:
      return sig.signature.ecschnorr.hash;
    case TPM2_ALG_HMAC:
      return sig.signature.hmac.hashAlg;
    default:
      return TPM2_ALG_NULL;
  }
}

absl::Status CheckScheme(const PreparedAk& ak, const TPMT_SIGNATURE& sig) {
  TPMI_ALG_HASH hash = SignatureHash(sig);
  bool scheme_ok = false;
  bool hash_ok = false;
  if (ak.type() == TPM2_ALG_ECC) {
    scheme_ok = sig.sigAlg == TPM2_ALG_ECDSA;
    hash_ok = hash == TPM2_ALG_SHA256 || hash == TPM2_ALG_SHA384;
  } else if (ak.type() == TPM2_ALG_RSA) {
    scheme_ok = sig.sigAlg == TPM2_ALG_RSASSA || sig.sigAlg == TPM2_ALG_RSAPSS;
    hash_ok = hash == TPM2_ALG_SHA256 || hash == TPM2_ALG_SHA384 ||
              hash == TPM2_ALG_SHA512;
  }
  const char* key_type = ak.type() == TPM2_ALG_ECC ? "ECC" : "RSA";
  if (!scheme_ok || !hash_ok) {
    return ReasonError(
        v1::QUOTE_SCHEME_NOT_ALLOWED,
        absl::StrCat("signature scheme ", SchemeName(sig.sigAlg), " with ",
                     HashAlgName(hash), " is not allowed for an ", key_type,
                     " AK (allowed: ",
                     ak.type() == TPM2_ALG_ECC
                         ? "ecdsa with sha256/sha384"
                         : "rsassa/rsapss with sha256/sha384/sha512",
                     ")"));
  }
  if (const TPMT_PUBLIC* pub = ak.public_area()) {
    TPMI_ALG_SIG_SCHEME ak_scheme;
    TPMI_ALG_HASH ak_hash;
    AkScheme(*pub, &ak_scheme, &ak_hash);
    if (ak_scheme != TPM2_ALG_NULL &&
        (ak_scheme != sig.sigAlg || ak_hash != hash)) {
      return ReasonError(
          v1::QUOTE_SCHEME_NOT_ALLOWED,
          absl::StrCat("signature is ", SchemeName(sig.sigAlg), "/",
                       HashAlgName(hash), " but the AK's scheme is ",
                       SchemeName(ak_scheme), "/", HashAlgName(ak_hash)));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckMagic(const TPMS_ATTEST& attest) {
  if (attest.magic != TPM2_GENERATED_VALUE) {
    return ReasonError(
        v1::QUOTE_NOT_GENERATED,
        absl::StrFormat("magic is 0x%08x, not TPM_GENERATED_VALUE 0x%08x",
                        attest.magic, TPM2_GENERATED_VALUE));
  }
  return absl::OkStatus();
}

absl::Status CheckType(const TPMS_ATTEST& attest) {
  if (attest.type != TPM2_ST_ATTEST_QUOTE) {
    return ReasonError(
        v1::QUOTE_WRONG_TYPE,
        absl::StrFormat("attestation type is 0x%04x, not TPM_ST_ATTEST_QUOTE "
                        "0x%04x",
                        attest.type, TPM2_ST_ATTEST_QUOTE));
  }
  return absl::OkStatus();
}

absl::Status CheckNonce(const TPMS_ATTEST& attest, absl::string_view nonce) {
  if (nonce.empty()) {
    return absl::InvalidArgumentError(
        "no expected nonce: refusing to accept a quote without freshness");
  }
  absl::string_view got(reinterpret_cast<const char*>(attest.extraData.buffer),
                        attest.extraData.size);
  if (!ConstantTimeEquals(got, nonce)) {
    return ReasonError(
        v1::NONCE_MISMATCH,
        absl::StrFormat("quote nonce %s (%d bytes) is not the "
                        "issued nonce (%d bytes)",
                        HexEncode(got), got.size(), nonce.size()));
  }
  return absl::OkStatus();
}

absl::Status CheckPcrSelection(const TPMS_ATTEST& attest,
                               const PcrSelection& requested) {
  auto quoted = FromTpml(attest.attested.quote.pcrSelect);
  if (!quoted.ok()) {
    return ReasonError(
        v1::PCR_SELECTION_MISMATCH,
        absl::StrCat("quoted PCR selection: ", quoted.status().message()));
  }
  if (*quoted != requested) {
    return ReasonError(
        v1::PCR_SELECTION_MISMATCH,
        absl::StrCat("quote covers ", PcrSelectionToString(*quoted),
                     ", requested ", PcrSelectionToString(requested)));
  }
  return absl::OkStatus();
}

absl::Status CheckPcrDigest(const TPMS_ATTEST& attest,
                            const PcrSelection& selection,
                            const PcrValues& values, TPMI_ALG_HASH hash,
                            PcrValues* selected, std::string* digest) {
  selected->clear();
  // The selected values in selection order, as TPM2_Quote hashes them.
  std::string concat;
  concat.reserve(kMaxPcrs * 64);
  for (const auto& bank : selection) {
    size_t size = DigestSize(bank.hash);
    auto have = values.find(bank.hash);
    auto& out = (*selected)[bank.hash];
    for (int i = 0; i < kMaxPcrs; ++i) {
      if (!bank.pcrs.test(i)) continue;
      const std::string* value = nullptr;
      if (have != values.end()) {
        auto it = have->second.find(i);
        if (it != have->second.end()) value = &it->second;
      }
      if (value == nullptr) {
        return ReasonError(v1::MALFORMED_MESSAGE,
                           absl::StrCat("no value for quoted PCR ",
                                        HashAlgName(bank.hash), ":", i));
      }
      if (value->size() != size) {
        return ReasonError(
            v1::MALFORMED_MESSAGE,
            absl::StrFormat("%s PCR %d value is %d bytes, want %d",
                            HashAlgName(bank.hash), i, value->size(), size));
      }
      concat += *value;
      out.emplace_hint(out.end(), i, *value);
    }
  }
  unsigned char computed[EVP_MAX_MD_SIZE];
  unsigned int computed_len = 0;
  absl::Status hashed = DigestInto(hash, concat, computed, &computed_len);
  if (!hashed.ok()) return hashed;
  absl::string_view want(reinterpret_cast<const char*>(computed), computed_len);
  absl::string_view quoted(
      reinterpret_cast<const char*>(attest.attested.quote.pcrDigest.buffer),
      attest.attested.quote.pcrDigest.size);
  if (quoted != want) {
    return ReasonError(
        v1::PCR_DIGEST_MISMATCH,
        absl::StrCat("PCR values hash to ", HashAlgName(hash), ":",
                     HexEncode(want), " but the quote holds ",
                     HexEncode(quoted),
                     " (PCRs changed after the quote, or wrong values)"));
  }
  digest->assign(want.data(), want.size());
  return absl::OkStatus();
}

absl::Status CheckClock(const TPMS_CLOCK_INFO& now,
                        const std::optional<TPMS_CLOCK_INFO>& previous,
                        std::string* note) {
  if (now.safe != TPM2_YES) {
    *note =
        "clockInfo.safe is NO: the TPM may have reported a later clock "
        "before an unorderly shutdown";
  }
  if (!previous) return absl::OkStatus();
  const TPMS_CLOCK_INFO& prev = *previous;
  if (now.resetCount < prev.resetCount) {
    return ReasonError(v1::CLOCK_ROLLBACK,
                       absl::StrFormat("resetCount went back from %d to %d",
                                       prev.resetCount, now.resetCount));
  }
  if (now.resetCount == prev.resetCount &&
      now.restartCount < prev.restartCount) {
    return ReasonError(
        v1::CLOCK_ROLLBACK,
        absl::StrFormat("restartCount went back from %d to %d (resetCount %d)",
                        prev.restartCount, now.restartCount, now.resetCount));
  }
  if (now.resetCount == prev.resetCount &&
      now.restartCount == prev.restartCount && now.clock < prev.clock) {
    return ReasonError(
        v1::CLOCK_ROLLBACK,
        absl::StrFormat("clock went back from %d to %d ms within reset %d, "
                        "restart %d",
                        prev.clock, now.clock, now.resetCount,
                        now.restartCount));
  }
  return absl::OkStatus();
}

}  // namespace vtpm::verifier
