// tpm2-tools PCR files: real files from tpm2_quote / tpm2_pcrread against
// a swtpm, byte-for-byte round trips, tpm2_checkquote accepting our output,
// and strict rejection of damaged files.
#include "common/tpm2tools/pcr_file.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/hex.h"
#include "common/tpm_alg.h"
#include "tests/harness/process.h"
#include "tests/quote/quote_tpm.h"

namespace vtpm::tpm2tools {
namespace {

using ::vtpm::testing::ReadFile;
using ::vtpm::testing::WriteFile;

// A value that differs per bank and PCR.
std::string Value(TPMI_ALG_HASH bank, uint32_t pcr) {
  return std::string(DigestSize(bank), static_cast<char>(bank * 31 + pcr));
}

PcrValues ValuesFor(const PcrSelection& sel) {
  PcrValues v;
  for (const auto& b : sel) {
    for (int i = 0; i < kMaxPcrs; ++i) {
      if (b.pcrs.test(i)) v[b.hash][i] = Value(b.hash, i);
    }
  }
  return v;
}

PcrSelection Sel(const std::string& text) {
  auto s = ParsePcrSelection(text);
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

// --- Against a real TPM and tpm2-tools ------------------------------------

class PcrFileTpmTest : public ::testing::Test {
 protected:
  // One swtpm for the suite, made by the first test (a failure there fails
  // the test rather than skipping the suite).
  void SetUp() override {
    if (ak_ == nullptr) {
      absl::Status s = SetUpTpm();
      ASSERT_TRUE(s.ok()) << s;
    }
  }
  static absl::Status SetUpTpm() {
    auto dir = std::make_unique<testing::TempDir>();
    auto tpm = testing::QuoteTpm::Create(dir->Sub("q"));
    if (!tpm.ok()) return tpm.status();
    // Make some PCRs non-zero so that order and values matter.
    for (const char* arg :
         {"0:sha256="
          "1111111111111111111111111111111111111111111111111111111111111111",
          "3:sha256="
          "3333333333333333333333333333333333333333333333333333333333333333",
          "7:sha256="
          "7777777777777777777777777777777777777777777777777777777777777777",
          "16:sha256="
          "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"}) {
      auto out = (*tpm)->Tool({"tpm2_pcrextend", arg});
      if (!out.ok()) return out.status();
    }
    auto ak = (*tpm)->CreateAk("ak", "ecc", "sha256", "ecdsa");
    if (!ak.ok()) return ak.status();
    dir_ = dir.release();
    tpm_ = tpm->release();
    ak_ = new testing::AkFiles(*ak);
    return absl::OkStatus();
  }
  static void TearDownTestSuite() {
    delete ak_;
    delete tpm_;
    delete dir_;
    ak_ = nullptr;
    tpm_ = nullptr;
    dir_ = nullptr;
  }

  static testing::TempDir* dir_;
  static testing::QuoteTpm* tpm_;
  static testing::AkFiles* ak_;
};

testing::TempDir* PcrFileTpmTest::dir_ = nullptr;
testing::QuoteTpm* PcrFileTpmTest::tpm_ = nullptr;
testing::AkFiles* PcrFileTpmTest::ak_ = nullptr;

TEST_F(PcrFileTpmTest, QuotePcrFileRoundTripsByteForByte) {
  auto q = tpm_->Quote(*ak_, "rt", "sha256:0,1,2,3,4,5,6,7", "00ff");
  ASSERT_TRUE(q.ok()) << q.status();
  auto file = ReadFile(q->pcrs);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->size(), kSerializedHeadSize + kSerializedDigestListSize);
  auto parsed = ParseSerializedPcrs(*file);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(PcrSelectionToString(parsed->first), "sha256:0-7");
  // The values are the TPM's, as tpm2_pcrread reports them.
  auto read = tpm_->ReadPcrs(parsed->first, "rt.values");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(parsed->second, *read);
  EXPECT_EQ(HexEncode(parsed->second.at(TPM2_ALG_SHA256).at(3)),
            HexEncode(read->at(TPM2_ALG_SHA256).at(3)));
  EXPECT_NE(parsed->second.at(TPM2_ALG_SHA256).at(3), std::string(32, '\0'));
  auto again = SerializePcrs(parsed->first, parsed->second);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(HexEncode(*again), HexEncode(*file));
}

TEST_F(PcrFileTpmTest, AllPcrsInThreeDigestListsRoundTrip) {
  std::string all = "sha256:0";
  for (int i = 1; i < 24; ++i) absl::StrAppend(&all, ",", i);
  std::string path = tpm_->Path("all.pcrs");
  ASSERT_TRUE(
      tpm_->Tool({"tpm2_pcrread", all, "-F", "serialized", "-o", path}).ok());
  auto file = ReadFile(path);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->size(), kSerializedHeadSize + 3 * kSerializedDigestListSize);
  auto parsed = ParseSerializedPcrs(*file);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->second.at(TPM2_ALG_SHA256).size(), 24u);
  auto again = SerializePcrs(parsed->first, parsed->second);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *file);

  // The values form of the same PCRs gives the same values.
  std::string raw_path = tpm_->Path("all.values");
  ASSERT_TRUE(
      tpm_->Tool({"tpm2_pcrread", all, "-F", "values", "-o", raw_path}).ok());
  auto raw = ReadFile(raw_path);
  ASSERT_TRUE(raw.ok());
  auto values = ParseRawPcrValues(*raw, parsed->first);
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_EQ(*values, parsed->second);
}

