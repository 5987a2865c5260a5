#include "common/crypto/kdf.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_format.h"
#include "common/crypto/hmac.h"
#include "common/ossl.h"
#include "common/status_macros.h"
#include "common/tpm_alg.h"

namespace vtpm {
namespace {

std::string BigEndian32(uint32_t v) {
  return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
}

// The separator the TPM puts after the label: a 0 byte unless the label
// already ends in one.
absl::string_view LabelTerminator(absl::string_view label) {
  static constexpr char kZero[1] = {0};
  if (!label.empty() && label.back() == '\0') return {};
  return absl::string_view(kZero, 1);
}

absl::Status CheckArgs(absl::string_view kdf, TPMI_ALG_HASH hash,
                       uint32_t bits) {
  if (DigestSize(hash) == 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: unsupported hash algorithm %s", kdf, HashAlgName(hash)));
  }
  if (bits == 0 || bits % 8 != 0 || bits > kMaxKdfBits) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: output length %d bits is not a positive multiple of 8 up to %d",
        kdf, bits, kMaxKdfBits));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SecretBytes> KdfA(TPMI_ALG_HASH hash, absl::string_view key,
                                 absl::string_view label,
                                 absl::string_view context_u,
                                 absl::string_view context_v, uint32_t bits) {
  RETURN_IF_ERROR(CheckArgs("KDFa", hash, bits));
  const size_t block = DigestSize(hash);
  const size_t want = bits / 8;
  const size_t blocks = (want + block - 1) / block;
  // Whole blocks are written in place, then the tail is dropped; the
  // allocator wipes the discarded storage.
  SecretBytes out(blocks * block);
  const std::string length = BigEndian32(bits);
  for (size_t i = 0; i < blocks; ++i) {
    const std::string counter = BigEndian32(static_cast<uint32_t>(i + 1));
    RETURN_IF_ERROR_CTX(HmacInto(hash, key,
                                 {counter, label, LabelTerminator(label),
                                  context_u, context_v, length},
                                 absl::MakeSpan(out.data() + i * block, block)),
                        "KDFa");
  }
  OPENSSL_cleanse(out.data() + want, out.size() - want);
  out.resize(want);
  return out;
}

absl::StatusOr<SecretBytes> KdfE(TPMI_ALG_HASH hash, absl::string_view z,
                                 absl::string_view label,
                                 absl::string_view party_u_info,
                                 absl::string_view party_v_info,
                                 uint32_t bits) {
  RETURN_IF_ERROR(CheckArgs("KDFe", hash, bits));
  ASSIGN_OR_RETURN(const EVP_MD* md, EvpMdForTpmAlg(hash));
  const size_t block = DigestSize(hash);
  const size_t want = bits / 8;
  const size_t blocks = (want + block - 1) / block;
  SecretBytes out(blocks * block);
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return OsslError("EVP_MD_CTX_new");
  for (size_t i = 0; i < blocks; ++i) {
    const std::string counter = BigEndian32(static_cast<uint32_t>(i + 1));
    if (EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) {
      return OsslError("KDFe: EVP_DigestInit_ex");
    }
    for (absl::string_view part :
         {absl::string_view(counter), z, label, LabelTerminator(label),
          party_u_info, party_v_info}) {
      if (!part.empty() &&
          EVP_DigestUpdate(ctx.get(), part.data(), part.size()) != 1) {
        return OsslError("KDFe: EVP_DigestUpdate");
      }
    }
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx.get(), out.data() + i * block, &len) != 1 ||
        len != block) {
      return OsslError("KDFe: EVP_DigestFinal_ex");
    }
  }
  OPENSSL_cleanse(out.data() + want, out.size() - want);
  out.resize(want);
  return out;
}

}  // namespace vtpm
