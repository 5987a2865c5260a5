// `vtpm-attest verify-quote` run as a process on files made by tpm2_quote
// against a swtpm, with tpm2_checkquote as a second opinion.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/tpm2tools/pcr_file.h"
#include "tests/harness/process.h"
#include "tests/quote/quote_tpm.h"

namespace vtpm {
namespace {

using ::vtpm::testing::AkFiles;
using ::vtpm::testing::CommandResult;
using ::vtpm::testing::QuoteFiles;
using ::vtpm::testing::ReadFile;
using ::vtpm::testing::RunCommand;
using ::vtpm::testing::WriteFile;

constexpr char kPcrs07[] = "sha256:0,1,2,3,4,5,6,7";

// The vtpm-attest binary of this build.
std::string Binary() {
  return vtpm::testing::BinaryDir() + "/verifier/cli/vtpm-attest";
}

class VerifyQuoteCliTest : public ::testing::Test {
 protected:
  // One swtpm for the suite, made by the first test (a failure there fails
  // the test rather than skipping the suite).
  void SetUp() override {
    if (ecc_ == nullptr) {
      absl::Status s = SetUpTpm();
      ASSERT_TRUE(s.ok()) << s;
    }
  }
  static absl::Status SetUpTpm() {
    auto dir = std::make_unique<testing::TempDir>();
    auto tpm = testing::QuoteTpm::Create(dir->Sub("q"));
    if (!tpm.ok()) return tpm.status();
    auto out = (*tpm)->Tool({"tpm2_pcrextend",
                             "2:sha256=2222222222222222222222222222222222222"
                             "222222222222222222222222222"});
    if (!out.ok()) return out.status();
    auto ecc = (*tpm)->CreateAk("ecc", "ecc", "sha256", "ecdsa");
    if (!ecc.ok()) return ecc.status();
    dir_ = dir.release();
    tpm_ = tpm->release();
    ecc_ = new AkFiles(*ecc);
    return absl::OkStatus();
  }
  static void TearDownTestSuite() {
    delete ecc_;
    delete tpm_;
    delete dir_;
    ecc_ = nullptr;
    tpm_ = nullptr;
    dir_ = nullptr;
  }

  // Runs `vtpm-attest verify-quote` on a quote's files.
  CommandResult Run(const AkFiles& ak, const QuoteFiles& q,
                    const std::string& nonce_hex,
                    std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {
        Binary(),       "verify-quote", "--ak-public", ak.pub,
        "--message",    q.msg,          "--signature", q.sig,
        "--pcr-values", q.pcrs,         "--nonce",     nonce_hex};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = RunCommand(argv);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : CommandResult{};
  }

  // tpm2_checkquote's verdict on the same files.
  int CheckQuote(const AkFiles& ak, const QuoteFiles& q,
                 const std::string& nonce_hex) {
    auto r = RunCommand({"tpm2_checkquote", "-u", ak.pub, "-m", q.msg, "-s",
                         q.sig, "-f", q.pcrs, "-g", "sha256", "-q", nonce_hex});
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->exit_code : -1;
  }

  QuoteFiles Quote(const AkFiles& ak, const std::string& name,
                   const std::string& nonce_hex) {
    auto q = tpm_->Quote(ak, name, kPcrs07, nonce_hex);
    EXPECT_TRUE(q.ok()) << q.status();
    return q.ok() ? *q : QuoteFiles{};
  }

