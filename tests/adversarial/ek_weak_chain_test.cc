// Adversarial end to end: an attacker who controls the guest re-issues the
// swtpm's real EK public key in certificates whose chain uses weak
// algorithms (SHA-1 or MD5 signatures, an RSA-1024 intermediate), signed by
// the test's trusted CA, and puts them in the Hello. The verifier must FAIL
// with EK_CERT_WEAK_ALGORITHM; only a policy listing the root in
// legacyEkRoots admits SHA-1 and RSA-1024, and the verdict then carries the
// finding.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/harness/pki.h"

namespace vtpm::testing {
namespace {

namespace v1 = vtpm_attest::v1;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using v1::Hello;

class EkWeakChainTest : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    if (HasFatalFailure()) return;
    auto root = LoadTestCaRoot(*ca_);
    ASSERT_TRUE(root.ok()) << root.status();
    root_ = std::move(*root);
    auto inter = LoadTestCaIntermediate(*ca_);
    ASSERT_TRUE(inter.ok()) << inter.status();
    intermediate_ = std::move(*inter);
  }

  // The default policy, listing the test CA's root in legacyEkRoots.
  std::string LegacyPolicy() const {
    std::string json = DefaultPolicy();
    json.insert(json.find('{') + 1,
                absl::StrCat("\"legacyEkRoots\": [\"",
                             CertificateDerSha256(root_.der), "\"],"));
    return json;
  }

  // A new intermediate CA under the test CA's root.
  TestCertificate MakeIntermediate(const std::string& key_spec,
                                   const SignSpec& sign) {
    auto key = MakeTestKey(key_spec);
    EXPECT_TRUE(key.ok()) << key.status();
    if (!key.ok()) return {};
    auto inter = MakeTestCaCertificate("weak-intermediate", std::move(*key),
                                       &root_, sign);
    EXPECT_TRUE(inter.ok()) << inter.status();
    return inter.ok() ? std::move(*inter) : TestCertificate{};
  }

  // One conversation whose Hello carries `cert_der` as the EK certificate
  // and `chain_der` as the NV chain.
  RunResult RunWith(agent::Attestor& a, const std::string& cert_der,
                    const std::vector<std::string>& chain_der = {}) {
    Tamper t;
    t.hello = [&](Hello* h) {
      h->mutable_ek()->set_certificate(cert_der);
      h->mutable_ek()->clear_chain_certificates();
      for (const std::string& c : chain_der) {
        h->mutable_ek()->add_chain_certificates(c);
      }
    };
    return Run(a, t);
  }

  // The swtpm's EK certificate re-issued by the trusted intermediate.
  std::string ReissuedEkCert(agent::Attestor& a, const SignSpec& sign) {
    auto der = ReissueCertificateUnder(a.ek().cert_der, intermediate_, sign);
    EXPECT_TRUE(der.ok()) << der.status();
    return der.value_or("");
  }

  TestCertificate root_;          // CN=swtpm-localca-rootca, trusted
  TestCertificate intermediate_;  // CN=swtpm-localca, trusted
};

// FAIL, first for EK_CERT_WEAK_ALGORITHM, the reason of the certificate
// check (the service may add reasons after it, e.g. that nothing was
// recorded for an unproven EK), and never for the signature or the issuer.
#define EXPECT_WEAK_FAIL(run)                                                \
  do {                                                                       \
    ASSERT_TRUE((run).verdict.has_value())                                   \
        << "no verdict; stream ended with " << (run).status.error_message(); \
    EXPECT_EQ((run).verdict->result(), v1::RESULT_FAIL)                      \
        << (run).verdict->DebugString();                                     \
    ASSERT_GE((run).verdict->reasons_size(), 1);                             \
    EXPECT_EQ((run).verdict->reasons(0).code(), v1::EK_CERT_WEAK_ALGORITHM)  \
        << (run).verdict->DebugString();                                     \
    EXPECT_THAT(Codes(*(run).verdict),                                       \
                Not(Contains(int{v1::EK_CERT_BAD_SIGNATURE})));              \
    EXPECT_THAT(Codes(*(run).verdict),                                       \
                Not(Contains(int{v1::EK_CERT_UNKNOWN_ISSUER})));             \
    EXPECT_EQ((run).verdict->findings_size(), 0);                            \
  } while (0)

