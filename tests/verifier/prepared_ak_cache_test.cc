#include "verifier/service/prepared_ak_cache.h"

#include <gtest/gtest.h>
#include <openssl/ec.h>

#include "common/ossl.h"
#include "common/tpm_public.h"

namespace vtpm::verifier {
namespace {

// A real P-256 key in TPMT_PUBLIC form (restricted signing AK attributes).
TPM2B_PUBLIC MakeAk() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  BIGNUM *x = nullptr, *y = nullptr;
  EVP_PKEY_get_bn_param(key.get(), "qx", &x);
  EVP_PKEY_get_bn_param(key.get(), "qy", &y);
  TPM2B_PUBLIC pub = {};
  auto& a = pub.publicArea;
  a.type = TPM2_ALG_ECC;
  a.nameAlg = TPM2_ALG_SHA256;
  a.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                       TPMA_OBJECT_SENSITIVEDATAORIGIN |
                       TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED |
                       TPMA_OBJECT_SIGN_ENCRYPT;
  a.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
  a.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
  a.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  a.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  a.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  a.unique.ecc.x.size = BN_bn2binpad(x, a.unique.ecc.x.buffer, 32);
  a.unique.ecc.y.size = BN_bn2binpad(y, a.unique.ecc.y.buffer, 32);
  BN_free(x);
  BN_free(y);
  return pub;
}

TEST(PreparedAkCacheTest, HitsReturnTheSameKeyAndCapacityIsKept) {
  PreparedAkCache cache(2);
  TPM2B_PUBLIC a = MakeAk(), b = MakeAk(), c = MakeAk();
  std::string ab = *MarshalPublic(a), bb = *MarshalPublic(b),
              cb = *MarshalPublic(c);
  auto a1 = cache.Get(ab, a.publicArea);
  auto a2 = cache.Get(ab, a.publicArea);
  ASSERT_TRUE(a1.ok() && a2.ok());
  EXPECT_EQ(a1->get(), a2->get());
  auto b1 = cache.Get(bb, b.publicArea);
  ASSERT_TRUE(b1.ok());
  EXPECT_NE(a1->get(), b1->get());
  ASSERT_TRUE(cache.Get(ab, a.publicArea).ok());  // a is now most recent
  ASSERT_TRUE(cache.Get(cb, c.publicArea).ok());  // evicts b
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Get(ab, a.publicArea)->get(), a1->get());
  EXPECT_NE(cache.Get(bb, b.publicArea)->get(), b1->get());
}

TEST(PreparedAkCacheTest, InvalidKeyIsAnErrorAndNotCached) {
  PreparedAkCache cache(4);
  TPM2B_PUBLIC bad = MakeAk();
  bad.publicArea.unique.ecc.x.buffer[5] ^= 0xff;  // off the curve
  EXPECT_FALSE(cache.Get(*MarshalPublic(bad), bad.publicArea).ok());
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace vtpm::verifier
