// The software TPM of the load generator against the real verifier code:
// its quotes pass verifier::VerifyQuote (and tpm2_checkquote), its damaged
// quotes fail with the right reason, its credential activation inverts the
// real MakeCredential, and its EK certificate passes VerifyEkCertificate.
#include "tests/load/soft_tpm.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/crypto/make_credential.h"
#include "common/hex.h"
#include "common/reason.h"
#include "common/tpm2tools/pcr_file.h"
#include "common/tpm_alg.h"
#include "common/tpm_public.h"
#include "tests/harness/process.h"
#include "verifier/ek/ek_certificate.h"
#include "verifier/ek/ek_public_check.h"
#include "verifier/ek/trust_store.h"
#include "verifier/quote/quote_verifier.h"

namespace vtpm::load {
namespace {

using ::vtpm_attest::v1::ReasonCode;

class SoftTpmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = SoftEkCa::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    auto tpm = SoftTpm::Create(*ca_, {.image_seed = 7, .machine_seed = 42});
    ASSERT_TRUE(tpm.ok()) << tpm.status();
    tpm_ = std::move(*tpm);
    auto sel = ParsePcrSelection("sha256:0-23");
    ASSERT_TRUE(sel.ok());
    selection_ = *sel;
  }

  absl::StatusOr<verifier::VerifiedQuote> Verify(
      const SoftTpm::Quote& q, const std::string& nonce,
      std::optional<TPMS_CLOCK_INFO> previous = std::nullopt) {
    verifier::QuoteEvidence evidence{q.attest, q.signature, q.pcrs};
    verifier::QuoteExpectation expected;
    expected.ak = tpm_->ak_area();
    expected.nonce = nonce;
    expected.selection = selection_;
    expected.previous_clock = previous;
    return verifier::VerifyQuote(evidence, expected);
  }

  std::unique_ptr<SoftEkCa> ca_;
  std::unique_ptr<SoftTpm> tpm_;
  PcrSelection selection_;
};

// The authPolicy constant is PolicySecret(TPM_RH_ENDORSEMENT), computed
// here from TPM 2.0 Part 3 §23.4: H(H(0^32 || TPM_CC_PolicySecret ||
// name(TPM_RH_ENDORSEMENT)) || policyRef="").
TEST_F(SoftTpmTest, EkFollowsTemplateL2) {
  std::string zeros(32, '\0');
  std::string cc("\x00\x00\x01\x51", 4);      // TPM_CC_PolicySecret
  std::string handle("\x40\x00\x00\x0b", 4);  // TPM_RH_ENDORSEMENT
  auto step1 = Hash(TPM2_ALG_SHA256, zeros + cc + handle);
  ASSERT_TRUE(step1.ok());
  auto policy = Hash(TPM2_ALG_SHA256, *step1);
  ASSERT_TRUE(policy.ok());
  EXPECT_EQ(HexEncode(*policy), kEkAuthPolicySha256Hex);

  const TPMT_PUBLIC& ek = tpm_->ek_area();
  EXPECT_EQ(
      HexEncode(std::string(reinterpret_cast<const char*>(ek.authPolicy.buffer),
                            ek.authPolicy.size)),
      kEkAuthPolicySha256Hex);
  EXPECT_EQ(ek.objectAttributes, 0x000300b2u);  // template L-2, Table 5
  EXPECT_EQ(ek.nameAlg, TPM2_ALG_SHA256);
  EXPECT_EQ(ek.parameters.eccDetail.symmetric.algorithm, TPM2_ALG_AES);
  EXPECT_EQ(ek.parameters.eccDetail.symmetric.keyBits.aes, 128);
  EXPECT_EQ(ek.parameters.eccDetail.symmetric.mode.aes, TPM2_ALG_CFB);
  EXPECT_EQ(ek.parameters.eccDetail.curveID, TPM2_ECC_NIST_P256);
  EXPECT_TRUE(verifier::CheckEkPublicArea(ek).ok());
  // The wire form parses back to the same area and the same key.
  auto parsed = ParsePublic(tpm_->ek_public());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  auto same = PublicMatchesEvp(parsed->publicArea, tpm_->ek_key());
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(*same);
}

