#include "verifier/notify/webhook_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/str_cat.h"
#include "common/hex.h"

namespace vtpm::notify {
namespace {

constexpr absl::string_view kPrefix = "sha256=";

// HMAC-SHA256 (32 bytes); empty only if OpenSSL fails.
std::string Mac(absl::string_view secret, absl::string_view timestamp,
                absl::string_view body) {
  std::string message = absl::StrCat(timestamp, ".", body);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(message.data()),
           message.size(), out, &out_len) == nullptr) {
    return "";
  }
  return std::string(reinterpret_cast<const char*>(out), out_len);
}

}  // namespace

std::string SignWebhook(absl::string_view secret, absl::string_view timestamp,
                        absl::string_view body) {
  return absl::StrCat(kPrefix, HexEncode(Mac(secret, timestamp, body)));
}

bool VerifyWebhookSignature(absl::string_view secret,
                            absl::string_view timestamp, absl::string_view body,
                            absl::string_view signature_header) {
  const std::string expected = SignWebhook(secret, timestamp, body);
  if (expected.size() == kPrefix.size()) return false;  // HMAC failed
  if (signature_header.size() != expected.size()) return false;
  return CRYPTO_memcmp(expected.data(), signature_header.data(),
                       expected.size()) == 0;
}

}  // namespace vtpm::notify
