#include "common/crypto/hmac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>

#include "absl/strings/str_format.h"
#include "common/ossl.h"
#include "common/status_macros.h"
#include "common/tpm_alg.h"

namespace vtpm {
namespace {

using EvpMacPtr = std::unique_ptr<EVP_MAC, OsslDeleter<EVP_MAC_free>>;
using EvpMacCtxPtr =
    std::unique_ptr<EVP_MAC_CTX, OsslDeleter<EVP_MAC_CTX_free>>;

}  // namespace

absl::Status HmacInto(TPMI_ALG_HASH alg, absl::string_view key,
                      std::initializer_list<absl::string_view> parts,
                      absl::Span<uint8_t> out) {
  ASSIGN_OR_RETURN(const EVP_MD* md, EvpMdForTpmAlg(alg));
  const size_t mac_size = static_cast<size_t>(EVP_MD_get_size(md));
  if (out.size() != mac_size) {
    return absl::InvalidArgumentError(
        absl::StrFormat("HMAC-%s output buffer is %d bytes, want %d",
                        HashAlgName(alg), out.size(), mac_size));
  }
  EvpMacPtr mac(EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr));
  if (!mac) return OsslError("EVP_MAC_fetch(HMAC)");
  EvpMacCtxPtr ctx(EVP_MAC_CTX_new(mac.get()));
  if (!ctx) return OsslError("EVP_MAC_CTX_new");
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(
          OSSL_MAC_PARAM_DIGEST, const_cast<char*>(EVP_MD_get0_name(md)), 0),
      OSSL_PARAM_construct_end()};
  // OpenSSL rejects a NULL key even when its length is 0.
  static const unsigned char kEmpty = 0;
  const unsigned char* key_ptr =
      key.empty() ? &kEmpty
                  : reinterpret_cast<const unsigned char*>(key.data());
  if (EVP_MAC_init(ctx.get(), key_ptr, key.size(), params) != 1) {
    return OsslError("EVP_MAC_init(HMAC)");
  }
  for (absl::string_view part : parts) {
    if (part.empty()) continue;
    if (EVP_MAC_update(ctx.get(),
                       reinterpret_cast<const unsigned char*>(part.data()),
                       part.size()) != 1) {
      return OsslError("EVP_MAC_update");
    }
  }
  size_t written = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &written, out.size()) != 1 ||
      written != mac_size) {
    OPENSSL_cleanse(out.data(), out.size());
    return OsslError("EVP_MAC_final");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Hmac(
    TPMI_ALG_HASH alg, absl::string_view key,
    std::initializer_list<absl::string_view> parts) {
  std::string out(DigestSize(alg), '\0');
  RETURN_IF_ERROR(HmacInto(
      alg, key, parts,
      absl::MakeSpan(reinterpret_cast<uint8_t*>(out.data()), out.size())));
  return out;
}

}  // namespace vtpm
