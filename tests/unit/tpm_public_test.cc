// TPM2B_PUBLIC parsing, names and key conversion, checked against a real
// swtpm and tpm2-tools.
#include "common/tpm_public.h"

#include <gtest/gtest.h>

#include "common/hex.h"
#include "tests/harness/swtpm.h"

namespace vtpm {
namespace {

using ::vtpm::testing::ReadFile;
using ::vtpm::testing::RunOrError;

class TpmPublicTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = testing::TestCa::Create(dir_.path());
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    auto tpm = testing::Swtpm::Start(dir_.Sub("tpm"), *ca_);
    ASSERT_TRUE(tpm.ok()) << tpm.status();
    tpm_ = std::move(*tpm);
  }

  // Reads the public area at `handle` with tpm2_readpublic, checks our
  // name against the TPM's and our key against the NV certificate.
  void CheckEk(const std::string& handle, const std::string& nv_index) {
    std::string pub_path = dir_.Sub("ek.pub");
    std::string name_path = dir_.Sub("ek.name");
    ASSERT_TRUE(RunOrError({"tpm2_readpublic", "-c", handle, "-o", pub_path,
                            "-n", name_path},
                           {tpm_->tools_env()})
                    .ok());
    auto pub = ParsePublic(*ReadFile(pub_path));
    ASSERT_TRUE(pub.ok()) << pub.status();
    auto name = ComputeName(pub->publicArea);
    ASSERT_TRUE(name.ok()) << name.status();
    EXPECT_EQ(HexEncode(*name), HexEncode(*ReadFile(name_path)));

    std::string der_path = dir_.Sub("ek.der");
    ASSERT_TRUE(
        RunOrError({"tpm2_nvread", nv_index, "-C", nv_index, "-o", der_path},
                   {tpm_->tools_env()})
            .ok());
    auto cert = ParseDerCertificate(*ReadFile(der_path));
    ASSERT_TRUE(cert.ok()) << cert.status();
    EVP_PKEY* cert_key = X509_get0_pubkey(cert->get());
    auto match = PublicMatchesEvp(pub->publicArea, cert_key);
    ASSERT_TRUE(match.ok()) << match.status();
    EXPECT_TRUE(*match);
    auto marshaled = MarshalPublic(*pub);
    ASSERT_TRUE(marshaled.ok());
    EXPECT_EQ(*marshaled, *ReadFile(pub_path));
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::TestCa> ca_;
  std::unique_ptr<testing::Swtpm> tpm_;
};

TEST_F(TpmPublicTest, RsaEkMatchesItsCertificateAndName) {
  CheckEk("0x81010001", "0x01c00002");
}

TEST_F(TpmPublicTest, EccP384EkMatchesItsCertificateAndName) {
  CheckEk("0x81010016", "0x01c00016");
}

TEST(TpmPublicParseTest, RejectsTruncatedAndTrailingBytes) {
  EXPECT_FALSE(ParsePublic("").ok());
  EXPECT_FALSE(ParsePublic(std::string("\x00\x10\x00\x01", 4)).ok());
  TPM2B_PUBLIC pub = {};
  pub.publicArea.type = TPM2_ALG_ECC;
  pub.publicArea.nameAlg = TPM2_ALG_SHA256;
  pub.publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
  pub.publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
  pub.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  pub.publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  auto bytes = MarshalPublic(pub);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_TRUE(ParsePublic(*bytes).ok());
  EXPECT_FALSE(ParsePublic(*bytes + "x").ok());
  EXPECT_FALSE(ParsePublic(bytes->substr(0, bytes->size() - 1)).ok());
  // A size field that disagrees with the area, and an empty TPM2B.
  std::string lying = *bytes;
  lying[1] = static_cast<char>(lying[1] - 1);
  EXPECT_FALSE(ParsePublic(lying).ok());
  EXPECT_FALSE(ParsePublic(std::string("\x00\x00", 2)).ok());
  // An all-zero point is not a valid key.
  EXPECT_FALSE(PublicToEvp(pub.publicArea).ok());
}

}  // namespace
}  // namespace vtpm
