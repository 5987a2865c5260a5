#include "common/crypto/make_credential.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include <cstring>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/crypto/hmac.h"
#include "common/crypto/kdf.h"
#include "common/crypto/secret_bytes.h"
#include "common/ossl.h"
#include "common/reason.h"
#include "common/status_macros.h"
#include "common/tpm_alg.h"
#include "common/tpm_public.h"

namespace vtpm {
namespace {

// Labels of TPM 2.0 Part 1 §24, with the terminating 0 the TPM includes.
constexpr absl::string_view kIdentityLabel("IDENTITY\0", 9);
constexpr absl::string_view kStorageLabel("STORAGE\0", 8);
constexpr absl::string_view kIntegrityLabel("INTEGRITY\0", 10);

// An unusable EK: InvalidArgument (as for any bad argument) that also
// carries the wire reason EK_PUBLIC_INVALID for the verdict.
absl::Status EkInvalid(absl::string_view message) {
  absl::Status reason =
      ReasonError(vtpm_attest::v1::EK_PUBLIC_INVALID, message);
  absl::Status status = absl::InvalidArgumentError(reason.message());
  reason.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    status.SetPayload(url, payload);
  });
  return status;
}

// Checks that `ek` is a restricted decryption key with an AES-CFB
// symmetric definition and returns that cipher.
absl::StatusOr<const EVP_CIPHER*> CheckEk(const TPMT_PUBLIC& ek) {
  if (ek.type != TPM2_ALG_RSA && ek.type != TPM2_ALG_ECC) {
    return EkInvalid(
        absl::StrFormat("EK type 0x%04x is neither RSA nor ECC", ek.type));
  }
  const TPMA_OBJECT attrs = ek.objectAttributes;
  if ((attrs & TPMA_OBJECT_RESTRICTED) == 0 ||
      (attrs & TPMA_OBJECT_DECRYPT) == 0 ||
      (attrs & TPMA_OBJECT_SIGN_ENCRYPT) != 0) {
    return EkInvalid(absl::StrFormat(
        "EK attributes 0x%08x are not those of a restricted decryption key "
        "(want restricted and decrypt set, sign clear)",
        attrs));
  }
  if (DigestSize(ek.nameAlg) == 0) {
    return EkInvalid(absl::StrCat("EK nameAlg ", HashAlgName(ek.nameAlg),
                                  " is not sha1/sha256/sha384/sha512"));
  }
  const TPMT_SYM_DEF_OBJECT& sym = ek.parameters.asymDetail.symmetric;
  if (sym.algorithm != TPM2_ALG_AES) {
    return EkInvalid(absl::StrFormat(
        "EK symmetric algorithm 0x%04x is not AES (0x0006)", sym.algorithm));
  }
  if (sym.mode.aes != TPM2_ALG_CFB) {
    return EkInvalid(absl::StrFormat(
        "EK symmetric mode 0x%04x is not CFB (0x0043)", sym.mode.aes));
  }
  switch (sym.keyBits.aes) {
    case 128:
      return EVP_aes_128_cfb128();
    case 192:
      return EVP_aes_192_cfb128();
    case 256:
      return EVP_aes_256_cfb128();
    default:
      return EkInvalid(absl::StrFormat(
          "EK AES key size %d is not 128, 192 or 256", sym.keyBits.aes));
  }
}

absl::Status CheckObjectName(absl::string_view name) {
  if (name.size() < 2) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "object name of %d bytes is too short (want nameAlg || digest)",
        name.size()));
  }
  const TPMI_ALG_HASH alg = static_cast<TPMI_ALG_HASH>(
      (static_cast<uint8_t>(name[0]) << 8) | static_cast<uint8_t>(name[1]));
  const size_t digest = DigestSize(alg);
  if (digest == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("object name hash algorithm ", HashAlgName(alg),
                     " is not sha1/sha256/sha384/sha512"));
  }
  if (name.size() != 2 + digest) {
    return absl::InvalidArgumentError(
        absl::StrFormat("object name has a %d-byte digest, %s needs %d",
                        name.size() - 2, HashAlgName(alg), digest));
  }
  return absl::OkStatus();
}

