// The TPM-free pieces of agent/tpm: EK policy digests against the TCG EK
// Credential Profile's published values, DER splitting of NV contents, and
// the atomic state-file writer.
#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "agent/tpm/ak_store.h"
#include "agent/tpm/der.h"
#include "agent/tpm/ek_template.h"
#include "common/hex.h"
#include "tests/agent_tpm/agent_tpm_fixture.h"

namespace vtpm::agent {
namespace {

using ::testing::HasSubstr;
using ::vtpm::testing::ReadFile;
using ::vtpm::testing::RunOrError;

std::string HexOf(const absl::StatusOr<std::string>& s) {
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? HexEncode(*s) : "";
}

TEST(EkPolicyTest, DigestsAreTheProfilesValues) {
  EXPECT_EQ(HexOf(EkPolicyA(TPM2_ALG_SHA256)),
            "837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa");
  EXPECT_EQ(HexOf(EkPolicyA(TPM2_ALG_SHA384)),
            "8bbf2266537c171cb56e403c4dc1d4b64f432611dc386e6f532050c3278c930e"
            "143e8bb1133824ccb431053871c6db53");
  EXPECT_EQ(HexOf(EkPolicyB(TPM2_ALG_SHA256)),
            "ca3d0a99a2b93906f7a3342414efcfb3a385d44cd1fd459089d19b5071c0b7a0");
  EXPECT_EQ(HexOf(EkPolicyB(TPM2_ALG_SHA384)),
            "b26e7d28d11a50bc53d882bcf5fd3a1a074148bb35d3b4e4cb1c0ad9bde419ca"
            "cb47ba09699646150f9fc000f3f80e12");
  EXPECT_EQ(HexOf(EkPolicyB(TPM2_ALG_SHA512)),
            "b8221ca69e8550a4914de3faa6a18c072cc01208073a928d5d66d59ef79e49a4"
            "29c41a6b269571d57edb25fbdb1838425608b413cd616a5f6db5b6071af99bea");
  EXPECT_FALSE(EkPolicyA(TPM2_ALG_SM3_256).ok());
}

TEST(EkTemplateTest, H3IsWhatSwtpmAndTheProfileUse) {
  const TPMT_PUBLIC t = EkTemplate(EkTemplateId::kH3EccP384).publicArea;
  EXPECT_EQ(t.objectAttributes, 0x000300f2u);
  EXPECT_EQ(t.nameAlg, TPM2_ALG_SHA384);
  EXPECT_EQ(t.parameters.eccDetail.symmetric.keyBits.aes, 256);
  EXPECT_EQ(t.unique.ecc.x.size, 0);
  const TPMT_PUBLIC l1 = EkTemplate(EkTemplateId::kL1Rsa2048).publicArea;
  EXPECT_EQ(l1.objectAttributes, 0x000300b2u);
  EXPECT_EQ(l1.unique.rsa.size, 256);
  EXPECT_TRUE(MatchesEkTemplate(l1, EkTemplateId::kL1Rsa2048));
  EXPECT_FALSE(MatchesEkTemplate(l1, EkTemplateId::kH1Rsa2048));
}

class DerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2; ++i) {
      std::string base = dir_.Sub("c" + std::to_string(i));
      ASSERT_OK(
          RunOrError({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                      "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                      base + ".key", "-subj", "/CN=c" + std::to_string(i),
                      "-days", "1", "-outform", "DER", "-out", base + ".der"}));
      ASSERT_OK_AND_ASSIGN(certs_[i], ReadFile(base + ".der"));
    }
  }
  testing::TempDir dir_;
  std::string certs_[2];
};

TEST_F(DerTest, TrimsPadding) {
  ASSERT_OK_AND_ASSIGN(
      std::string a, TrimToDerCertificate(certs_[0] + std::string(50, '\xff')));
  EXPECT_EQ(a, certs_[0]);
  ASSERT_OK_AND_ASSIGN(std::string b,
                       TrimToDerCertificate(certs_[0] + std::string(3, '\0')));
  EXPECT_EQ(b, certs_[0]);
  EXPECT_FALSE(TrimToDerCertificate(certs_[0].substr(0, 100)).ok());
  EXPECT_FALSE(TrimToDerCertificate("").ok());
  // A SEQUENCE that is not a certificate.
  EXPECT_FALSE(
      TrimToDerCertificate(std::string("\x30\x03\x02\x01\x01", 5)).ok());
}

TEST_F(DerTest, SplitsConcatenatedCertificates) {
  ASSERT_OK_AND_ASSIGN(auto two, SplitDerCertificates(certs_[0] + certs_[1] +
                                                      std::string(7, '\xff')));
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0], certs_[0]);
  EXPECT_EQ(two[1], certs_[1]);
  ASSERT_OK_AND_ASSIGN(auto none, SplitDerCertificates(std::string(9, '\0')));
  EXPECT_TRUE(none.empty());
  auto junk = SplitDerCertificates(certs_[0] + "junk");
  ASSERT_FALSE(junk.ok());
  EXPECT_THAT(junk.status().message(), HasSubstr("certificate 2"));
}

TEST(DerLengthTest, LongFormAndBounds) {
  std::string long_form =
      std::string("\x30\x82\x01\x00", 4) + std::string(256, 'a');
  ASSERT_OK_AND_ASSIGN(size_t len, DerSequenceLength(long_form + "tail"));
  EXPECT_EQ(len, 260u);
  EXPECT_FALSE(DerSequenceLength(long_form.substr(0, 200)).ok());
  EXPECT_FALSE(
      DerSequenceLength(std::string("\x30\x80", 2)).ok());  // indefinite
  EXPECT_FALSE(DerSequenceLength(std::string("\x31\x00", 2)).ok());  // SET
}

TEST(WriteFileAtomicTest, WritesReplacesAndLeavesNoTemporaries) {
  testing::TempDir dir;
  const std::string path = dir.Sub("ak.priv");
  ASSERT_OK(WriteFileAtomic(path, "first", 0600));
  ASSERT_OK(WriteFileAtomic(path, std::string("sec\0nd", 6), 0600));
  ASSERT_OK_AND_ASSIGN(std::string got, ReadFile(path));
  EXPECT_EQ(got, std::string("sec\0nd", 6));
  struct stat st = {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  int entries = 0;
  DIR* d = opendir(dir.path().c_str());
  ASSERT_NE(d, nullptr);
  while (dirent* e = readdir(d)) {
    if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") {
      ++entries;
    }
  }
  closedir(d);
  EXPECT_EQ(entries, 1);
  absl::Status missing = WriteFileAtomic(dir.Sub("no/such/dir/f"), "x", 0600);
  EXPECT_FALSE(missing.ok());
  EXPECT_THAT(missing.message(), HasSubstr("no/such/dir/f"));
}

}  // namespace
}  // namespace vtpm::agent