TEST_F(EkWeakChainTest, ReissuedWithSha256Passes) {
  // Control: re-issuing the EK certificate with a strong algorithm is not
  // what the cases below are refused for.
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  RunResult run = RunWith(*a, ReissuedEkCert(*a, SignSpec{"sha256"}));
  EXPECT_VERDICT(run, v1::RESULT_PASS);
  EXPECT_EQ(run.verdict->findings_size(), 0);
}

TEST_F(EkWeakChainTest, Sha1SignedEkCertFromTrustedCaFails) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  RunResult run = RunWith(*a, ReissuedEkCert(*a, SignSpec{"sha1"}));
  EXPECT_WEAK_FAIL(run);
  EXPECT_THAT(run.verdict->reasons(0).message(),
              HasSubstr("EK certificate \"CN=unknown\" is signed with "
                        "sha1WithRSAEncryption (SHA-1)"));
}

TEST_F(EkWeakChainTest, WeakIntermediateFromTheAgentFails) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  struct Case {
    const char* name;
    std::string key;
    SignSpec sign;
    std::string expected;
  };
  const Case cases[] = {
      {"rsa1024", "rsa:1024", SignSpec{"sha256"},
       "intermediate CA \"CN=weak-intermediate\" has an RSA-1024 key"},
      {"sha1", "rsa:2048", SignSpec{"sha1"},
       "intermediate CA \"CN=weak-intermediate\" is signed with "
       "sha1WithRSAEncryption (SHA-1)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TestCertificate inter = MakeIntermediate(c.key, c.sign);
    ASSERT_FALSE(inter.der.empty());
    auto ek_cert = ReissueCertificateUnder(a->ek().cert_der, inter);
    ASSERT_TRUE(ek_cert.ok()) << ek_cert.status();
    RunResult run = RunWith(*a, *ek_cert, {inter.der});
    EXPECT_WEAK_FAIL(run);
    EXPECT_THAT(run.verdict->reasons(0).message(), HasSubstr(c.expected));
  }
}

TEST_F(EkWeakChainTest, LegacyRootAdmitsSha1AndRsa1024WithFindings) {
  WritePolicy(LegacyPolicy());
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);

  RunResult run = RunWith(*a, ReissuedEkCert(*a, SignSpec{"sha1"}));
  EXPECT_VERDICT(run, v1::RESULT_PASS);
  ASSERT_TRUE(run.verdict.has_value());
  ASSERT_EQ(run.verdict->findings_size(), 1) << run.verdict->DebugString();
  EXPECT_EQ(run.verdict->findings(0).code(), v1::EK_CERT_WEAK_ALGORITHM);
  EXPECT_THAT(run.verdict->findings(0).message(),
              HasSubstr("is signed with sha1WithRSAEncryption (SHA-1)"));

  // An RSA-1024 intermediate signed with SHA-1, from the agent: two
  // findings, both naming it.
  TestCertificate inter = MakeIntermediate("rsa:1024", SignSpec{"sha1"});
  ASSERT_FALSE(inter.der.empty());
  auto ek_cert = ReissueCertificateUnder(a->ek().cert_der, inter);
  ASSERT_TRUE(ek_cert.ok()) << ek_cert.status();
  run = RunWith(*a, *ek_cert, {inter.der});
  EXPECT_VERDICT(run, v1::RESULT_PASS);
  ASSERT_TRUE(run.verdict.has_value());
  ASSERT_EQ(run.verdict->findings_size(), 2) << run.verdict->DebugString();
  for (const auto& f : run.verdict->findings()) {
    EXPECT_EQ(f.code(), v1::EK_CERT_WEAK_ALGORITHM);
    EXPECT_THAT(f.message(),
                HasSubstr("intermediate CA \"CN=weak-intermediate\""));
  }
}

TEST_F(EkWeakChainTest, LegacyRootStillRefusesMd5) {
  WritePolicy(LegacyPolicy());
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  RunResult run = RunWith(*a, ReissuedEkCert(*a, SignSpec{"md5"}));
  EXPECT_WEAK_FAIL(run);
  EXPECT_THAT(run.verdict->reasons(0).message(),
              HasSubstr("md5WithRSAEncryption (MD5), never accepted"));
}

}  // namespace
}  // namespace vtpm::testing
