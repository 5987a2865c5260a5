// End to end: agent <-> verifier over loopback TLS on a real swtpm. Each
// check the verifier makes is shown to reject its bad case with its own
// reason code.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "agent/tpm/quote.h"
#include "common/hex.h"
#include "common/ossl.h"
#include "common/pcr_selection.h"
#include "common/tpm_alg.h"
#include "tests/e2e/e2e_fixture.h"

namespace vtpm::testing {
namespace {

using ::testing::ElementsAre;
using vtpm_attest::v1::AgentMessage;
using vtpm_attest::v1::Hello;
using vtpm_attest::v1::VerifierMessage;
namespace v1 = vtpm_attest::v1;
namespace fs = std::filesystem;

TEST_F(E2eTest, EccAkWithRsaEkPasses) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->ek().cert_nv_index, 0x01c00002u);
  auto run = Run(*a);
  EXPECT_VERDICT(run, v1::RESULT_PASS);
  EXPECT_EQ(run.verdict->policy(), "default");
  EXPECT_EQ(run.verdict->identity().ek_fingerprint().size(), 64u);
  // The verdict is in the database.
  verifier::VerdictQuery query;
  query.ek_fingerprint = run.verdict->identity().ek_fingerprint();
  auto stored = verifier_->service().store().QueryVerdicts(query);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].verdict_id(), run.verdict->verdict_id());
}

TEST_F(E2eTest, RsaAkWithEccP384EkPasses) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_, agent::AkAlgorithm::kRsa2048,
                        agent::EkAlgorithm::kEccP384);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->ek().cert_nv_index, 0x01c00016u);
  auto run = Run(*a);
  EXPECT_VERDICT(run, v1::RESULT_PASS);
}

TEST_F(E2eTest, SecondAttestationSkipsActivationAndPasses) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  EXPECT_VERDICT(Run(*a), v1::RESULT_PASS);
  bool challenged = false;
  Tamper t;
  t.to_agent = [&](VerifierMessage* m) {
    if (m->has_credential_challenge()) challenged = true;
  };
  EXPECT_VERDICT(Run(*a, t), v1::RESULT_PASS);
  EXPECT_FALSE(challenged);
}

TEST_F(E2eTest, IntermediateFromNvChainCompletesTheChain) {
  WriteTrustStore(*ca_, /*root_only=*/true);
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  std::string pem = *ReadFile(ca_->intermediate_cert());
  auto certs = ParsePemCertificates(pem);
  ASSERT_TRUE(certs.ok());
  std::string der = *CertificateToDer((*certs)[0].get());
  Tamper t;
  t.hello = [&](Hello* h) { h->mutable_ek()->add_chain_certificates(der); };
  EXPECT_VERDICT(Run(*a, t), v1::RESULT_PASS);
}

TEST_F(E2eTest, MissingIntermediateFails) {
  WriteTrustStore(*ca_, /*root_only=*/true);
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  EXPECT_VERDICT(Run(*a), v1::RESULT_FAIL, v1::EK_CERT_UNKNOWN_ISSUER,
                 v1::UNAUTHENTICATED_ATTEMPT);
}

TEST_F(E2eTest, EkCertFromAnotherCaFails) {
  fs::create_directories(dir_.Sub("other-ca"));
  auto other = TestCa::Create(dir_.Sub("other-ca"));
  ASSERT_TRUE(other.ok()) << other.status();
  WriteTrustStore(**other);  // same names (CN=swtpm-localca), other keys
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  EXPECT_VERDICT(Run(*a), v1::RESULT_FAIL, v1::EK_CERT_WRONG_CA,
                 v1::UNAUTHENTICATED_ATTEMPT);
}

TEST_F(E2eTest, ExpiredEkCertFails) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  time_t now = time(nullptr);
  auto expired =
      ReissueEkCert(a->ek().cert_der, *ca_, now - 3 * 86400, now - 86400);
  ASSERT_TRUE(expired.ok()) << expired.status();
  Tamper t;
  t.hello = [&](Hello* h) { h->mutable_ek()->set_certificate(*expired); };
  EXPECT_VERDICT(Run(*a, t), v1::RESULT_FAIL, v1::EK_CERT_EXPIRED,
                 v1::UNAUTHENTICATED_ATTEMPT);
}

TEST_F(E2eTest, MissingEkCertFailsWhenPolicyRequiresOne) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  Tamper t;
  t.hello = [](Hello* h) { h->mutable_ek()->clear_certificate(); };
  EXPECT_VERDICT(Run(*a, t), v1::RESULT_FAIL, v1::EK_CERT_MISSING,
                 v1::UNAUTHENTICATED_ATTEMPT);
}