TEST_F(SoftTpmTest, AkNameIsNameAlgAndHashOfPublic) {
  auto parsed = ParsePublic(tpm_->ak_public());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  auto area = MarshalPublicArea(parsed->publicArea);
  ASSERT_TRUE(area.ok());
  auto digest = Hash(TPM2_ALG_SHA256, *area);
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(tpm_->ak_name(), std::string("\x00\x0b", 2) + *digest);
}

TEST_F(SoftTpmTest, QuotePassesVerifyQuote) {
  std::string nonce = "0123456789abcdef0123456789abcdef";
  auto q = tpm_->MakeQuote(nonce, selection_);
  ASSERT_TRUE(q.ok()) << q.status();
  auto v = Verify(*q, nonce);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->clock.safe, TPM2_YES);
  EXPECT_EQ(v->pcrs.at(TPM2_ALG_SHA256).size(), 24u);
  // A second quote continues the clock: passes with the first as previous.
  auto q2 = tpm_->MakeQuote(nonce, selection_);
  ASSERT_TRUE(q2.ok());
  auto v2 = Verify(*q2, nonce, v->clock);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_GT(v2->clock.clock, v->clock.clock);
}

TEST_F(SoftTpmTest, FlippedSignatureByteFails) {
  std::string nonce = "nonce-for-signature-test";
  auto q = tpm_->MakeQuote(nonce, selection_);
  ASSERT_TRUE(q.ok());
  q->signature.back() ^= 0x01;  // last byte of s
  auto v = Verify(*q, nonce);
  EXPECT_EQ(ReasonOf(v.status()), vtpm_attest::v1::QUOTE_BAD_SIGNATURE)
      << v.status();
}

TEST_F(SoftTpmTest, WrongNonceFails) {
  auto q = tpm_->MakeQuote("the nonce the agent used", selection_);
  ASSERT_TRUE(q.ok());
  auto v = Verify(*q, "the nonce the verifier issued");
  EXPECT_EQ(ReasonOf(v.status()), vtpm_attest::v1::NONCE_MISMATCH)
      << v.status();
}

TEST_F(SoftTpmTest, RestoredSnapshotIsClockRollbackAndRebootIsNot) {
  std::string nonce = "clock";
  tpm_->SetCounters(5, 2);
  auto first = tpm_->MakeQuote(nonce, selection_);
  ASSERT_TRUE(first.ok());
  auto v1 = Verify(*first, nonce);
  ASSERT_TRUE(v1.ok()) << v1.status();
  EXPECT_EQ(v1->clock.resetCount, 5u);

  tpm_->Reboot();  // resetCount 6, restartCount 0: forward.
  auto rebooted = tpm_->MakeQuote(nonce, selection_);
  ASSERT_TRUE(rebooted.ok());
  auto v2 = Verify(*rebooted, nonce, v1->clock);
  ASSERT_TRUE(v2.ok()) << v2.status();

  tpm_->SetCounters(4, 0);  // a snapshot from before the first quote
  auto restored = tpm_->MakeQuote(nonce, selection_);
  ASSERT_TRUE(restored.ok());
  auto v3 = Verify(*restored, nonce, v2->clock);
  EXPECT_EQ(ReasonOf(v3.status()), vtpm_attest::v1::CLOCK_ROLLBACK)
      << v3.status();

  tpm_->SetCounters(6, 0);  // same boot, clock moved back
  tpm_->AdjustClock(-1000000);
  auto back = tpm_->MakeQuote(nonce, selection_);
  ASSERT_TRUE(back.ok());
  auto v4 = Verify(*back, nonce, v2->clock);
  EXPECT_EQ(ReasonOf(v4.status()), vtpm_attest::v1::CLOCK_ROLLBACK)
      << v4.status();
}

