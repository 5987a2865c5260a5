#include "verifier/policy/pcr_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/hex.h"
#include "tests/harness/process.h"

namespace vtpm::verifier {
namespace {

using ::testing::HasSubstr;

TEST(PcrTextTest, ReadsTheFixtureFiles) {
  for (const char* name : {"ovmf-direct-plain-crb", "ovmf-uki-plain-crb",
                           "ovmf-shim-secboot-crb"}) {
    auto text =
        testing::ReadFile(testing::SourceDir() + "/tests/data/eventlogs/" +
                          name + "/pcrs-sha256.txt");
    ASSERT_TRUE(text.ok()) << text.status();
    auto pcrs = ParsePcrText(*text);
    ASSERT_TRUE(pcrs.ok()) << pcrs.status();
    ASSERT_EQ(pcrs->size(), 1u);
    EXPECT_EQ(pcrs->at(TPM2_ALG_SHA256).size(), 24u);
    EXPECT_EQ(HexEncode(pcrs->at(TPM2_ALG_SHA256).at(17)),
              std::string(64, 'f'));
  }
}

TEST(PcrTextTest, BankPrefixCommentsAndBlankLines) {
  auto pcrs = ParsePcrText("# comment\n\nsha1:0 " + std::string(40, 'A') +
                           "\n0 " + std::string(64, '1') + "\r\nsha384:23 " +
                           std::string(96, '2') + "\n");
  ASSERT_TRUE(pcrs.ok()) << pcrs.status();
  EXPECT_EQ(HexEncode(pcrs->at(TPM2_ALG_SHA1).at(0)), std::string(40, 'a'));
  EXPECT_EQ(pcrs->at(TPM2_ALG_SHA256).size(), 1u);
  EXPECT_EQ(pcrs->at(TPM2_ALG_SHA384).at(23).size(), 48u);
}

TEST(PcrTextTest, ErrorsNameTheLine) {
  const std::string d = std::string(64, '0');
  struct Case {
    std::string text, want;
  } cases[] = {
      {"0 " + d + "\n24 " + d, "line 2: PCR index '24'"},
      {"md5:0 " + d, "line 1: unknown bank 'md5'"},
      {"0 " + d + "\n0 " + d, "line 2: sha256:0 is given twice"},
      {"1 abcd", "line 1: sha256 value is 2 bytes, want 32"},
      {"1 " + d + " extra", "line 1: expected"},
      {"x " + d, "line 1: PCR index 'x'"},
      {"1 zz", "line 1:"},
      {"# nothing\n", "no PCR value"},
  };
  for (const Case& c : cases) {
    auto pcrs = ParsePcrText(c.text);
    ASSERT_FALSE(pcrs.ok()) << c.text;
    EXPECT_THAT(pcrs.status().message(), HasSubstr(c.want)) << c.text;
  }
}

}  // namespace
}  // namespace vtpm::verifier