TEST_F(E2eTest, EkCertOfAnotherTpmFails) {
  auto tpm2 = Swtpm::Start(dir_.Sub("tpm2"), *ca_);
  ASSERT_TRUE(tpm2.ok()) << tpm2.status();
  StartVerifier();
  std::string other_cert;
  {
    auto b = MakeAttestor(**tpm2, agent::AkAlgorithm::kEccP256,
                          agent::EkAlgorithm::kAuto, "state-b");
    ASSERT_NE(b, nullptr);
    other_cert = b->ek().cert_der;
  }
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  Tamper t;
  t.hello = [&](Hello* h) { h->mutable_ek()->set_certificate(other_cert); };
  EXPECT_VERDICT(Run(*a, t), v1::RESULT_FAIL, v1::EK_KEY_MISMATCH,
                 v1::UNAUTHENTICATED_ATTEMPT);
}

TEST_F(E2eTest, AkFromAnotherTpmFailsActivation) {
  auto tpm2 = Swtpm::Start(dir_.Sub("tpm2"), *ca_);
  ASSERT_TRUE(tpm2.ok()) << tpm2.status();
  StartVerifier();
  v1::AttestationKey foreign_ak;
  {
    auto b = MakeAttestor(**tpm2, agent::AkAlgorithm::kEccP256,
                          agent::EkAlgorithm::kAuto, "state-b");
    ASSERT_NE(b, nullptr);
    auto hb = b->MakeHello(Hello::MODE_ONCE);
    ASSERT_TRUE(hb.ok());
    foreign_ak = hb->hello().ak();
  }
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  Tamper t;
  t.hello = [&](Hello* h) { *h->mutable_ak() = foreign_ak; };
  EXPECT_VERDICT(Run(*a, t), v1::RESULT_FAIL, v1::ACTIVATION_FAILED,
                 v1::UNAUTHENTICATED_ATTEMPT);
}

TEST_F(E2eTest, WrongActivationSecretFails) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  Tamper t;
  t.to_verifier = [](AgentMessage* m) {
    if (m->has_activation_answer()) {
      std::string s = m->activation_answer().secret();
      s[0] ^= 1;
      m->mutable_activation_answer()->set_secret(s);
    }
  };
  EXPECT_VERDICT(Run(*a, t), v1::RESULT_FAIL, v1::ACTIVATION_FAILED,
                 v1::UNAUTHENTICATED_ATTEMPT);
}

TEST_F(E2eTest, AkNameThatDoesNotMatchItsPublicAreaFails) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  Tamper t;
  t.hello = [](Hello* h) {
    std::string n = h->ak().name();
    n.back() ^= 1;
    h->mutable_ak()->set_name(n);
  };
  EXPECT_VERDICT(Run(*a, t), v1::RESULT_FAIL, v1::AK_NAME_MISMATCH,
                 v1::UNAUTHENTICATED_ATTEMPT);
}

TEST_F(E2eTest, WrongNonceFails) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  Tamper t;
  t.to_agent = [](VerifierMessage* m) {
    if (m->has_quote_request()) {
      std::string n = m->quote_request().nonce();
      n[0] ^= 1;
      m->mutable_quote_request()->set_nonce(n);
    }
  };
  EXPECT_VERDICT(Run(*a, t), v1::RESULT_FAIL, v1::NONCE_MISMATCH);
}

TEST_F(E2eTest, ReplayedQuoteFails) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  AgentMessage recorded;
  Tamper record;
  record.to_verifier = [&](AgentMessage* m) {
    if (m->has_quote_response()) recorded = *m;
  };
  EXPECT_VERDICT(Run(*a, record), v1::RESULT_PASS);
  ASSERT_TRUE(recorded.has_quote_response());
  Tamper replay;
  replay.to_verifier = [&](AgentMessage* m) {
    if (m->has_quote_response()) *m = recorded;
  };
  EXPECT_VERDICT(Run(*a, replay), v1::RESULT_FAIL, v1::QUOTE_REPLAYED,
                 v1::UNAUTHENTICATED_ATTEMPT);
}

TEST_F(E2eTest, PcrExtendedAfterTheQuoteFails) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  Tamper t;
  t.to_verifier = [&](AgentMessage* m) {
    if (!m->has_quote_response()) return;
    // Something is measured after the quote; the agent sends PCRs read now.
    ASSERT_TRUE(
        agent::ExtendPcr(a->tpm(), 7, TPM2_ALG_SHA256, std::string(32, '\x42'))
            .ok());
    auto now = agent::ReadPcrs(a->tpm(), *ParsePcrSelection("sha256:0-7"));
    ASSERT_TRUE(now.ok()) << now.status();
    PcrValuesToProto(*now, m->mutable_quote_response()->mutable_pcrs());
  };
  EXPECT_VERDICT(Run(*a, t), v1::RESULT_FAIL, v1::PCR_DIGEST_MISMATCH);
}

