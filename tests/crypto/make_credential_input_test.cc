// MakeCredential's input checks, on EK public areas built from keys that
// OpenSSL generates (no TPM needed). Each rejection is shown against an EK
// that is otherwise accepted (ValidEksAreAccepted).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "common/crypto/make_credential.h"
#include "common/ossl.h"
#include "common/reason.h"
#include "common/tpm_alg.h"

namespace vtpm {
namespace {

using ::testing::HasSubstr;

constexpr TPMA_OBJECT kEkAttributes =
    TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;

// A sha256 object name (as an AK's).
const std::string kName = std::string("\x00\x0b", 2) + std::string(32, 'n');

TPMT_PUBLIC EkShell(TPMI_ALG_PUBLIC type, TPMI_ALG_HASH name_alg,
                    uint16_t aes_bits) {
  TPMT_PUBLIC pub = {};
  pub.type = type;
  pub.nameAlg = name_alg;
  pub.objectAttributes = kEkAttributes;
  pub.parameters.asymDetail.symmetric.algorithm = TPM2_ALG_AES;
  pub.parameters.asymDetail.symmetric.keyBits.aes = aes_bits;
  pub.parameters.asymDetail.symmetric.mode.aes = TPM2_ALG_CFB;
  pub.parameters.asymDetail.scheme.scheme = TPM2_ALG_NULL;
  return pub;
}

void CopyBn(EVP_PKEY* key, const char* param, size_t size, uint8_t* out) {
  BIGNUM* raw = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(key, param, &raw), 1) << param;
  BignumPtr bn(raw);
  ASSERT_GE(BN_bn2binpad(bn.get(), out, static_cast<int>(size)), 0);
}

// An RSA-2048 EK public area (generated once: RSA key generation is slow).
const TPMT_PUBLIC& RsaEk() {
  static const TPMT_PUBLIC* ek = [] {
    auto* pub = new TPMT_PUBLIC(EkShell(TPM2_ALG_RSA, TPM2_ALG_SHA256, 128));
    EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
    EXPECT_TRUE(key != nullptr);
    pub->parameters.rsaDetail.keyBits = 2048;
    pub->parameters.rsaDetail.exponent = 0;
    pub->unique.rsa.size = 256;
    CopyBn(key.get(), OSSL_PKEY_PARAM_RSA_N, 256, pub->unique.rsa.buffer);
    return pub;
  }();
  return *ek;
}

TPMT_PUBLIC EccEk(const char* group, TPMI_ECC_CURVE curve, size_t coordinate,
                  TPMI_ALG_HASH name_alg, uint16_t aes_bits) {
  TPMT_PUBLIC pub = EkShell(TPM2_ALG_ECC, name_alg, aes_bits);
  pub.parameters.eccDetail.curveID = curve;
  pub.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group));
  EXPECT_TRUE(key != nullptr);
  if (!key) return pub;
  pub.unique.ecc.x.size = static_cast<UINT16>(coordinate);
  pub.unique.ecc.y.size = static_cast<UINT16>(coordinate);
  CopyBn(key.get(), OSSL_PKEY_PARAM_EC_PUB_X, coordinate,
         pub.unique.ecc.x.buffer);
  CopyBn(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, coordinate,
         pub.unique.ecc.y.buffer);
  return pub;
}

TPMT_PUBLIC P256Ek() {
  return EccEk("P-256", TPM2_ECC_NIST_P256, 32, TPM2_ALG_SHA256, 128);
}

// Expects an EK rejection: InvalidArgument carrying EK_PUBLIC_INVALID and a
// message containing `what`.
void ExpectEkRejected(const TPMT_PUBLIC& ek, const std::string& what) {
  auto c = MakeCredential(ek, kName, "secret");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument)
      << c.status();
  EXPECT_EQ(ReasonOf(c.status()), vtpm_attest::v1::EK_PUBLIC_INVALID)
      << c.status();
  EXPECT_THAT(c.status().message(), HasSubstr(what));
}

void ExpectArgumentRejected(const TPMT_PUBLIC& ek, const std::string& name,
                            const std::string& credential,
                            const std::string& what) {
  auto c = MakeCredential(ek, name, credential);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument)
      << c.status();
  EXPECT_THAT(c.status().message(), HasSubstr(what));
}