absl::string_view View(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

// Appends `data` as a TPM2B: big-endian UINT16 size, then the bytes.
void AppendTpm2b(std::string* out, absl::string_view data) {
  out->push_back(static_cast<char>(data.size() >> 8));
  out->push_back(static_cast<char>(data.size() & 0xff));
  out->append(data.data(), data.size());
}

absl::StatusOr<std::string> MarshalEncryptedSecret(absl::string_view payload) {
  TPM2B_ENCRYPTED_SECRET secret = {};
  if (payload.size() > sizeof(secret.secret)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "encrypted secret of %d bytes exceeds TPM2B_ENCRYPTED_SECRET (%d)",
        payload.size(), sizeof(secret.secret)));
  }
  secret.size = static_cast<UINT16>(payload.size());
  memcpy(secret.secret, payload.data(), payload.size());
  uint8_t buf[sizeof(secret)];
  size_t offset = 0;
  TSS2_RC rc = Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(&secret, buf, sizeof(buf),
                                                      &offset);
  if (rc != TSS2_RC_SUCCESS) {
    return absl::InternalError(
        absl::StrFormat("TPM2B_ENCRYPTED_SECRET marshal failed (rc 0x%x)", rc));
  }
  return std::string(View(buf, offset));
}

// The seed and what the TPM needs to recover it.
struct ProtectedSeed {
  SecretBytes seed;
  std::string encrypted_secret;  // TPM2B_ENCRYPTED_SECRET wire bytes
};

// RSA: a random seed of the nameAlg digest size, encrypted with RSA-OAEP
// (hash and MGF1 hash = nameAlg, label "IDENTITY\0").
absl::StatusOr<ProtectedSeed> RsaSeed(const TPMT_PUBLIC& ek, EVP_PKEY* key) {
  ASSIGN_OR_RETURN(const EVP_MD* md, EvpMdForTpmAlg(ek.nameAlg));
  ProtectedSeed out;
  out.seed.resize(DigestSize(ek.nameAlg));
  if (RAND_priv_bytes(out.seed.data(), static_cast<int>(out.seed.size())) !=
      1) {
    return OsslError("RAND_priv_bytes");
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), md) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) != 1) {
    return OsslError("RSA-OAEP setup");
  }
  void* label = OPENSSL_memdup(kIdentityLabel.data(), kIdentityLabel.size());
  if (label == nullptr ||
      EVP_PKEY_CTX_set0_rsa_oaep_label(
          ctx.get(), label, static_cast<int>(kIdentityLabel.size())) != 1) {
    OPENSSL_free(label);  // Still ours when set0 failed.
    return OsslError("RSA-OAEP label");
  }
  size_t len = 0;
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &len, out.seed.data(),
                       out.seed.size()) != 1) {
    return OsslError("RSA-OAEP encryption of the seed");
  }
  std::string ciphertext(len, '\0');
  if (EVP_PKEY_encrypt(ctx.get(),
                       reinterpret_cast<unsigned char*>(ciphertext.data()),
                       &len, out.seed.data(), out.seed.size()) != 1) {
    return OsslError("RSA-OAEP encryption of the seed");
  }
  ciphertext.resize(len);
  ASSIGN_OR_RETURN(out.encrypted_secret, MarshalEncryptedSecret(ciphertext));
  return out;
}

// Writes BIGNUM parameter `param` of `key` left-padded to `size` bytes.
absl::Status GetCoordinate(EVP_PKEY* key, const char* param, size_t size,
                           TPM2B_ECC_PARAMETER* out) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &raw) != 1) {
    return OsslError(absl::StrCat("reading ephemeral key ", param));
  }
  BignumPtr bn(raw);
  if (size > sizeof(out->buffer) ||
      BN_bn2binpad(bn.get(), out->buffer, static_cast<int>(size)) < 0) {
    return absl::InternalError("ephemeral ECC coordinate does not fit");
  }
  out->size = static_cast<UINT16>(size);
  return absl::OkStatus();
}