TEST_F(SoftTpmTest, AnswerHonoursTheRequestedSelection) {
  vtpm_attest::v1::QuoteRequest request;
  request.set_nonce("answer-nonce");
  auto sel = ParsePcrSelection("sha256:0,4,7+sha384:10");
  ASSERT_TRUE(sel.ok());
  ToProto(*sel, request.mutable_selection());
  auto response = tpm_->Answer(request);
  ASSERT_TRUE(response.ok()) << response.status();
  auto values = PcrValuesFromProto(response->pcrs());
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_EQ(values->at(TPM2_ALG_SHA256).size(), 3u);
  EXPECT_EQ(values->at(TPM2_ALG_SHA384).size(), 1u);
  verifier::QuoteEvidence evidence{response->attest(), response->signature(),
                                   *values};
  verifier::QuoteExpectation expected;
  expected.ak = tpm_->ak_area();
  expected.nonce = "answer-nonce";
  expected.selection = *sel;
  auto v = verifier::VerifyQuote(evidence, expected);
  EXPECT_TRUE(v.ok()) << v.status();
  // The verifier asking for another selection notices.
  expected.selection = selection_;
  v = verifier::VerifyQuote(evidence, expected);
  EXPECT_EQ(ReasonOf(v.status()), vtpm_attest::v1::PCR_SELECTION_MISMATCH)
      << v.status();
}

TEST_F(SoftTpmTest, PcrValuesShareTheImageAndDifferPerMachine) {
  auto other = SoftTpm::Create(*ca_, {.image_seed = 7, .machine_seed = 43});
  ASSERT_TRUE(other.ok());
  for (uint32_t i : {0u, 7u}) {
    EXPECT_EQ(*tpm_->PcrValue(TPM2_ALG_SHA256, i),
              *(*other)->PcrValue(TPM2_ALG_SHA256, i));
  }
  for (uint32_t i : {8u, 23u}) {
    EXPECT_NE(*tpm_->PcrValue(TPM2_ALG_SHA256, i),
              *(*other)->PcrValue(TPM2_ALG_SHA256, i));
  }
  EXPECT_FALSE(tpm_->PcrValue(TPM2_ALG_SHA256, 24).ok());
}

TEST_F(SoftTpmTest, ActivationRecoversMakeCredentialSecret) {
  std::string secret = "sixteen byte key";
  auto challenge = MakeCredential(tpm_->ek_area(), tpm_->ak_name(), secret);
  ASSERT_TRUE(challenge.ok()) << challenge.status();
  auto got = tpm_->ActivateCredential(challenge->credential_blob,
                                      challenge->encrypted_secret);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, secret);
}

TEST_F(SoftTpmTest, ActivationFailsForAnotherEksCredential) {
  auto other = SoftTpm::Create(*ca_, {});
  ASSERT_TRUE(other.ok());
  // Made for the other TPM's EK but this AK's name.
  auto challenge =
      MakeCredential((*other)->ek_area(), tpm_->ak_name(), "secret");
  ASSERT_TRUE(challenge.ok());
  auto got = tpm_->ActivateCredential(challenge->credential_blob,
                                      challenge->encrypted_secret);
  EXPECT_EQ(ReasonOf(got.status()), vtpm_attest::v1::ACTIVATION_FAILED)
      << got.status();
  // Made for this EK but another object's name.
  challenge = MakeCredential(tpm_->ek_area(), (*other)->ak_name(), "secret");
  ASSERT_TRUE(challenge.ok());
  got = tpm_->ActivateCredential(challenge->credential_blob,
                                 challenge->encrypted_secret);
  EXPECT_EQ(ReasonOf(got.status()), vtpm_attest::v1::ACTIVATION_FAILED)
      << got.status();
}

