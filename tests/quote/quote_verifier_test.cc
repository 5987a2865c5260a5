// VerifyQuote against real quotes from a swtpm made with tpm2-tools: each
// check accepts the genuine quote and rejects its bad case with its own
// ReasonCode.
#include "verifier/quote/quote_verifier.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/hex.h"
#include "common/reason.h"
#include "common/tpm_alg.h"
#include "tests/harness/process.h"
#include "tests/quote/quote_tpm.h"
#include "tests/quote/soft_ak.h"
#include "verifier/quote/nonce_store.h"
#include "verifier/quote/quote_checks.h"

namespace vtpm::verifier {
namespace {

namespace v1 = ::vtpm_attest::v1;
using ::vtpm::testing::AkFiles;
using ::vtpm::testing::QuoteFiles;
using ::vtpm::testing::ReadFile;

constexpr char kPcrs07[] = "sha256:0,1,2,3,4,5,6,7";

PcrSelection Sel(const std::string& text) {
  auto s = ParsePcrSelection(text);
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

QuoteExpectation Expect(const TPMT_PUBLIC& ak, const std::string& nonce_hex,
                        const std::string& selection = "sha256:0-7") {
  QuoteExpectation e;
  e.ak = ak;
  e.nonce = *HexDecode(nonce_hex);
  e.selection = Sel(selection);
  return e;
}

#define EXPECT_REASON(evidence, expectation, code)                   \
  do {                                                               \
    auto vtpm_r_ = VerifyQuote(evidence, expectation);               \
    ASSERT_FALSE(vtpm_r_.ok()) << "accepted; expected " #code;       \
    EXPECT_EQ(ReasonOf(vtpm_r_.status()), code) << vtpm_r_.status(); \
  } while (0)

// One swtpm per test suite; AKs are made on first use.
class QuoteVerifierTest : public ::testing::Test {
 protected:
  // One swtpm for the suite, made by the first test (a failure there fails
  // the test rather than skipping the suite).
  void SetUp() override {
    if (tpm_ == nullptr) {
      absl::Status s = SetUpTpm();
      ASSERT_TRUE(s.ok()) << s;
    }
  }
  static absl::Status SetUpTpm() {
    auto dir = std::make_unique<testing::TempDir>();
    auto tpm = testing::QuoteTpm::Create(dir->Sub("q"));
    if (!tpm.ok()) return tpm.status();
    // Non-zero PCRs so the digest covers real values.
    auto out = (*tpm)->Tool({"tpm2_pcrextend",
                             "4:sha256=4444444444444444444444444444444444444"
                             "444444444444444444444444444"});
    if (!out.ok()) return out.status();
    dir_ = dir.release();
    tpm_ = tpm->release();
    return absl::OkStatus();
  }
  static void TearDownTestSuite() {
    for (auto& [name, ak] : *aks_) delete ak;
    aks_->clear();
    delete tpm_;
    delete dir_;
    tpm_ = nullptr;  // a derived suite (ResignTest) makes its own
    dir_ = nullptr;
  }

  // An AK by tpm2_createak, made once per suite.
  static const AkFiles& Ak(const std::string& name, const std::string& alg,
                           const std::string& hash, const std::string& scheme) {
    auto it = aks_->find(name);
    if (it != aks_->end()) return *it->second;
    auto ak = tpm_->CreateAk(name, alg, hash, scheme);
    EXPECT_TRUE(ak.ok()) << ak.status();
    AkFiles* made = new AkFiles(ak.ok() ? *ak : AkFiles{});
    (*aks_)[name] = made;
    return *made;
  }
  static const AkFiles& Ecc() { return Ak("ecc", "ecc", "sha256", "ecdsa"); }
  static const AkFiles& Rsa() { return Ak("rsa", "rsa", "sha256", "rsassa"); }

  QuoteFiles Quote(const AkFiles& ak, const std::string& name,
                   const std::string& nonce_hex,
                   const std::string& selection = kPcrs07,
                   const std::string& hash = "sha256",
                   const std::vector<std::string>& extra = {}) {
    auto q = tpm_->Quote(ak, name, selection, nonce_hex, hash, extra);
    EXPECT_TRUE(q.ok()) << q.status();
    return q.ok() ? *q : QuoteFiles{};
  }

  static testing::TempDir* dir_;
  static testing::QuoteTpm* tpm_;
  static std::map<std::string, AkFiles*>* aks_;
};

testing::TempDir* QuoteVerifierTest::dir_ = nullptr;
testing::QuoteTpm* QuoteVerifierTest::tpm_ = nullptr;
std::map<std::string, AkFiles*>* QuoteVerifierTest::aks_ =
    new std::map<std::string, AkFiles*>();

// --- Genuine quotes pass ---------------------------------------------------

TEST_F(QuoteVerifierTest, EccQuoteVerifies) {
  QuoteFiles q = Quote(Ecc(), "ecc_ok", "a1b2c3d4");
  auto r = VerifyQuote(q.evidence, Expect(Ecc().public_area, "a1b2c3d4"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(PcrSelectionToString(r->selection), "sha256:0-7");
  auto read = tpm_->ReadPcrs(Sel("sha256:0-7"), "ecc_ok.values");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(r->pcrs, *read);
  EXPECT_EQ(r->pcr_digest.size(), 32u);
  EXPECT_EQ(r->clock.safe, TPM2_YES);
}

TEST_F(QuoteVerifierTest, RsaSsaAndRsaPssQuotesVerify) {
  QuoteFiles q = Quote(Rsa(), "rsa_ok", "0102");
  auto r = VerifyQuote(q.evidence, Expect(Rsa().public_area, "0102"));
  EXPECT_TRUE(r.ok()) << r.status();

  const AkFiles& pss = Ak("pss", "rsa", "sha256", "rsapss");
  q = Quote(pss, "pss_ok", "0304", kPcrs07, "sha256", {"--scheme", "rsapss"});
  r = VerifyQuote(q.evidence, Expect(pss.public_area, "0304"));
  EXPECT_TRUE(r.ok()) << r.status();
}

TEST_F(QuoteVerifierTest, OnlySelectedPcrsAreReturned) {
  QuoteFiles q = Quote(Ecc(), "sub", "05", "sha256:1,4,7");
  // The evidence carries more PCRs than the quote covers.
  auto extra = tpm_->ReadPcrs(Sel("sha256:0-23"), "sub.values");
  ASSERT_TRUE(extra.ok());
  q.evidence.pcrs = *extra;
  auto r =
      VerifyQuote(q.evidence, Expect(Ecc().public_area, "05", "sha256:1,4,7"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->pcrs.at(TPM2_ALG_SHA256).size(), 3u);
  EXPECT_EQ(r->pcrs.at(TPM2_ALG_SHA256).at(4),
            extra->at(TPM2_ALG_SHA256).at(4));
}

TEST_F(QuoteVerifierTest, PreparedAkFromPublicAndFromPem) {
  QuoteFiles q = Quote(Ecc(), "prep", "06");
  QuoteExpectation e = Expect(Ecc().public_area, "06");
  auto prepared = PreparedAk::FromPublic(Ecc().public_area);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  e.prepared_ak = *prepared;
  e.ak = {};  // ignored when prepared_ak is set
  EXPECT_TRUE(VerifyQuote(q.evidence, e).ok());

  auto pem = ParsePemPublicKey(*ReadFile(Ecc().pem));
  ASSERT_TRUE(pem.ok()) << pem.status();
  auto bare = PreparedAk::FromEvp(*std::move(pem));
  ASSERT_TRUE(bare.ok()) << bare.status();
  e.prepared_ak = *bare;
  std::vector<QuoteCheckResult> trace;
  auto r = VerifyQuote(q.evidence, e, &trace);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(trace.size(), static_cast<size_t>(kNumQuoteChecks));
  EXPECT_EQ(trace[1].check, QuoteCheck::kAk);
  EXPECT_NE(trace[1].note.find("not checked"), std::string::npos);
}

TEST_F(QuoteVerifierTest, PcrDigestUsesTheSigningHashNotTheNameAlg) {
  // nameAlg sha256, scheme ecdsa-sha384: the TPM hashes PCRs with sha384.
  auto key = tpm_->CreatePrimaryKey(
      "p384", "ecc256:ecdsa-sha384:null", "sha256",
      "restricted|sign|fixedtpm|fixedparent|sensitivedataorigin|"
      "userwithauth");
  ASSERT_TRUE(key.ok()) << key.status();
  QuoteFiles q = Quote(*key, "p384", "07", kPcrs07, "sha384");
  auto r = VerifyQuote(q.evidence, Expect(key->public_area, "07"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->pcr_digest.size(), 48u);
}

// --- 1. size limits --------------------------------------------------------

TEST_F(QuoteVerifierTest, OversizedAttestOrSignatureRejected) {
  QuoteFiles q = Quote(Ecc(), "big", "08");
  QuoteExpectation e = Expect(Ecc().public_area, "08");
  QuoteEvidence ev = q.evidence;
  ev.attest.resize(kMaxAttestSize + 1, '\0');
  EXPECT_REASON(ev, e, v1::OVERSIZED_MESSAGE);
  ev = q.evidence;
  ev.signature.resize(kMaxSignatureSize + 1, '\0');
  EXPECT_REASON(ev, e, v1::OVERSIZED_MESSAGE);
}

// --- 2. AK -----------------------------------------------------------------

TEST_F(QuoteVerifierTest, NonRestrictedAkRejected) {
  // A plain signing key can quote, but it could sign a forged TPMS_ATTEST
  // just as well.
  auto key = tpm_->CreatePrimaryKey(
      "plain", "ecc256:ecdsa-sha256", "sha256",
      "sign|fixedtpm|fixedparent|sensitivedataorigin|userwithauth");
  ASSERT_TRUE(key.ok()) << key.status();
  QuoteFiles q = Quote(*key, "plain", "09");
  EXPECT_REASON(q.evidence, Expect(key->public_area, "09"), v1::AK_INVALID);

  // Decrypt set, fixedTPM clear: each wrong attribute is enough.
  TPMT_PUBLIC pub = Ecc().public_area;
  pub.objectAttributes |= TPMA_OBJECT_DECRYPT;
  EXPECT_REASON(q.evidence, Expect(pub, "09"), v1::AK_INVALID);
  pub = Ecc().public_area;
  pub.objectAttributes &= ~TPMA_OBJECT_FIXEDTPM;
  EXPECT_REASON(q.evidence, Expect(pub, "09"), v1::AK_INVALID);
  // Not a key OpenSSL accepts.
  pub = Ecc().public_area;
  pub.unique.ecc.x.buffer[3] ^= 1;
  EXPECT_REASON(q.evidence, Expect(pub, "09"), v1::AK_INVALID);
}

// --- 3. unmarshal ----------------------------------------------------------

TEST_F(QuoteVerifierTest, TruncatedOrTrailingBytesRejected) {
  QuoteFiles q = Quote(Ecc(), "trunc", "0a");
  QuoteExpectation e = Expect(Ecc().public_area, "0a");
  QuoteEvidence ev = q.evidence;
  ev.attest.pop_back();
  EXPECT_REASON(ev, e, v1::QUOTE_MALFORMED);
  ev = q.evidence;
  ev.attest.push_back('\0');
  EXPECT_REASON(ev, e, v1::QUOTE_MALFORMED);
  ev = q.evidence;
  ev.signature.pop_back();
  EXPECT_REASON(ev, e, v1::QUOTE_MALFORMED);
  ev = q.evidence;
  ev.signature.push_back('\0');
  EXPECT_REASON(ev, e, v1::QUOTE_MALFORMED);
  ev = q.evidence;
  ev.attest.clear();
  EXPECT_REASON(ev, e, v1::QUOTE_MALFORMED);
}

// --- 4. scheme -------------------------------------------------------------

TEST_F(QuoteVerifierTest, Sha1SchemeNotAllowed) {
  const AkFiles& sha1 = Ak("sha1", "rsa", "sha1", "rsassa");
  QuoteFiles q = Quote(sha1, "sha1", "0b", kPcrs07, "sha1");
  EXPECT_REASON(q.evidence, Expect(sha1.public_area, "0b"),
                v1::QUOTE_SCHEME_NOT_ALLOWED);
}

TEST_F(QuoteVerifierTest, SchemeMustFitTheAk) {
  QuoteFiles q = Quote(Ecc(), "scheme", "0c");
  auto soft = testing::SoftAk::Create(TPM2_ALG_RSA);
  ASSERT_TRUE(soft.ok()) << soft.status();
  // The AK says rsassa-sha256; an RSAPSS signature is refused even though
  // it is valid.
  auto pub = soft->Public(TPM2_ALG_RSASSA, TPM2_ALG_SHA256);
  ASSERT_TRUE(pub.ok());
  QuoteEvidence ev = q.evidence;
  auto sig = soft->Sign(ev.attest, TPM2_ALG_RSAPSS, TPM2_ALG_SHA256);
  ASSERT_TRUE(sig.ok()) << sig.status();
  ev.signature = *sig;
  EXPECT_REASON(ev, Expect(*pub, "0c"), v1::QUOTE_SCHEME_NOT_ALLOWED);
  // With no scheme in the AK, the same signature passes every check:
  // RSAPSS verification and the soft signer are sound.
  auto open_pub = soft->Public(TPM2_ALG_NULL, TPM2_ALG_NULL);
  ASSERT_TRUE(open_pub.ok());
  auto ok = VerifyQuote(ev, Expect(*open_pub, "0c"));
  EXPECT_TRUE(ok.ok()) << ok.status();
  // RSA with sha1, ECDSA from an RSA key: refused.
  sig = soft->Sign(ev.attest, TPM2_ALG_RSASSA, TPM2_ALG_SHA1);
  ASSERT_TRUE(sig.ok());
  ev.signature = *sig;
  EXPECT_REASON(ev, Expect(*open_pub, "0c"), v1::QUOTE_SCHEME_NOT_ALLOWED);
  ev.signature = q.evidence.signature;  // an ECDSA signature
  EXPECT_REASON(ev, Expect(*open_pub, "0c"), v1::QUOTE_SCHEME_NOT_ALLOWED);

  // ECC: ECDSA with sha512 is not allowed.
  auto ecc = testing::SoftAk::Create(TPM2_ALG_ECC);
  ASSERT_TRUE(ecc.ok());
  auto ecc_pub = ecc->Public(TPM2_ALG_NULL, TPM2_ALG_NULL);
  ASSERT_TRUE(ecc_pub.ok());
  sig = ecc->Sign(ev.attest, TPM2_ALG_ECDSA, TPM2_ALG_SHA512);
  ASSERT_TRUE(sig.ok());
  ev.signature = *sig;
  EXPECT_REASON(ev, Expect(*ecc_pub, "0c"), v1::QUOTE_SCHEME_NOT_ALLOWED);
}

// --- 5. signature ----------------------------------------------------------

TEST_F(QuoteVerifierTest, ForgedSignatureRejected) {
  for (const AkFiles* ak : {&Ecc(), &Rsa()}) {
    QuoteFiles q = Quote(*ak, "forge", "0d");
    QuoteExpectation e = Expect(ak->public_area, "0d");
    ASSERT_TRUE(VerifyQuote(q.evidence, e).ok());
    QuoteEvidence ev = q.evidence;
    ev.signature.back() ^= 0x01;  // last byte of s / of the RSA signature
    EXPECT_REASON(ev, e, v1::QUOTE_BAD_SIGNATURE);
    ev = q.evidence;
    ev.attest[ev.attest.size() - 1] ^= 0x01;  // last byte of pcrDigest
    EXPECT_REASON(ev, e, v1::QUOTE_BAD_SIGNATURE);
  }
}

// A PreparedAk keeps its verify contexts between checks (and lends them to
// concurrent ones): a forged signature in between, or on another thread,
// must neither pass nor spoil the next good one.
TEST_F(QuoteVerifierTest, PreparedAkReusedAcrossGoodAndForgedQuotes) {
  for (const AkFiles* ak : {&Ecc(), &Rsa()}) {
    QuoteFiles q = Quote(*ak, "reuse", "1a");
    QuoteExpectation e = Expect(ak->public_area, "1a");
    auto prepared = PreparedAk::FromPublic(ak->public_area);
    ASSERT_TRUE(prepared.ok()) << prepared.status();
    e.prepared_ak = *prepared;
    QuoteEvidence forged = q.evidence;
    forged.signature.back() ^= 0x01;
    QuoteEvidence malformed = q.evidence;
    malformed.signature.resize(malformed.signature.size() - 1);

    ASSERT_TRUE(VerifyQuote(q.evidence, e).ok());
    EXPECT_REASON(forged, e, v1::QUOTE_BAD_SIGNATURE);
    EXPECT_FALSE(VerifyQuote(malformed, e).ok());
    EXPECT_TRUE(VerifyQuote(q.evidence, e).ok());

    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 50; ++i) {
          const bool good = (i + t) % 2 == 0;
          bool ok = VerifyQuote(good ? q.evidence : forged, e).ok();
          if (ok != good) ++wrong;
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(wrong, 0);
  }
}

TEST_F(QuoteVerifierTest, SignatureByAnotherAkRejected) {
  const AkFiles& other = Ak("other", "ecc", "sha256", "ecdsa");
  QuoteFiles q = Quote(other, "other", "0e");
  ASSERT_TRUE(VerifyQuote(q.evidence, Expect(other.public_area, "0e")).ok());
  EXPECT_REASON(q.evidence, Expect(Ecc().public_area, "0e"),
                v1::QUOTE_BAD_SIGNATURE);
}

// --- 6./7. magic and type ---------------------------------------------------

// A real quote's TPMS_ATTEST with `edit` applied, signed by a software AK.
struct Resigned {
  QuoteEvidence evidence;
  TPMT_PUBLIC ak;
};

class ResignTest : public QuoteVerifierTest {
 protected:
  Resigned Resign(const QuoteFiles& q,
                  const std::function<void(TPMS_ATTEST&)>& edit) {
    auto soft = testing::SoftAk::Create(TPM2_ALG_ECC);
    EXPECT_TRUE(soft.ok());
    TPMS_ATTEST attest;
    EXPECT_TRUE(UnmarshalAttest(q.evidence.attest, &attest).ok());
    edit(attest);
    Resigned out;
    out.evidence = q.evidence;
    out.evidence.attest = *testing::MarshalAttest(attest);
    out.evidence.signature =
        *soft->Sign(out.evidence.attest, TPM2_ALG_ECDSA, TPM2_ALG_SHA256);
    out.ak = *soft->Public(TPM2_ALG_ECDSA, TPM2_ALG_SHA256);
    return out;
  }
};

TEST_F(ResignTest, WrongMagicRejectedAfterTheSignature) {
  QuoteFiles q = Quote(Ecc(), "magic", "0f");
  // Control: re-signed unchanged, everything passes.
  Resigned same = Resign(q, [](TPMS_ATTEST&) {});
  EXPECT_TRUE(VerifyQuote(same.evidence, Expect(same.ak, "0f")).ok());

  Resigned r = Resign(q, [](TPMS_ATTEST& a) { a.magic = 0x12345678; });
  EXPECT_REASON(r.evidence, Expect(r.ak, "0f"), v1::QUOTE_NOT_GENERATED);
  // The signature is checked first: unsigned, the same structure is a bad
  // signature, not a wrong magic.
  EXPECT_REASON(r.evidence, Expect(Ecc().public_area, "0f"),
                v1::QUOTE_BAD_SIGNATURE);
}

TEST_F(ResignTest, WrongTypeRejected) {
  QuoteFiles q = Quote(Ecc(), "type", "10");
  Resigned r = Resign(q, [](TPMS_ATTEST& a) {
    a.type = TPM2_ST_ATTEST_TIME;
    a.attested.time = {};
  });
  EXPECT_REASON(r.evidence, Expect(r.ak, "10"), v1::QUOTE_WRONG_TYPE);
}

TEST_F(QuoteVerifierTest, CertifyAttestationSignedByTheAkIsNotAQuote) {
  // A genuine TPM-signed attestation of another type (TPM2_Certify).
  auto key = tpm_->CreatePrimaryKey(
      "certified", "ecc256:ecdsa-sha256", "sha256",
      "sign|fixedtpm|fixedparent|sensitivedataorigin|userwithauth");
  ASSERT_TRUE(key.ok()) << key.status();
  std::string attest = tpm_->Path("certify.attest");
  std::string sig = tpm_->Path("certify.sig");
  ASSERT_TRUE(tpm_->Tool({"tpm2_certify", "-c", key->ctx, "-C", Ecc().ctx, "-g",
                          "sha256", "-o", attest, "-s", sig})
                  .ok());
  QuoteEvidence ev;
  ev.attest = *ReadFile(attest);
  ev.signature = *ReadFile(sig);
  EXPECT_REASON(ev, Expect(Ecc().public_area, "11"), v1::QUOTE_WRONG_TYPE);
}

// --- 8. nonce --------------------------------------------------------------

TEST_F(QuoteVerifierTest, WrongNonceRejected) {
  QuoteFiles q = Quote(Ecc(), "nonce", "deadbeef");
  EXPECT_REASON(q.evidence, Expect(Ecc().public_area, "deadbeee"),
                v1::NONCE_MISMATCH);
  EXPECT_REASON(q.evidence, Expect(Ecc().public_area, "deadbeef00"),
                v1::NONCE_MISMATCH);
  // No expected nonce is the caller's error, never a pass.
  QuoteExpectation e = Expect(Ecc().public_area, "deadbeef");
  e.nonce.clear();
  auto r = VerifyQuote(q.evidence, e);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ReasonOf(r.status()), v1::INTERNAL_ERROR);
}

TEST_F(QuoteVerifierTest, ReplayedNonceRejectedByTheStore) {
  NonceStore store;
  std::string nonce = store.Issue("agent-1");
  QuoteFiles q = Quote(Ecc(), "replay", HexEncode(nonce));
  QuoteExpectation e = Expect(Ecc().public_area, HexEncode(nonce));
  auto r = VerifyQuote(q.evidence, e);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(store.Consume("agent-1", nonce).ok());
  // The same quote again: signature, nonce, PCRs all still verify...
  ASSERT_TRUE(VerifyQuote(q.evidence, e).ok());
  // ...but its nonce was used.
  EXPECT_EQ(ReasonOf(store.Consume("agent-1", nonce)), v1::QUOTE_REPLAYED);
  EXPECT_EQ(ReasonOf(store.Consume("agent-2", nonce)), v1::QUOTE_REPLAYED);
}

TEST_F(QuoteVerifierTest, ExpiredNonceRejectedByTheStore) {
  absl::Time now = absl::FromUnixSeconds(1700000000);
  NonceStore store(absl::Seconds(120), [&now] { return now; });
  std::string nonce = store.Issue("agent-1");
  QuoteFiles q = Quote(Ecc(), "expired", HexEncode(nonce));
  ASSERT_TRUE(
      VerifyQuote(q.evidence, Expect(Ecc().public_area, HexEncode(nonce)))
          .ok());
  now += absl::Seconds(121);
  EXPECT_EQ(ReasonOf(store.Consume("agent-1", nonce)), v1::NONCE_EXPIRED);
}

// --- 9. PCR selection ------------------------------------------------------

TEST_F(QuoteVerifierTest, PcrSelectionMismatchRejected) {
  QuoteFiles q = Quote(Ecc(), "sel", "12");
  EXPECT_REASON(q.evidence, Expect(Ecc().public_area, "12", "sha256:0-6"),
                v1::PCR_SELECTION_MISMATCH);
  EXPECT_REASON(q.evidence, Expect(Ecc().public_area, "12", "sha256:0-8"),
                v1::PCR_SELECTION_MISMATCH);
  EXPECT_REASON(q.evidence, Expect(Ecc().public_area, "12", "sha384:0-7"),
                v1::PCR_SELECTION_MISMATCH);
}

// --- 10. PCR digest --------------------------------------------------------

TEST_F(QuoteVerifierTest, PcrChangedAfterTheQuoteRejected) {
  QuoteFiles q = Quote(Ecc(), "changed", "13");
  QuoteExpectation e = Expect(Ecc().public_area, "13");
  ASSERT_TRUE(VerifyQuote(q.evidence, e).ok());
  ASSERT_TRUE(tpm_->Tool({"tpm2_pcrextend",
                          "7:sha256=0123456789abcdef0123456789abcdef0123456789"
                          "abcdef0123456789abcdef"})
                  .ok());
  auto after = tpm_->ReadPcrs(Sel("sha256:0-7"), "changed.after");
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_NE(after->at(TPM2_ALG_SHA256).at(7),
            q.evidence.pcrs.at(TPM2_ALG_SHA256).at(7));
  QuoteEvidence ev = q.evidence;
  ev.pcrs = *after;
  EXPECT_REASON(ev, e, v1::PCR_DIGEST_MISMATCH);
}

TEST_F(QuoteVerifierTest, MissingOrShortPcrValueIsMalformed) {
  QuoteFiles q = Quote(Ecc(), "missing", "14");
  QuoteExpectation e = Expect(Ecc().public_area, "14");
  QuoteEvidence ev = q.evidence;
  ev.pcrs[TPM2_ALG_SHA256].erase(5);
  EXPECT_REASON(ev, e, v1::MALFORMED_MESSAGE);
  ev = q.evidence;
  ev.pcrs[TPM2_ALG_SHA256][5].pop_back();
  EXPECT_REASON(ev, e, v1::MALFORMED_MESSAGE);
}

// --- 11. clock -------------------------------------------------------------

TEST_F(QuoteVerifierTest, ClockRollbackRejected) {
  QuoteFiles a = Quote(Ecc(), "clock_a", "15");
  QuoteFiles b = Quote(Ecc(), "clock_b", "16");
  auto va = VerifyQuote(a.evidence, Expect(Ecc().public_area, "15"));
  auto vb = VerifyQuote(b.evidence, Expect(Ecc().public_area, "16"));
  ASSERT_TRUE(va.ok() && vb.ok());
  ASSERT_EQ(va->clock.resetCount, vb->clock.resetCount);
  ASSERT_LT(va->clock.clock, vb->clock.clock);

  QuoteExpectation e = Expect(Ecc().public_area, "16");
  e.previous_clock = va->clock;  // forward in time: fine
  EXPECT_TRUE(VerifyQuote(b.evidence, e).ok());
  e.previous_clock = vb->clock;  // the same quote again: fine
  EXPECT_TRUE(VerifyQuote(b.evidence, e).ok());

  e = Expect(Ecc().public_area, "15");
  e.previous_clock = vb->clock;  // a's clock is before b's
  EXPECT_REASON(a.evidence, e, v1::CLOCK_ROLLBACK);

  TPMS_CLOCK_INFO later = va->clock;
  later.resetCount += 1;
  later.clock = 0;
  e.previous_clock = later;
  EXPECT_REASON(a.evidence, e, v1::CLOCK_ROLLBACK);
  later = va->clock;
  later.restartCount += 1;
  later.clock = 0;
  e.previous_clock = later;
  EXPECT_REASON(a.evidence, e, v1::CLOCK_ROLLBACK);
  // An earlier boot with a larger clock is no rollback.
  if (va->clock.resetCount > 0) {
    TPMS_CLOCK_INFO earlier = va->clock;
    earlier.resetCount -= 1;
    earlier.clock = va->clock.clock + 1000000;
    e.previous_clock = earlier;
    EXPECT_TRUE(VerifyQuote(a.evidence, e).ok());
  }
}

// A TPM reset (swtpm restarted with startup-clear) increments resetCount:
// a quote from before it is a rollback once a later one was seen.
TEST(QuoteClockRestartTest, QuoteFromBeforeATpmResetIsARollback) {
  testing::TempDir dir;
  auto tpm = testing::QuoteTpm::Create(dir.Sub("q"));
  ASSERT_TRUE(tpm.ok()) << tpm.status();
  auto ak = (*tpm)->CreateAk("ak", "ecc", "sha256", "ecdsa");
  ASSERT_TRUE(ak.ok()) << ak.status();
  auto a = (*tpm)->Quote(*ak, "a", kPcrs07, "21");
  ASSERT_TRUE(a.ok()) << a.status();
  auto va = VerifyQuote(a->evidence, Expect(ak->public_area, "21"));
  ASSERT_TRUE(va.ok()) << va.status();

  ASSERT_TRUE((*tpm)->swtpm().Restart().ok());
  // Saved contexts do not survive a reset: make the EK and AK again.
  ASSERT_TRUE((*tpm)
                  ->Tool({"tpm2_createek", "-c", (*tpm)->Path("ek.ctx"), "-G",
                          "rsa", "-u", (*tpm)->Path("ek.pub")})
                  .ok());
  auto ak2 = (*tpm)->CreateAk("ak2", "ecc", "sha256", "ecdsa");
  ASSERT_TRUE(ak2.ok()) << ak2.status();
  auto b = (*tpm)->Quote(*ak2, "b", kPcrs07, "22");
  ASSERT_TRUE(b.ok()) << b.status();
  QuoteExpectation eb = Expect(ak2->public_area, "22");
  eb.previous_clock = va->clock;
  auto vb = VerifyQuote(b->evidence, eb);
  ASSERT_TRUE(vb.ok()) << vb.status();
  EXPECT_GT(vb->clock.resetCount, va->clock.resetCount);

  QuoteExpectation ea = Expect(ak->public_area, "21");
  ea.previous_clock = vb->clock;
  EXPECT_REASON(a->evidence, ea, v1::CLOCK_ROLLBACK);
}

// --- The trace -------------------------------------------------------------

TEST_F(QuoteVerifierTest, TraceListsChecksInOrderUpToTheFailure) {
  QuoteFiles q = Quote(Ecc(), "trace", "17");
  std::vector<QuoteCheckResult> trace;
  auto r = VerifyQuote(q.evidence, Expect(Ecc().public_area, "18"), &trace);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(trace.size(), static_cast<size_t>(QuoteCheck::kNonce) + 1);
  for (size_t i = 0; i < trace.size(); ++i) {
    EXPECT_EQ(trace[i].check, static_cast<QuoteCheck>(i));
    EXPECT_EQ(trace[i].status.ok(), i + 1 < trace.size());
  }
  EXPECT_EQ(ReasonOf(trace.back().status), v1::NONCE_MISMATCH);
  EXPECT_EQ(QuoteCheckName(trace.back().check), "nonce");
}

}  // namespace
}  // namespace vtpm::verifier