// ECC: one-pass ECDH with an ephemeral key on the EK's curve;
// seed = KDFe(nameAlg, Z.x, "IDENTITY", ephemeral.x, ek.x, digest bits).
absl::StatusOr<ProtectedSeed> EccSeed(const TPMT_PUBLIC& ek, EVP_PKEY* key) {
  EvpPkeyCtxPtr gen(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!gen || EVP_PKEY_keygen_init(gen.get()) != 1 ||
      EVP_PKEY_keygen(gen.get(), &raw) != 1) {
    return OsslError("generating the ephemeral ECC key");
  }
  EvpPkeyPtr ephemeral(raw);

  EvpPkeyCtxPtr derive(
      EVP_PKEY_CTX_new_from_pkey(nullptr, ephemeral.get(), nullptr));
  size_t z_len = 0;
  // set_peer also checks that the EK point is a valid public key.
  if (!derive || EVP_PKEY_derive_init(derive.get()) != 1 ||
      EVP_PKEY_derive_set_peer(derive.get(), key) != 1 ||
      EVP_PKEY_derive(derive.get(), nullptr, &z_len) != 1) {
    return OsslError("ECDH with the EK");
  }
  SecretBytes z(z_len);
  if (EVP_PKEY_derive(derive.get(), z.data(), &z_len) != 1) {
    return OsslError("ECDH with the EK");
  }
  z.resize(z_len);

  // OpenSSL pads Z to the field size, as the TPM pads its coordinates.
  const size_t coordinate = (EVP_PKEY_get_bits(key) + 7) / 8;
  if (z.size() != coordinate) {
    return absl::InternalError(
        absl::StrFormat("ECDH secret is %d bytes, curve coordinates are %d",
                        z.size(), coordinate));
  }
  TPMS_ECC_POINT point = {};
  RETURN_IF_ERROR(GetCoordinate(ephemeral.get(), OSSL_PKEY_PARAM_EC_PUB_X,
                                coordinate, &point.x));
  RETURN_IF_ERROR(GetCoordinate(ephemeral.get(), OSSL_PKEY_PARAM_EC_PUB_Y,
                                coordinate, &point.y));

  ProtectedSeed out;
  ASSIGN_OR_RETURN(out.seed,
                   KdfE(ek.nameAlg, AsStringView(z), kIdentityLabel,
                        View(point.x.buffer, point.x.size),
                        View(ek.unique.ecc.x.buffer, ek.unique.ecc.x.size),
                        static_cast<uint32_t>(DigestSize(ek.nameAlg) * 8)));

  uint8_t buf[sizeof(TPMS_ECC_POINT)];
  size_t offset = 0;
  TSS2_RC rc =
      Tss2_MU_TPMS_ECC_POINT_Marshal(&point, buf, sizeof(buf), &offset);
  if (rc != TSS2_RC_SUCCESS) {
    return absl::InternalError(
        absl::StrFormat("TPMS_ECC_POINT marshal failed (rc 0x%x)", rc));
  }
  ASSIGN_OR_RETURN(out.encrypted_secret,
                   MarshalEncryptedSecret(View(buf, offset)));
  return out;
}

// AES-CFB with an all-zero IV, as the TPM uses for credential protection.
absl::StatusOr<std::string> CfbEncrypt(const EVP_CIPHER* cipher,
                                       const SecretBytes& key,
                                       const SecretBytes& plaintext) {
  if (key.size() != static_cast<size_t>(EVP_CIPHER_get_key_length(cipher))) {
    return absl::InternalError("AES key length does not match the cipher");
  }
  const unsigned char iv[EVP_MAX_IV_LENGTH] = {};
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  std::string out(plaintext.size(), '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  int len = 0;
  int final_len = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, key.data(), iv) != 1 ||
      EVP_EncryptUpdate(ctx.get(), dst, &len, plaintext.data(),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), dst + len, &final_len) != 1 ||
      static_cast<size_t>(len + final_len) != plaintext.size()) {
    return OsslError("AES-CFB encryption of the credential");
  }
  return out;
}

