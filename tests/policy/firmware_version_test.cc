#include "verifier/policy/firmware_version.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vtpm::verifier {
namespace {

using ::testing::ElementsAre;

int Cmp(const char* a, const char* b) {
  return CompareFirmwareVersions(*ParseFirmwareVersion(a),
                                 *ParseFirmwareVersion(b));
}

TEST(FirmwareVersionTest, Parses) {
  EXPECT_THAT(*ParseFirmwareVersion("2.7.1"), ElementsAre(2, 7, 1));
  EXPECT_THAT(*ParseFirmwareVersion("edk2-stable202211"),
              ElementsAre(2, 202211));
  EXPECT_THAT(*ParseFirmwareVersion("1.00"), ElementsAre(1, 0));
  EXPECT_FALSE(ParseFirmwareVersion("").ok());
  EXPECT_FALSE(ParseFirmwareVersion("EDK II").ok());
  EXPECT_FALSE(ParseFirmwareVersion("1234567890123456789").ok());
}

TEST(FirmwareVersionTest, ComparesNumerically) {
  EXPECT_GT(Cmp("2.10", "2.9"), 0);
  EXPECT_LT(Cmp("2.9", "2.10"), 0);
  EXPECT_EQ(Cmp("1.0", "1"), 0);
  EXPECT_EQ(Cmp("v1.02", "1.2"), 0);
  EXPECT_GT(Cmp("1.0.1", "1"), 0);
  EXPECT_LT(Cmp("edk2-stable202205", "edk2-stable202211"), 0);
}

}  // namespace
}  // namespace vtpm::verifier