  static testing::TempDir* dir_;
  static testing::QuoteTpm* tpm_;
  static AkFiles* ecc_;
};

testing::TempDir* VerifyQuoteCliTest::dir_ = nullptr;
testing::QuoteTpm* VerifyQuoteCliTest::tpm_ = nullptr;
AkFiles* VerifyQuoteCliTest::ecc_ = nullptr;

TEST_F(VerifyQuoteCliTest, EccQuoteFromTpm2QuotePasses) {
  QuoteFiles q = Quote(*ecc_, "ecc", "1234abcd");
  CommandResult r = Run(*ecc_, q, "1234abcd");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("result: PASS"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("  ok    signature"), std::string::npos);
  EXPECT_EQ(CheckQuote(*ecc_, q, "1234abcd"), 0);
}

TEST_F(VerifyQuoteCliTest, RsaQuoteFromTpm2QuotePasses) {
  auto rsa = tpm_->CreateAk("rsa", "rsa", "sha256", "rsassa");
  ASSERT_TRUE(rsa.ok()) << rsa.status();
  QuoteFiles q = Quote(*rsa, "rsa", "99");
  CommandResult r = Run(*rsa, q, "99");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(CheckQuote(*rsa, q, "99"), 0);
}

TEST_F(VerifyQuoteCliTest, WrongNonceExitsOneAndNamesTheCheck) {
  QuoteFiles q = Quote(*ecc_, "nonce", "1234abcd");
  CommandResult r = Run(*ecc_, q, "1234abce");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("FAIL  nonce: NONCE_MISMATCH"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("result: FAIL (NONCE_MISMATCH)"), std::string::npos);
  // The second opinion agrees.
  EXPECT_NE(CheckQuote(*ecc_, q, "1234abce"), 0);
}

TEST_F(VerifyQuoteCliTest, ForgedSignatureExitsOne) {
  QuoteFiles q = Quote(*ecc_, "forged", "42");
  std::string sig = *ReadFile(q.sig);
  sig.back() ^= 1;
  ASSERT_TRUE(WriteFile(q.sig, sig).ok());
  CommandResult r = Run(*ecc_, q, "42");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("QUOTE_BAD_SIGNATURE"), std::string::npos);
}

// Runs the CLI with --json into a file and checks it with python3's json.
std::string JsonCheck(const std::vector<std::string>& argv,
                      const std::string& out_path,
                      const std::string& python_asserts) {
  std::string cmd = absl::StrCat(
      absl::StrJoin(argv, " "), " --json > ", out_path,
      "; echo rc=$?; python3 -c '", "import json,sys; d=json.load(sys.stdin); ",
      python_asserts, "; print(\"JSON-OK\")' < ", out_path);
  auto r = RunCommand({"sh", "-c", cmd});
  EXPECT_TRUE(r.ok());
  return r.ok() ? r->output : "";
}

TEST_F(VerifyQuoteCliTest, JsonOutputParses) {
  QuoteFiles q = Quote(*ecc_, "json", "abcdef01");
  std::vector<std::string> argv = {
      Binary(),       "verify-quote", "--ak-public", ecc_->pub,
      "--message",    q.msg,          "--signature", q.sig,
      "--pcr-values", q.pcrs,         "--nonce"};
  auto pass = argv;
  pass.push_back("abcdef01");
  std::string out = JsonCheck(
      pass, tpm_->Path("pass.json"),
      "assert d[\"result\"] == \"PASS\"; assert d[\"reasons\"] == []; "
      "assert len(d[\"pcrs\"][\"sha256\"]) == 8; "
      "assert d[\"pcrs\"][\"sha256\"][\"2\"] != \"00\" * 32; "
      "assert d[\"clock\"][\"safe\"] is True");
  EXPECT_NE(out.find("rc=0"), std::string::npos) << out;
  EXPECT_NE(out.find("JSON-OK"), std::string::npos) << out;

  auto fail = argv;
  fail.push_back("abcdef02");
  out = JsonCheck(fail, tpm_->Path("fail.json"),
                  "assert d[\"result\"] == \"FAIL\"; "
                  "assert d[\"reasons\"][0][\"code\"] == \"NONCE_MISMATCH\"; "
                  "assert d[\"checks\"][-1][\"name\"] == \"nonce\"; "
                  "assert d[\"clock\"] is None");
  EXPECT_NE(out.find("rc=1"), std::string::npos) << out;
  EXPECT_NE(out.find("JSON-OK"), std::string::npos) << out;
}

TEST_F(VerifyQuoteCliTest, PemAkPassesAndSaysWhatItCannotCheck) {
  QuoteFiles q = Quote(*ecc_, "pem", "77");
  AkFiles pem = *ecc_;
  pem.pub = ecc_->pem;
  CommandResult r = Run(pem, q, "77");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("PEM public key"), std::string::npos);
  EXPECT_NE(r.output.find("not checked"), std::string::npos);
}

TEST_F(VerifyQuoteCliTest, RawValuesNeedTheSelection) {
  QuoteFiles q = Quote(*ecc_, "raw", "88");
  std::string raw_path = tpm_->Path("raw.values");
  ASSERT_TRUE(
      tpm_->Tool({"tpm2_pcrread", kPcrs07, "-F", "values", "-o", raw_path})
          .ok());
  q.pcrs = raw_path;
  CommandResult r = Run(*ecc_, q, "88", {"--pcrs", "sha256:0-7"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = Run(*ecc_, q, "88");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = Run(*ecc_, q, "88", {"--pcrs", "sha256:0-6"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

TEST_F(VerifyQuoteCliTest, UsageAndIoErrorsExitTwo) {
  auto r = RunCommand({Binary()});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 2);
  r = RunCommand({Binary(), "--help"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_NE(r->output.find("verify-quote"), std::string::npos);
  r = RunCommand({Binary(), "verify-quote", "--help"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_NE(r->output.find("--ak-public"), std::string::npos);
  r = RunCommand({Binary(), "no-such-command"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 2);
  r = RunCommand({Binary(), "verify-quote", "--nonce", "00"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 2);

  QuoteFiles q = Quote(*ecc_, "io", "01");
  q.msg = tpm_->Path("does-not-exist");
  CommandResult c = Run(*ecc_, q, "01");
  EXPECT_EQ(c.exit_code, 2) << c.output;
  q = Quote(*ecc_, "io2", "01");
  c = Run(*ecc_, q, "0g");  // not hex
  EXPECT_EQ(c.exit_code, 2) << c.output;
}

}  // namespace
}  // namespace vtpm
