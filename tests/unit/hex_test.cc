#include "common/hex.h"

#include <gtest/gtest.h>

namespace vtpm {
namespace {

TEST(HexTest, RoundTrip) {
  std::string bytes("\x00\x01\xab\xff", 4);
  EXPECT_EQ(HexEncode(bytes), "0001abff");
  EXPECT_EQ(*HexDecode("0001ABff"), bytes);
  EXPECT_EQ(*HexDecode("0x0001abff"), bytes);
  EXPECT_EQ(*HexDecode(""), "");
}

TEST(HexTest, RejectsOddLengthAndBadCharacters) {
  EXPECT_FALSE(HexDecode("abc").ok());
  auto bad = HexDecode("00zz");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("position 2"), std::string::npos);
}

}  // namespace
}  // namespace vtpm
