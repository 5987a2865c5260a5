#include "common/pcr_selection.h"

#include <gtest/gtest.h>

#include "common/hex.h"
#include "common/tpm_alg.h"

namespace vtpm {
namespace {

TEST(PcrSelectionTest, ParsesRangesAndBanks) {
  auto sel = ParsePcrSelection("sha256:0-7,10+sha1:0,1");
  ASSERT_TRUE(sel.ok()) << sel.status();
  ASSERT_EQ(sel->size(), 2u);
  EXPECT_EQ((*sel)[0].hash, TPM2_ALG_SHA256);
  EXPECT_EQ((*sel)[0].pcrs.to_ulong(), 0x4ffu);
  EXPECT_EQ((*sel)[1].hash, TPM2_ALG_SHA1);
  EXPECT_EQ(PcrSelectionToString(*sel), "sha256:0-7,10+sha1:0-1");
}

TEST(PcrSelectionTest, RejectsBadInput) {
  EXPECT_FALSE(ParsePcrSelection("").ok());
  EXPECT_FALSE(ParsePcrSelection("md5:0").ok());
  EXPECT_FALSE(ParsePcrSelection("sha256:24").ok());
  EXPECT_FALSE(ParsePcrSelection("sha256:7-3").ok());
  EXPECT_FALSE(ParsePcrSelection("sha256:").ok());
  EXPECT_FALSE(ParsePcrSelection("sha256:1+sha256:2").ok());
  EXPECT_FALSE(ParsePcrSelection("sha256:x").ok());
}

TEST(PcrSelectionTest, TpmlRoundTrip) {
  auto sel = *ParsePcrSelection("sha256:0,16,23+sha384:5");
  TPML_PCR_SELECTION t = ToTpml(sel);
  EXPECT_EQ(t.count, 2u);
  EXPECT_EQ(t.pcrSelections[0].pcrSelect[2], 0x81);
  auto back = FromTpml(t);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, sel);
}

TEST(PcrSelectionTest, FromTpmlRejectsDuplicateBanksAndBigSelect) {
  TPML_PCR_SELECTION t = ToTpml(*ParsePcrSelection("sha256:0"));
  t.count = 2;
  t.pcrSelections[1] = t.pcrSelections[0];
  EXPECT_FALSE(FromTpml(t).ok());
  t.count = 1;
  t.pcrSelections[0].sizeofSelect = 4;
  t.pcrSelections[0].pcrSelect[3] = 1;
  EXPECT_FALSE(FromTpml(t).ok());
  t.count = 17;
  EXPECT_FALSE(FromTpml(t).ok());
}

TEST(PcrSelectionTest, DigestOverSelectionOrder) {
  auto sel = *ParsePcrSelection("sha256:0,1");
  PcrValues values;
  values[TPM2_ALG_SHA256][0] = std::string(32, '\x01');
  values[TPM2_ALG_SHA256][1] = std::string(32, '\x02');
  auto digest = ComputePcrDigest(sel, values, TPM2_ALG_SHA256);
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(*digest, *Hash(TPM2_ALG_SHA256,
                           std::string(32, '\x01') + std::string(32, '\x02')));
  values[TPM2_ALG_SHA256].erase(1);
  EXPECT_FALSE(ComputePcrDigest(sel, values, TPM2_ALG_SHA256).ok());
}

TEST(PcrSelectionTest, ValuesFromProtoCheckSizes) {
  google::protobuf::RepeatedPtrField<vtpm_attest::v1::PcrBankValues> in;
  auto* bank = in.Add();
  bank->set_hash(vtpm_attest::v1::HASH_ALGORITHM_SHA256);
  (*bank->mutable_values())[0] = std::string(31, 'x');
  EXPECT_FALSE(PcrValuesFromProto(in).ok());
  (*bank->mutable_values())[0] = std::string(32, 'x');
  EXPECT_TRUE(PcrValuesFromProto(in).ok());
  (*bank->mutable_values())[24] = std::string(32, 'x');
  EXPECT_FALSE(PcrValuesFromProto(in).ok());
}

}  // namespace
}  // namespace vtpm
