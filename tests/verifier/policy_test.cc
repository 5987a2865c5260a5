#include "verifier/policy/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "common/hex.h"
#include "common/reason.h"
#include "tests/harness/process.h"

namespace vtpm::verifier {
namespace {

using ::testing::HasSubstr;
namespace v1 = vtpm_attest::v1;

TEST(PolicyTest, ParsesAndCanonicalizesValues) {
  auto p = ParsePolicy(R"({"tpmFamily": "2.0", "pcrValues": [{"hash":
      "HASH_ALGORITHM_SHA256", "pcrs": [{"index": 0, "values": ["0xAB00000000000000000000000000000000000000000000000000000000000000"]}]}]})",
                       "p.json", "fallback");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->name(), "fallback");
  EXPECT_EQ(p->pcr_values(0).pcrs(0).values(0),
            "ab00000000000000000000000000000000000000000000000000000000000000");
}

TEST(PolicyTest, UnknownFieldIsAnErrorNamingFileAndField) {
  auto p = ParsePolicy(R"({"name": "x", "requireEkCert": true})", "/etc/p.json",
                       "x");
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("/etc/p.json"));
  EXPECT_THAT(p.status().message(), HasSubstr("requireEkCert"));
}

TEST(PolicyTest, BadValuesAreErrorsNamingTheField) {
  auto wrong_size =
      ParsePolicy(R"({"pcrValues": [{"hash": "HASH_ALGORITHM_SHA256",
      "pcrs": [{"index": 3, "values": ["abcd"]}]}]})",
                  "p.json", "p");
  ASSERT_FALSE(wrong_size.ok());
  EXPECT_THAT(wrong_size.status().message(),
              HasSubstr("pcrValues[0].pcrs[0].values[0]"));
  EXPECT_FALSE(ParsePolicy(R"({"tpmFamily": "1.2"})", "p.json", "p").ok());
  EXPECT_FALSE(
      ParsePolicy(
          R"({"quotePcrs": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": [24]}]})",
          "p.json", "p")
          .ok());
  EXPECT_FALSE(ParsePolicy(R"({"pcrValues": [{"hash": "HASH_ALGORITHM_SHA256",
      "pcrs": [{"index": 3, "values": ["zz"]}]}]})",
                           "p.json", "p")
                   .ok());
  EXPECT_FALSE(
      ParsePolicy(R"({"pcrValues": [{"hash": "HASH_ALGORITHM_UNSPECIFIED",
      "pcrs": [{"index": 3, "values": []}]}]})",
                  "p.json", "p")
          .ok());
  EXPECT_FALSE(ParsePolicy("{not json", "p.json", "p").ok());
}

TEST(PolicyTest, SelectsMostSpecificMatchingPolicy) {
  std::vector<Policy> ps(3);
  ps[0].set_name("default");
  ps[1].set_name("debian");
  (*ps[1].mutable_match_labels())["image"] = "debian-12";
  ps[2].set_name("debian-small");
  (*ps[2].mutable_match_labels())["image"] = "debian-12";
  (*ps[2].mutable_match_labels())["flavor"] = "small";
  auto set = PolicySet::FromPolicies(ps);
  ASSERT_TRUE(set.ok());
  EXPECT_EQ((*set->Select({}))->name(), "default");
  EXPECT_EQ((*set->Select({{"image", "debian-12"}}))->name(), "debian");
  EXPECT_EQ(
      (*set->Select({{"image", "debian-12"}, {"flavor", "small"}}))->name(),
      "debian-small");
  EXPECT_EQ((*set->Select({{"image", "ubuntu"}}))->name(), "default");
}

TEST(PolicyTest, NoMatchingPolicyIsPolicyNotFound) {
  std::vector<Policy> ps(1);
  ps[0].set_name("only-debian");
  (*ps[0].mutable_match_labels())["image"] = "debian-12";
  auto set = PolicySet::FromPolicies(ps);
  auto sel = set->Select({{"image", "centos"}});
  ASSERT_FALSE(sel.ok());
  EXPECT_EQ(ReasonOf(sel.status()), v1::POLICY_NOT_FOUND);
}