TEST(MakeCredentialInputTest, ValidEksAreAccepted) {
  struct Case {
    const char* what;
    TPMT_PUBLIC ek;
    size_t secret_size;  // TPM2B_ENCRYPTED_SECRET contents
  };
  const Case cases[] = {
      {"RSA-2048", RsaEk(), 256},
      {"P-256", P256Ek(), 2 * (2 + 32)},
      {"P-384", EccEk("P-384", TPM2_ECC_NIST_P384, 48, TPM2_ALG_SHA384, 256),
       2 * (2 + 48)},
      {"P-521", EccEk("P-521", TPM2_ECC_NIST_P521, 66, TPM2_ALG_SHA512, 256),
       2 * (2 + 66)},
      {"P-256 AES-192 sha1",
       EccEk("P-256", TPM2_ECC_NIST_P256, 32, TPM2_ALG_SHA1, 192),
       2 * (2 + 32)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const size_t digest = DigestSize(c.ek.nameAlg);
    const std::string credential(digest, 'c');
    auto first = MakeCredential(c.ek, kName, credential);
    ASSERT_TRUE(first.ok()) << first.status();
    // TPM2B_ID_OBJECT(TPM2B_DIGEST(HMAC) || CFB(TPM2B_DIGEST(credential))).
    EXPECT_EQ(first->credential_blob.size(), 2 + 2 + digest + 2 + digest);
    EXPECT_EQ(first->encrypted_secret.size(), 2 + c.secret_size);
    // A fresh seed every time.
    auto second = MakeCredential(c.ek, kName, credential);
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_NE(first->credential_blob, second->credential_blob);
    EXPECT_NE(first->encrypted_secret, second->encrypted_secret);
  }
}

TEST(MakeCredentialInputTest, RejectsCredentialLongerThanDigest) {
  ExpectArgumentRejected(RsaEk(), kName, std::string(33, 'c'),
                         "credential of 33 bytes");
  TPMT_PUBLIC p384 =
      EccEk("P-384", TPM2_ECC_NIST_P384, 48, TPM2_ALG_SHA384, 256);
  EXPECT_TRUE(MakeCredential(p384, kName, std::string(48, 'c')).ok());
  ExpectArgumentRejected(p384, kName, std::string(49, 'c'),
                         "credential of 49 bytes");
}

TEST(MakeCredentialInputTest, RejectsEmptyCredential) {
  ExpectArgumentRejected(P256Ek(), kName, "", "credential of 0 bytes");
}

TEST(MakeCredentialInputTest, RejectsBadObjectNames) {
  const TPMT_PUBLIC ek = P256Ek();
  ExpectArgumentRejected(ek, "", "secret", "too short");
  ExpectArgumentRejected(ek, std::string("\x00", 1), "secret", "too short");
  // A handle-sized name, an unknown hash, digests of the wrong length.
  ExpectArgumentRejected(ek, std::string("\x81\x01\x00\x01", 4), "secret",
                         "hash algorithm");
  ExpectArgumentRejected(ek, std::string("\x00\x12", 2) + std::string(32, 'n'),
                         "secret", "hash algorithm");
  ExpectArgumentRejected(ek, kName.substr(0, 33), "secret",
                         "31-byte digest, sha256 needs 32");
  ExpectArgumentRejected(ek, std::string("\x00\x0c", 2) + std::string(32, 'n'),
                         "secret", "sha384 needs 48");
  EXPECT_TRUE(MakeCredential(ek,
                             std::string("\x00\x0c", 2) + std::string(48, 'n'),
                             "secret")
                  .ok());
}

TEST(MakeCredentialInputTest, RejectsEksThatAreNotRestrictedDecryptionKeys) {
  TPMT_PUBLIC ek = P256Ek();
  ek.objectAttributes &= ~TPMA_OBJECT_RESTRICTED;
  ExpectEkRejected(ek, "not those of a restricted decryption key");
  ek = RsaEk();
  ek.objectAttributes &= ~TPMA_OBJECT_RESTRICTED;
  ExpectEkRejected(ek, "not those of a restricted decryption key");
  ek = P256Ek();
  ek.objectAttributes &= ~TPMA_OBJECT_DECRYPT;
  ExpectEkRejected(ek, "not those of a restricted decryption key");
  ek = P256Ek();
  ek.objectAttributes |= TPMA_OBJECT_SIGN_ENCRYPT;
  ExpectEkRejected(ek, "not those of a restricted decryption key");
  ek = P256Ek();
  ek.type = TPM2_ALG_KEYEDHASH;
  ExpectEkRejected(ek, "neither RSA nor ECC");
}

TEST(MakeCredentialInputTest, RejectsSymmetricDefinitionsOtherThanAesCfb) {
  TPMT_PUBLIC ek = P256Ek();
  ek.parameters.asymDetail.symmetric.algorithm = TPM2_ALG_NULL;
  ExpectEkRejected(ek, "is not AES");
  ek = RsaEk();
  ek.parameters.asymDetail.symmetric.algorithm = TPM2_ALG_SM4;
  ExpectEkRejected(ek, "is not AES");
  ek = P256Ek();
  ek.parameters.asymDetail.symmetric.mode.aes = TPM2_ALG_CBC;
  ExpectEkRejected(ek, "is not CFB");
  ek = P256Ek();
  ek.parameters.asymDetail.symmetric.keyBits.aes = 64;
  ExpectEkRejected(ek, "AES key size 64");
}

TEST(MakeCredentialInputTest, RejectsUnsupportedNameAlg) {
  TPMT_PUBLIC ek = P256Ek();
  ek.nameAlg = TPM2_ALG_SM3_256;
  ExpectEkRejected(ek, "nameAlg");
  ek.nameAlg = TPM2_ALG_NULL;
  ExpectEkRejected(ek, "nameAlg");
}

TEST(MakeCredentialInputTest, RejectsUnsupportedCurves) {
  for (TPMI_ECC_CURVE curve :
       {TPMI_ECC_CURVE{TPM2_ECC_NIST_P192}, TPMI_ECC_CURVE{TPM2_ECC_NIST_P224},
        TPMI_ECC_CURVE{TPM2_ECC_BN_P256}, TPMI_ECC_CURVE{TPM2_ECC_SM2_P256}}) {
    SCOPED_TRACE(curve);
    TPMT_PUBLIC ek = P256Ek();
    ek.parameters.eccDetail.curveID = curve;
    ExpectEkRejected(ek, "unsupported ECC curve");
  }
}

TEST(MakeCredentialInputTest, RejectsInvalidPublicKeys) {
  TPMT_PUBLIC ek = P256Ek();
  ek.unique.ecc.y.buffer[31] ^= 0x01;  // no longer on the curve
  ExpectEkRejected(ek, "EK public key");
  ek = P256Ek();
  ek.unique.ecc.x.size = 0;
  ExpectEkRejected(ek, "EK public key");
  ek = RsaEk();
  ek.parameters.rsaDetail.keyBits = 3072;  // modulus is 2048 bits
  ExpectEkRejected(ek, "EK public key");
}

}  // namespace
}  // namespace vtpm
