// The Windows Boot Configuration Log decoder on SIPA event sequences built
// from Microsoft's documented layout (UINT32 type, UINT32 size, data;
// containers nest).
#include "common/bootstate/wbcl.h"

#include <gtest/gtest.h>

#include "tests/bootstate/efi_builders.h"

namespace vtpm::bootstate {
namespace {

using testing::U32;
using testing::U64;
using testing::Utf16;

std::string Bool(bool b) { return std::string(1, b ? '\1' : '\0'); }

std::string LoadedModule(const std::string& path, const std::string& hash) {
  std::string body;
  if (!path.empty()) {
    body += EncodeSipaEvent(kSipaFilePath, Utf16(path) + std::string(2, '\0'));
  }
  body += EncodeSipaEvent(0x00070003 /* hash algorithm id */, U32(0x800c));
  body += EncodeSipaEvent(kSipaAuthenticodeHash, hash);
  return EncodeSipaEvent(kSipaLoadedModuleAggregation, body);
}

TEST(WbclTest, DecodesATrustBoundary) {
  std::string inner =
      EncodeSipaEvent(kSipaBootCounter, U64(42)) +
      EncodeSipaEvent(kSipaBitlockerUnlock, U32(0x4)) +
      EncodeSipaEvent(kSipaTestSigning, Bool(true)) +
      EncodeSipaEvent(kSipaBootDebugging, Bool(false)) +
      EncodeSipaEvent(kSipaOsKernelDebug, Bool(true)) +
      EncodeSipaEvent(kSipaCodeIntegrity, Bool(true)) +
      EncodeSipaEvent(kSipaSafeMode, Bool(false)) +
      EncodeSipaEvent(kSipaWinPe, Bool(true)) +
      EncodeSipaEvent(0x0005FFFF /* unknown */, "whatever") +
      LoadedModule("\\Windows\\System32\\winload.efi", std::string(32, 'h')) +
      LoadedModule("", std::string("\x01\x02", 2));
  std::string event = EncodeSipaEvent(kSipaTrustBoundary, inner);
  WbclState state;
  ASSERT_TRUE(DecodeWbclEvent(event, &state).ok());
  vtpm_attest::v1::WindowsBootState w;
  WbclToProto(state, &w);
  EXPECT_EQ(w.boot_counter(), 42u);
  EXPECT_TRUE(w.bitlocker_unlocked());
  EXPECT_TRUE(w.test_signing());
  EXPECT_FALSE(w.boot_debugging());
  EXPECT_TRUE(w.kernel_debugging());
  EXPECT_TRUE(w.debugging());
  EXPECT_TRUE(w.code_integrity_enabled());
  EXPECT_FALSE(w.safe_mode());
  EXPECT_TRUE(w.winpe());
  ASSERT_EQ(w.loaded_modules_size(), 2);
  EXPECT_EQ(w.loaded_modules(0), "\\Windows\\System32\\winload.efi");
  EXPECT_EQ(w.loaded_modules(1), "authenticode:0102");
}

TEST(WbclTest, CleanBootHasNothingSet) {
  std::string event = EncodeSipaEvent(
      kSipaTrustBoundary, EncodeSipaEvent(kSipaTestSigning, Bool(false)) +
                              EncodeSipaEvent(kSipaCodeIntegrity, Bool(true)));
  WbclState state;
  ASSERT_TRUE(DecodeWbclEvent(event, &state).ok());
  vtpm_attest::v1::WindowsBootState w;
  WbclToProto(state, &w);
  EXPECT_FALSE(w.test_signing());
  EXPECT_FALSE(w.debugging());
  EXPECT_TRUE(w.code_integrity_enabled());
  EXPECT_FALSE(w.bitlocker_unlocked());
}

TEST(WbclTest, WeakeningSettingsLatchOnAndCodeIntegrityLatchesOff) {
  WbclState state;
  ASSERT_TRUE(
      DecodeWbclEvent(
          EncodeSipaEvent(kSipaTrustBoundary,
                          EncodeSipaEvent(kSipaTestSigning, Bool(true)) +
                              EncodeSipaEvent(kSipaCodeIntegrity, Bool(true))),
          &state)
          .ok());
  ASSERT_TRUE(
      DecodeWbclEvent(
          EncodeSipaEvent(kSipaTrustBoundary,
                          EncodeSipaEvent(kSipaTestSigning, Bool(false)) +
                              EncodeSipaEvent(kSipaCodeIntegrity, Bool(false))),
          &state)
          .ok());
  EXPECT_TRUE(state.test_signing);
  ASSERT_TRUE(state.code_integrity.has_value());
  EXPECT_FALSE(*state.code_integrity);
}

TEST(WbclTest, RejectsOverrunsAndDeepNesting) {
  WbclState state;
  // A sub-event claiming more bytes than its container has; the boot
  // counter before it is kept.
  std::string overrun = EncodeSipaEvent(kSipaBootCounter, U64(7)) +
                        U32(kSipaTestSigning) + U32(100) + Bool(true);
  absl::Status s =
      DecodeWbclEvent(EncodeSipaEvent(kSipaTrustBoundary, overrun), &state);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("runs past"), std::string::npos) << s;
  EXPECT_EQ(state.boot_counter, 7u);
  EXPECT_FALSE(state.test_signing);

  std::string nested = EncodeSipaEvent(kSipaTestSigning, Bool(true));
  for (int i = 0; i < 20; ++i)
    nested = EncodeSipaEvent(kSipaTrustBoundary, nested);
  WbclState deep;
  s = DecodeWbclEvent(nested, &deep);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("deeper"), std::string::npos) << s;
  EXPECT_FALSE(deep.test_signing);

  WbclState truncated;
  EXPECT_FALSE(DecodeWbclEvent("\x01\x00\x01", &truncated).ok());
}

}  // namespace
}  // namespace vtpm::bootstate