TEST(PolicyTest, DuplicateNamesAreRejected) {
  std::vector<Policy> ps(2);
  ps[0].set_name("a");
  ps[1].set_name("a");
  EXPECT_FALSE(PolicySet::FromPolicies(ps).ok());
}

TEST(PolicyTest, EvaluatesFamilyModelAndPcrs) {
  auto p = ParsePolicy(
      R"({"name": "p", "tpmFamily": "2.0", "allowedTpmModels": ["id:00001014:swtpm"],
      "pcrValues": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": [
        {"index": 0, "values": ["0000000000000000000000000000000000000000000000000000000000000000"]},
        {"index": 1, "values": ["0101010101010101010101010101010101010101010101010101010101010101"]}]}]})",
      "p.json", "p");
  ASSERT_TRUE(p.ok()) << p.status();
  PcrValues pcrs;
  pcrs[TPM2_ALG_SHA256][0] = std::string(32, '\0');
  pcrs[TPM2_ALG_SHA256][1] = std::string(32, '\1');
  PolicyInput in;
  in.tpm.family = "2.0";
  in.tpm.certified = true;
  in.tpm.manufacturer = "id:00001014";
  in.tpm.model = "swtpm";
  in.pcrs = &pcrs;
  EXPECT_TRUE(EvaluatePolicy(*p, in).empty());

  pcrs[TPM2_ALG_SHA256][1] = std::string(32, '\2');
  in.tpm.manufacturer = "IFX";
  in.tpm.family = "1.2";
  auto reasons = EvaluatePolicy(*p, in);
  ASSERT_EQ(reasons.size(), 3u);
  EXPECT_EQ(reasons[0].code(), v1::POLICY_TPM_FAMILY);
  EXPECT_EQ(reasons[1].code(), v1::POLICY_TPM_MODEL);
  EXPECT_EQ(reasons[2].code(), v1::POLICY_PCR_MISMATCH);
  EXPECT_THAT(reasons[2].message(), HasSubstr("sha256:1"));

  pcrs[TPM2_ALG_SHA256].erase(0);
  in.tpm.manufacturer = "id:00001014";
  in.tpm.family = "2.0";
  reasons = EvaluatePolicy(*p, in);
  ASSERT_EQ(reasons.size(), 2u);
  EXPECT_THAT(reasons[0].message(), HasSubstr("not quoted"));

  // What the guest reports does not make a TPM certified.
  v1::TpmFacts claimed;
  claimed.set_family("2.0");
  claimed.set_manufacturer("IBM");
  claimed.set_vendor("SW TPM");
  PolicyInput only_claims;
  only_claims.reported.tpm = &claimed;
  reasons = EvaluatePolicy(*p, only_claims);
  ASSERT_GE(reasons.size(), 1u);
  EXPECT_EQ(reasons[0].code(), v1::POLICY_TPM_MODEL);
}

TEST(PolicyTest, ShippedPoliciesLoad) {
  auto set = PolicySet::LoadDirectory(testing::SourceDir() + "/policies");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_NE(set->Find("default"), nullptr);
}

TEST(PolicyTest, DirectoryErrorsNameTheFile) {
  testing::TempDir dir;
  ASSERT_TRUE(testing::WriteFile(dir.Sub("bad.json"), R"({"nme": 1})").ok());
  auto set = PolicySet::LoadDirectory(dir.path());
  ASSERT_FALSE(set.ok());
  EXPECT_THAT(set.status().message(), HasSubstr("bad.json"));
  testing::TempDir empty;
  EXPECT_FALSE(PolicySet::LoadDirectory(empty.path()).ok());
  EXPECT_FALSE(PolicySet::LoadDirectory(empty.Sub("missing")).ok());
}

}  // namespace
}  // namespace vtpm::verifier
