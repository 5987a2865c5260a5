// CheckEkPublicArea on the real swtpm EK public areas and on copies with
// one property changed each, and through VerifyEkCertificate (the key
// still matches the certificate, so only the attribute check can fail).
#include "verifier/ek/ek_public_check.h"

#include <gtest/gtest.h>

#include <functional>

#include "common/reason.h"
#include "tests/verifier_ek/ek_fixture.h"
#include "verifier/ek/ek_certificate.h"

namespace vtpm::verifier {
namespace {

namespace ekt = ::vtpm::verifier::testing;

TEST(EkPublicCheckTest, RealSwtpmEksPass) {
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::EkMaterial* rsa, ekt::TpmA1Rsa());
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::EkMaterial* ecc, ekt::TpmA1Ecc());
  EXPECT_TRUE(CheckEkPublicArea(rsa->pub).ok());
  EXPECT_TRUE(CheckEkPublicArea(ecc->pub).ok());
}

TEST(EkPublicCheckTest, RealAkFails) {
  VTPM_ASSERT_OK_AND_ASSIGN(const TPMT_PUBLIC* ak, ekt::TpmA1Ak());
  absl::Status s = CheckEkPublicArea(*ak);
  EXPECT_EQ(ReasonOf(s), vtpm_attest::v1::EK_PUBLIC_INVALID) << s;
}

struct Mutation {
  const char* name;
  std::function<void(TPMT_PUBLIC&)> apply;
};

TEST(EkPublicCheckTest, EachMutatedPropertyFailsEvenWithAMatchingCert) {
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::CaMaterial* ca, ekt::CaA());
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::EkMaterial* rsa, ekt::TpmA1Rsa());
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::EkMaterial* ecc, ekt::TpmA1Ecc());
  VTPM_ASSERT_OK_AND_ASSIGN(
      TrustStore store,
      ekt::LoadStore(
          {{"libvirt", {ca->root_pem_path, ca->intermediate_pem_path}}}));
  const Mutation mutations[] = {
      {"sign set",
       [](TPMT_PUBLIC& p) { p.objectAttributes |= TPMA_OBJECT_SIGN_ENCRYPT; }},
      {"sign instead of decrypt",
       [](TPMT_PUBLIC& p) {
         p.objectAttributes |= TPMA_OBJECT_SIGN_ENCRYPT;
         p.objectAttributes &= ~TPMA_OBJECT_DECRYPT;
       }},
      {"not restricted",
       [](TPMT_PUBLIC& p) { p.objectAttributes &= ~TPMA_OBJECT_RESTRICTED; }},
      {"not fixedTPM",
       [](TPMT_PUBLIC& p) { p.objectAttributes &= ~TPMA_OBJECT_FIXEDTPM; }},
      {"not fixedParent",
       [](TPMT_PUBLIC& p) { p.objectAttributes &= ~TPMA_OBJECT_FIXEDPARENT; }},
      {"nameAlg sha1", [](TPMT_PUBLIC& p) { p.nameAlg = TPM2_ALG_SHA1; }},
      {"no symmetric",
       [](TPMT_PUBLIC& p) {
         if (p.type == TPM2_ALG_RSA) {
           p.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
         } else {
           p.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
         }
       }},
      {"keyedhash type", [](TPMT_PUBLIC& p) { p.type = TPM2_ALG_KEYEDHASH; }},
  };
  for (const ekt::EkMaterial* ek : {rsa, ecc}) {
    ASSERT_TRUE(VerifyEkCertificate(store, {}, ek->cert_der, {}, ek->pub).ok());
    for (const Mutation& m : mutations) {
      SCOPED_TRACE(m.name);
      TPMT_PUBLIC pub = ek->pub;
      m.apply(pub);
      EXPECT_EQ(ReasonOf(CheckEkPublicArea(pub)),
                vtpm_attest::v1::EK_PUBLIC_INVALID);
      auto r = VerifyEkCertificate(store, {}, ek->cert_der, {}, pub);
      EXPECT_EQ(ReasonOf(r.status()), vtpm_attest::v1::EK_PUBLIC_INVALID)
          << r.status();
    }
  }
}

TEST(EkPublicCheckTest, SmallRsaKeyFails) {
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::EkMaterial* rsa, ekt::TpmA1Rsa());
  TPMT_PUBLIC pub = rsa->pub;
  pub.parameters.rsaDetail.keyBits = 1024;
  pub.unique.rsa.size = 128;
  EXPECT_EQ(ReasonOf(CheckEkPublicArea(pub)),
            vtpm_attest::v1::EK_PUBLIC_INVALID);
}

}  // namespace
}  // namespace vtpm::verifier