TEST_F(SoftTpmTest, EkCertPassesVerifyEkCertificate) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.Sub("trust/loadtest"));
  ASSERT_TRUE(
      testing::WriteFile(dir.Sub("trust/loadtest/ca.pem"), ca_->cert_pem())
          .ok());
  auto store = verifier::TrustStore::LoadDirectory(dir.Sub("trust"));
  ASSERT_TRUE(store.ok()) << store.status();
  verifier::EkCertOptions options;
  options.platforms = {"loadtest"};
  options.require_eku = true;
  auto verified = verifier::VerifyEkCertificate(
      *store, options, tpm_->ek_cert_der(), {}, tpm_->ek_area());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->platform, "loadtest");
  EXPECT_EQ(verified->san.model, "vtpm-load");
  EXPECT_EQ(verified->chain_length, 2);

  // Another CA of the same name did not issue it.
  auto impostor = SoftEkCa::Create();
  ASSERT_TRUE(impostor.ok());
  std::filesystem::create_directories(dir.Sub("other/loadtest"));
  ASSERT_TRUE(testing::WriteFile(dir.Sub("other/loadtest/ca.pem"),
                                 (*impostor)->cert_pem())
                  .ok());
  auto other_store = verifier::TrustStore::LoadDirectory(dir.Sub("other"));
  ASSERT_TRUE(other_store.ok());
  auto rejected = verifier::VerifyEkCertificate(
      *other_store, options, tpm_->ek_cert_der(), {}, tpm_->ek_area());
  EXPECT_EQ(ReasonOf(rejected.status()), vtpm_attest::v1::EK_CERT_WRONG_CA)
      << rejected.status();

  // The certificate does not certify another TPM's EK.
  auto other = SoftTpm::Create(*ca_, {});
  ASSERT_TRUE(other.ok());
  auto mismatch = verifier::VerifyEkCertificate(
      *store, options, tpm_->ek_cert_der(), {}, (*other)->ek_area());
  EXPECT_EQ(ReasonOf(mismatch.status()), vtpm_attest::v1::EK_KEY_MISMATCH)
      << mismatch.status();
}

// Second opinion: tpm2-tools accepts the soft quote, and rejects it with a
// wrong nonce.
TEST_F(SoftTpmTest, Tpm2CheckquoteAcceptsSoftQuote) {
  testing::TempDir dir;
  std::string nonce = "\x01\x02\x03\x04\xaa\xbb\xcc\xdd";
  auto q = tpm_->MakeQuote(nonce, selection_);
  ASSERT_TRUE(q.ok());
  auto pem = PublicKeyToPem(tpm_->ak_key());
  ASSERT_TRUE(pem.ok());
  auto pcr_file = tpm2tools::SerializePcrs(selection_, q->pcrs);
  ASSERT_TRUE(pcr_file.ok()) << pcr_file.status();
  ASSERT_TRUE(testing::WriteFile(dir.Sub("ak.pem"), *pem).ok());
  ASSERT_TRUE(testing::WriteFile(dir.Sub("msg"), q->attest).ok());
  ASSERT_TRUE(testing::WriteFile(dir.Sub("sig"), q->signature).ok());
  ASSERT_TRUE(testing::WriteFile(dir.Sub("pcrs"), *pcr_file).ok());
  auto check = [&](const std::string& nonce_hex) {
    auto r =
        testing::RunCommand({"tpm2_checkquote", "-u", dir.Sub("ak.pem"), "-m",
                             dir.Sub("msg"), "-s", dir.Sub("sig"), "-f",
                             dir.Sub("pcrs"), "-g", "sha256", "-q", nonce_hex});
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : testing::CommandResult{};
  };
  auto ok = check(HexEncode(nonce));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  auto bad = check("0102030405060708");
  EXPECT_NE(bad.exit_code, 0) << bad.output;
}

}  // namespace
}  // namespace vtpm::load
