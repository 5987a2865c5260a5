// Known-answer tests for KDFa and KDFe. Expected values come from an
// independent implementation: the `openssl kdf` command line, run by the
// test on the same inputs.
//  - KDFa is NIST SP 800-108 counter mode with HMAC, which is OpenSSL's
//    KBKDF (mode COUNTER, mac HMAC, 32-bit counter before the fixed input,
//    label = "salt", 0x00 separator, context = "info", 32-bit L after).
//  - KDFe is the SP 800-56 one-step (concatenation) KDF with a plain hash,
//    which is OpenSSL's SSKDF: H([i]_32 || Z || FixedInfo), where the TPM's
//    FixedInfo is label || 0x00 || partyUInfo || partyVInfo.
// OpenSSL always writes the 0x00 separator; the TPM omits it when the label
// already ends in 0, so for such labels OpenSSL is given the label without
// its last byte. Inputs are random per run, so every run checks new vectors.
#include "common/crypto/kdf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/rand.h>

#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/hex.h"
#include "tests/harness/process.h"

namespace vtpm {
namespace {

using ::testing::HasSubstr;

struct HashCase {
  TPMI_ALG_HASH alg;
  const char* openssl_name;
  size_t size;
};

void PrintTo(const HashCase& h, std::ostream* os) { *os << h.openssl_name; }

const HashCase kHashes[] = {
    {TPM2_ALG_SHA1, "SHA1", 20},
    {TPM2_ALG_SHA256, "SHA256", 32},
    {TPM2_ALG_SHA384, "SHA384", 48},
    {TPM2_ALG_SHA512, "SHA512", 64},
};

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  EXPECT_EQ(RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                       static_cast<int>(n)),
            1);
  return out;
}

// Runs `openssl kdf` and returns its output as lower-case hex without
// separators.
std::string OpensslKdf(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"openssl", "kdf"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto out = testing::RunOrError(argv);
  EXPECT_TRUE(out.ok()) << out.status();
  if (!out.ok()) return "";
  return absl::AsciiStrToLower(
      absl::StrReplaceAll(absl::StripAsciiWhitespace(*out), {{":", ""}}));
}

// OpenSSL's KBKDF on the TPM's KDFa inputs.
std::string OpensslKdfA(const HashCase& h, const std::string& key,
                        std::string label, const std::string& context,
                        size_t bytes) {
  if (!label.empty() && label.back() == '\0') label.pop_back();
  std::vector<std::string> args = {
      "-keylen", absl::StrCat(bytes),
      "-kdfopt", absl::StrCat("digest:", h.openssl_name),
      "-kdfopt", "mac:HMAC",
      "-kdfopt", "mode:COUNTER",
      "-kdfopt", "hexkey:" + HexEncode(key)};
  if (!label.empty()) {
    args.insert(args.end(), {"-kdfopt", "hexsalt:" + HexEncode(label)});
  }
  if (!context.empty()) {
    args.insert(args.end(), {"-kdfopt", "hexinfo:" + HexEncode(context)});
  }
  args.push_back("KBKDF");
  return OpensslKdf(args);
}

// OpenSSL's SSKDF on the TPM's KDFe inputs.
std::string OpensslKdfE(const HashCase& h, const std::string& z,
                        const std::string& label, const std::string& u,
                        const std::string& v, size_t bytes) {
  std::string fixed_info = label;
  if (label.empty() || label.back() != '\0') fixed_info.push_back('\0');
  fixed_info += u + v;
  return OpensslKdf({"-keylen", absl::StrCat(bytes), "-kdfopt",
                     absl::StrCat("digest:", h.openssl_name), "-kdfopt",
                     "hexkey:" + HexEncode(z), "-kdfopt",
                     "hexinfo:" + HexEncode(fixed_info), "SSKDF"});
}

class KdfKnownAnswerTest : public ::testing::TestWithParam<HashCase> {};