TEST_F(PcrFileTpmTest, Tpm2CheckquoteAcceptsOurSerializedFile) {
  auto q = tpm_->Quote(*ak_, "cq", "sha256:0,3,7,16", "abcdef");
  ASSERT_TRUE(q.ok()) << q.status();
  // Rebuild the PCR file from values read separately, in our own code.
  auto sel = Sel("sha256:0,3,7,16");
  auto read = tpm_->ReadPcrs(sel, "cq.values");
  ASSERT_TRUE(read.ok()) << read.status();
  auto ours = SerializePcrs(sel, *read);
  ASSERT_TRUE(ours.ok()) << ours.status();
  std::string ours_path = tpm_->Path("cq.ours");
  ASSERT_TRUE(WriteFile(ours_path, *ours).ok());
  auto out = testing::RunCommand({"tpm2_checkquote", "-u", ak_->pub, "-m",
                                  q->msg, "-s", q->sig, "-f", ours_path, "-g",
                                  "sha256", "-q", "abcdef"});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->exit_code, 0) << out->output;

  // And it rejects our file once a value is changed: the check is real.
  (*read)[TPM2_ALG_SHA256][7][0] ^= 1;
  auto bad = SerializePcrs(sel, *read);
  ASSERT_TRUE(bad.ok());
  ASSERT_TRUE(WriteFile(ours_path, *bad).ok());
  out = testing::RunCommand({"tpm2_checkquote", "-u", ak_->pub, "-m", q->msg,
                             "-s", q->sig, "-f", ours_path, "-g", "sha256",
                             "-q", "abcdef"});
  ASSERT_TRUE(out.ok());
  EXPECT_NE(out->exit_code, 0);
}

// --- Synthetic files: layout and strictness -------------------------------

TEST(PcrFileTest, MultiBankRoundTripSplitsListsAcrossBanks) {
  // 5 + 24 + 3 = 32 digests: lists of 8 cross bank boundaries.
  auto sel = Sel("sha1:0-4+sha256:0-23+sha384:1,5,9");
  auto values = ValuesFor(sel);
  auto file = SerializePcrs(sel, values);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->size(), kSerializedHeadSize + 4 * kSerializedDigestListSize);
  auto parsed = ParseSerializedPcrs(*file);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->first, sel);
  EXPECT_EQ(parsed->second, values);

  // Digest 5 (the first sha256 one) sits in list 0, slot 5, after sha1's.
  size_t off = kSerializedHeadSize + 4 + 5 * 66;
  EXPECT_EQ((*file)[off], 32);  // size, little-endian
  EXPECT_EQ(file->substr(off + 2, 32), Value(TPM2_ALG_SHA256, 0));
}

TEST(PcrFileTest, LayoutIsLittleEndianCStructDump) {
  auto sel = Sel("sha256:0,9,23");
  auto file = SerializePcrs(sel, ValuesFor(sel));
  ASSERT_TRUE(file.ok());
  const std::string& f = *file;
  EXPECT_EQ(HexEncode(f.substr(0, 12)), "010000000b00030102800000");
  EXPECT_EQ(HexEncode(f.substr(132, 8)), "0100000003000000");
  EXPECT_EQ(HexEncode(f.substr(140, 2)), "2000");
}

class PcrFileRejectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sel_ = Sel("sha256:0-7");
    auto f = SerializePcrs(sel_, ValuesFor(sel_));
    ASSERT_TRUE(f.ok());
    good_ = *f;
    ASSERT_TRUE(ParseSerializedPcrs(good_).ok());
  }
  void Put32(std::string& f, size_t off, uint32_t v) {
    for (int i = 0; i < 4; ++i) f[off + i] = static_cast<char>(v >> (8 * i));
  }
  void ExpectRejected(const std::string& f, const std::string& what) {
    auto r = ParseSerializedPcrs(f);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(what), std::string::npos)
        << r.status().message();
  }
  PcrSelection sel_;
  std::string good_;
};

TEST_F(PcrFileRejectTest, WrongSizes) {
  ExpectRejected("", "shorter than");
  ExpectRejected(good_.substr(0, good_.size() - 1), "digest lists make");
  ExpectRejected(good_ + '\0', "digest lists make");
}