TEST_F(E2eTest, ForgedSignatureFails) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  Tamper t;
  t.to_verifier = [](AgentMessage* m) {
    if (!m->has_quote_response()) return;
    std::string s = m->quote_response().signature();
    s[s.size() - 3] ^= 1;
    m->mutable_quote_response()->set_signature(s);
  };
  EXPECT_VERDICT(Run(*a, t), v1::RESULT_FAIL, v1::QUOTE_BAD_SIGNATURE);
}

TEST_F(E2eTest, PcrValueNotInPolicyFails) {
  WritePolicy(R"json({
    "name": "golden",
    "quotePcrs": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": [0, 7]}],
    "pcrValues": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": [
      {"index": 0, "values": ["0000000000000000000000000000000000000000000000000000000000000000"]},
      {"index": 7, "values": ["ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"]}]}]
  })json");
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  auto run = Run(*a);
  EXPECT_VERDICT(run, v1::RESULT_FAIL, v1::POLICY_PCR_MISMATCH);
  EXPECT_THAT(run.verdict->reasons(0).message(),
              ::testing::HasSubstr("sha256:7"));
}

TEST_F(E2eTest, PcrValueInPolicyPasses) {
  // PCR 7 after one extend of 32 x 0x42 from zero.
  std::string expected =
      *Hash(TPM2_ALG_SHA256, std::string(32, '\0') + std::string(32, '\x42'));
  WritePolicy(absl::StrCat(R"json({
    "name": "golden",
    "quotePcrs": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": [7]}],
    "pcrValues": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": [
      {"index": 7, "values": [")json",
                           HexEncode(expected), R"json("]}]}]
  })json"));
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(
      agent::ExtendPcr(a->tpm(), 7, TPM2_ALG_SHA256, std::string(32, '\x42'))
          .ok());
  EXPECT_VERDICT(Run(*a), v1::RESULT_PASS);
}

TEST_F(E2eTest, TpmModelNotInPolicyFails) {
  WritePolicy(
      R"json({"name": "hw-only", "allowedTpmModels": ["IFX", "NTC"]})json");
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  EXPECT_VERDICT(Run(*a), v1::RESULT_FAIL, v1::POLICY_TPM_MODEL);
}

TEST_F(E2eTest, TruncatedQuoteFails) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  Tamper t;
  t.to_verifier = [](AgentMessage* m) {
    if (!m->has_quote_response()) return;
    std::string q = m->quote_response().attest();
    m->mutable_quote_response()->set_attest(q.substr(0, q.size() - 1));
  };
  EXPECT_VERDICT(Run(*a, t), v1::RESULT_FAIL, v1::QUOTE_MALFORMED);
}

TEST_F(E2eTest, OversizedFieldsFail) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  Tamper big_log;
  big_log.to_verifier = [](AgentMessage* m) {
    if (m->has_quote_response()) {
      m->mutable_quote_response()->set_event_log(
          std::string((3 << 20) + 1, 'x'));
    }
  };
  EXPECT_VERDICT(Run(*a, big_log), v1::RESULT_FAIL, v1::OVERSIZED_MESSAGE);
  Tamper big_cert;
  big_cert.hello = [](Hello* h) {
    h->mutable_ek()->set_certificate(std::string(20000, '\x30'));
  };
  EXPECT_VERDICT(Run(*a, big_cert), v1::RESULT_FAIL, v1::OVERSIZED_MESSAGE,
                 v1::UNAUTHENTICATED_ATTEMPT);
}

TEST_F(E2eTest, MessageOverTheTransportLimitIsRefusedAndServerSurvives) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  Tamper t;
  t.to_verifier = [](AgentMessage* m) {
    if (m->has_quote_response()) {
      m->mutable_quote_response()->set_event_log(std::string(5 << 20, 'x'));
    }
  };
  auto run = Run(*a, t);
  EXPECT_FALSE(run.verdict.has_value());
  EXPECT_EQ(run.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << run.status.error_message();
  // The verifier still serves the next agent.
  EXPECT_VERDICT(Run(*a), v1::RESULT_PASS);
}

TEST_F(E2eTest, GarbageEkPublicIsMalformed) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  Tamper t;
  t.hello = [](Hello* h) {
    std::string p = h->ek().public_area();
    h->mutable_ek()->set_public_area(p.substr(0, p.size() / 2));
  };
  EXPECT_VERDICT(Run(*a, t), v1::RESULT_FAIL, v1::MALFORMED_MESSAGE,
                 v1::UNAUTHENTICATED_ATTEMPT);
}

TEST_F(E2eTest, OutOfOrderMessageIsAProtocolViolation) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  Tamper t;
  t.to_verifier = [](AgentMessage* m) {
    if (m->has_activation_answer()) {
      m->mutable_quote_response()->set_attest("x");
    }
  };
  EXPECT_VERDICT(Run(*a, t), v1::RESULT_FAIL, v1::PROTOCOL_VIOLATION,
                 v1::UNAUTHENTICATED_ATTEMPT);
}

}  // namespace
}  // namespace vtpm::testing