absl::StatusOr<CredentialChallenge> MakeCredentialImpl(
    const TPMT_PUBLIC& ek, absl::string_view name,
    absl::string_view credential) {
  ASSIGN_OR_RETURN(const EVP_CIPHER* cipher, CheckEk(ek));
  RETURN_IF_ERROR(CheckObjectName(name));
  const size_t digest = DigestSize(ek.nameAlg);
  if (credential.empty() || credential.size() > digest) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "credential of %d bytes: want 1 to %d bytes (the %s digest size of "
        "the EK nameAlg)",
        credential.size(), digest, HashAlgName(ek.nameAlg)));
  }
  auto key = PublicToEvp(ek);
  if (!key.ok()) {
    return EkInvalid(absl::StrCat("EK public key: ", key.status().message()));
  }

  ProtectedSeed seed;
  if (ek.type == TPM2_ALG_RSA) {
    ASSIGN_OR_RETURN(seed, RsaSeed(ek, key->get()));
  } else {
    ASSIGN_OR_RETURN(seed, EccSeed(ek, key->get()));
  }

  // encIdentity = CFB_symKey(TPM2B_DIGEST(credential)) with
  // symKey = KDFa(nameAlg, seed, "STORAGE", name, "", keyBits).
  ASSIGN_OR_RETURN(
      SecretBytes sym_key,
      KdfA(ek.nameAlg, AsStringView(seed.seed), kStorageLabel, name, "",
           static_cast<uint32_t>(EVP_CIPHER_get_key_length(cipher) * 8)));
  SecretBytes plaintext;
  plaintext.reserve(2 + credential.size());
  plaintext.push_back(static_cast<uint8_t>(credential.size() >> 8));
  plaintext.push_back(static_cast<uint8_t>(credential.size() & 0xff));
  plaintext.insert(plaintext.end(), credential.begin(), credential.end());
  ASSIGN_OR_RETURN(std::string enc_identity,
                   CfbEncrypt(cipher, sym_key, plaintext));

  // outerHMAC = HMAC_nameAlg(HMACkey, encIdentity || name) with
  // HMACkey = KDFa(nameAlg, seed, "INTEGRITY", "", "", digest bits).
  ASSIGN_OR_RETURN(SecretBytes hmac_key,
                   KdfA(ek.nameAlg, AsStringView(seed.seed), kIntegrityLabel,
                        "", "", static_cast<uint32_t>(digest * 8)));
  ASSIGN_OR_RETURN(
      std::string outer_hmac,
      Hmac(ek.nameAlg, AsStringView(hmac_key), {enc_identity, name}));

  // TPM2B_ID_OBJECT: TPM2B_DIGEST(outerHMAC) || encIdentity.
  std::string id_contents;
  AppendTpm2b(&id_contents, outer_hmac);
  id_contents += enc_identity;
  TPM2B_ID_OBJECT id = {};
  if (id_contents.size() > sizeof(id.credential)) {
    return absl::InternalError("credential blob exceeds TPM2B_ID_OBJECT");
  }
  id.size = static_cast<UINT16>(id_contents.size());
  memcpy(id.credential, id_contents.data(), id_contents.size());
  uint8_t buf[sizeof(id)];
  size_t offset = 0;
  TSS2_RC rc = Tss2_MU_TPM2B_ID_OBJECT_Marshal(&id, buf, sizeof(buf), &offset);
  if (rc != TSS2_RC_SUCCESS) {
    return absl::InternalError(
        absl::StrFormat("TPM2B_ID_OBJECT marshal failed (rc 0x%x)", rc));
  }
  return CredentialChallenge{std::string(View(buf, offset)),
                             std::move(seed.encrypted_secret)};
}

}  // namespace

absl::StatusOr<CredentialChallenge> MakeCredential(
    const TPMT_PUBLIC& ek, absl::string_view object_name,
    absl::string_view credential) {
  auto challenge = MakeCredentialImpl(ek, object_name, credential);
  if (!challenge.ok()) return Annotate(challenge.status(), "MakeCredential");
  return challenge;
}

}  // namespace vtpm