TEST_P(KdfKnownAnswerTest, KdfAMatchesOpensslKbkdf) {
  const HashCase& h = GetParam();
  const std::string key = RandomBytes(h.size);
  // A TPM object name as context (nameAlg || digest).
  const std::string name = std::string("\x00\x0b", 2) + RandomBytes(32);
  struct Case {
    std::string label;
    std::string context_u;
    std::string context_v;
    size_t bytes;
  };
  const std::vector<Case> cases = {
      {"STORAGE", name, "", 16},                          // AES-128 key
      {"STORAGE", name, "", 32},                          // AES-256 key
      {std::string("INTEGRITY\0", 10), "", "", h.size},   // HMAC key
      {"", "", "", h.size},                               // no label at all
      {"DUPLICATE", "u-part", "v-part", 2 * h.size + 8},  // 3 blocks, partial
      {std::string("IDENTITY\0", 9), name, "v", 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(h.openssl_name, " label '", c.label, "' ",
                              c.bytes, " bytes"));
    auto ours = KdfA(h.alg, key, c.label, c.context_u, c.context_v,
                     static_cast<uint32_t>(c.bytes * 8));
    ASSERT_TRUE(ours.ok()) << ours.status();
    ASSERT_EQ(ours->size(), c.bytes);
    EXPECT_EQ(HexEncode(AsStringView(*ours)),
              OpensslKdfA(h, key, c.label, c.context_u + c.context_v, c.bytes));
  }
}

TEST_P(KdfKnownAnswerTest, KdfAWithAndWithoutLabelTerminatorAgree) {
  const HashCase& h = GetParam();
  const std::string key = RandomBytes(h.size);
  auto bare = KdfA(h.alg, key, "STORAGE", "ctx", "", 128);
  auto terminated =
      KdfA(h.alg, key, std::string("STORAGE\0", 8), "ctx", "", 128);
  ASSERT_TRUE(bare.ok() && terminated.ok());
  EXPECT_EQ(*bare, *terminated);
  auto other = KdfA(h.alg, key, "STORAGF", "ctx", "", 128);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*bare, *other);
}

TEST_P(KdfKnownAnswerTest, KdfEMatchesOpensslSskdf) {
  const HashCase& h = GetParam();
  // Z and the x coordinates of a P-384 exchange.
  const std::string z = RandomBytes(48);
  const std::string u = RandomBytes(48);
  const std::string v = RandomBytes(48);
  struct Case {
    std::string label;
    std::string u;
    std::string v;
    size_t bytes;
  };
  const std::vector<Case> cases = {
      {"IDENTITY", u, v, h.size},  // credential seed
      {std::string("IDENTITY\0", 9), u, v, h.size},
      {"SECRET", u, v, 16},
      {"", "", "", h.size},
      {"DUPLICATE", u, "", 3 * h.size - 5},  // 3 blocks, partial
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(h.openssl_name, " label '", c.label, "' ",
                              c.bytes, " bytes"));
    auto ours =
        KdfE(h.alg, z, c.label, c.u, c.v, static_cast<uint32_t>(c.bytes * 8));
    ASSERT_TRUE(ours.ok()) << ours.status();
    ASSERT_EQ(ours->size(), c.bytes);
    EXPECT_EQ(HexEncode(AsStringView(*ours)),
              OpensslKdfE(h, z, c.label, c.u, c.v, c.bytes));
  }
}

INSTANTIATE_TEST_SUITE_P(AllHashes, KdfKnownAnswerTest,
                         ::testing::ValuesIn(kHashes), [](const auto& info) {
                           return std::string(info.param.openssl_name);
                         });

TEST(KdfArgumentsTest, RejectsUnsupportedHash) {
  for (TPMI_ALG_HASH alg :
       {TPMI_ALG_HASH{TPM2_ALG_NULL}, TPMI_ALG_HASH{TPM2_ALG_SM3_256},
        TPMI_ALG_HASH{TPM2_ALG_SHA3_256}}) {
    auto a = KdfA(alg, "key", "L", "", "", 128);
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(a.status().message(), HasSubstr("unsupported hash"));
    auto e = KdfE(alg, "z", "L", "", "", 128);
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(KdfArgumentsTest, RejectsBadLengths) {
  for (uint32_t bits : {0u, 7u, 129u, kMaxKdfBits + 8}) {
    SCOPED_TRACE(bits);
    auto a = KdfA(TPM2_ALG_SHA256, "key", "L", "", "", bits);
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(a.status().message(), HasSubstr("multiple of 8"));
    auto e = KdfE(TPM2_ALG_SHA256, "z", "L", "", "", bits);
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(KdfA(TPM2_ALG_SHA256, "key", "L", "", "", kMaxKdfBits).ok());
}

}  // namespace
}  // namespace vtpm