TEST_F(PcrFileRejectTest, CountsOutOfBounds) {
  std::string f = good_;
  Put32(f, 0, 0);
  ExpectRejected(f, "selection count 0");
  f = good_;
  Put32(f, 0, 17);
  ExpectRejected(f, "selection count 17");
  f = good_;
  Put32(f, 132, 0);
  ExpectRejected(f, "digest list count 0");
  f = good_;
  Put32(f, 132, 33);
  ExpectRejected(f, "digest list count 33");
  f = good_;
  Put32(f, 136, 9);
  ExpectRejected(f, "digest list 0 count 9");
  f = good_;
  Put32(f, 136, 0);
  ExpectRejected(f, "digest list 0 count 0");
}

TEST_F(PcrFileRejectTest, DigestCountMustMatchSelection) {
  std::string f = good_;
  f[4 + 3] = 0x7f;  // select PCRs 0-6 only: one digest too many
  ExpectRejected(f, "more digests than the 7 selected");
  f = good_;
  f[4 + 4] = 0x01;  // also PCR 8: one digest too few
  ExpectRejected(f, "8 digests for 9 selected");
}

TEST_F(PcrFileRejectTest, DigestSizeMustMatchBank) {
  std::string f = good_;
  f[136 + 4 + 2 * 66] = 20;  // PCR 2 claims a sha1-sized digest
  ExpectRejected(f, "sha256 PCR 2 digest is 20 bytes");
  f = good_;
  f[4] = 0x04;  // the bank becomes sha1: every digest is the wrong size
  ExpectRejected(f, "sha1 PCR 0 digest is 32 bytes");
  f = good_;
  f[4] = 0x99;  // unknown bank
  ExpectRejected(f, "unknown bank");
}

TEST_F(PcrFileRejectTest, SelectionFieldsAreChecked) {
  std::string f = good_;
  f[4 + 2] = 5;  // sizeofSelect
  ExpectRejected(f, "sizeofSelect 5");
  f = good_;
  f[4 + 2] = 4;
  f[4 + 3 + 3] = 0x01;  // PCR 24
  ExpectRejected(f, "selects PCR 24");
  f = good_;
  Put32(f, 0, 2);  // second bank is all zeros: hash 0 is unknown
  ExpectRejected(f, "unknown bank");
}

TEST_F(PcrFileRejectTest, PaddingAndUnusedBytesMustBeZero) {
  std::string f = good_;
  f[4 + 7] = 1;  // padding after pcrSelect
  ExpectRejected(f, "selection padding");
  f = good_;
  f[4 + 3 + 3] = 1;  // pcrSelect byte past sizeofSelect 3
  ExpectRejected(f, "selection padding");
  f = good_;
  f[4 + 8 + 1] = 1;  // unused selection slot
  ExpectRejected(f, "unused selection");
  f = good_;
  f[136 + 4 + 2 + 32] = 1;  // digest buffer past its size
  ExpectRejected(f, "digest padding");
  f = good_;
  Put32(f, 136, 7);  // slot 7 becomes unused but holds a digest
  ExpectRejected(f, "unused digest slot");
}

TEST(PcrFileTest, SerializeRejectsInconsistentValues) {
  auto sel = Sel("sha256:0-2");
  auto values = ValuesFor(sel);
  EXPECT_TRUE(SerializePcrs(sel, values).ok());
  auto missing = values;
  missing[TPM2_ALG_SHA256].erase(1);
  EXPECT_FALSE(SerializePcrs(sel, missing).ok());
  auto extra = values;
  extra[TPM2_ALG_SHA256][5] = Value(TPM2_ALG_SHA256, 5);
  EXPECT_FALSE(SerializePcrs(sel, extra).ok());
  auto short_value = values;
  short_value[TPM2_ALG_SHA256][2].pop_back();
  EXPECT_FALSE(SerializePcrs(sel, short_value).ok());
  EXPECT_FALSE(SerializePcrs({}, {}).ok());
}

TEST(PcrFileTest, RawValuesNeedExactSize) {
  auto sel = Sel("sha1:0+sha256:1,2");
  std::string raw = Value(TPM2_ALG_SHA1, 0) + Value(TPM2_ALG_SHA256, 1) +
                    Value(TPM2_ALG_SHA256, 2);
  auto values = ParseRawPcrValues(raw, sel);
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_EQ(*values, ValuesFor(sel));
  EXPECT_FALSE(ParseRawPcrValues(raw + "x", sel).ok());
  EXPECT_FALSE(ParseRawPcrValues(raw.substr(1), sel).ok());
  EXPECT_FALSE(ParseRawPcrValues("", {}).ok());
}

}  // namespace
}  // namespace vtpm::tpm2tools
