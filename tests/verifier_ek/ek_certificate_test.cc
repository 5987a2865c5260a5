// VerifyEkCertificate against real swtpm EK certificates issued by
// per-test swtpm-localca CAs, with trust store directories written by the
// test. Every rejecting check has a case here with its ReasonCode; the
// certificates for the date, profile and signature cases are the real
// swtpm certificate re-issued (or damaged) with OpenSSL. The weak-algorithm
// cases are in ek_weak_algorithm_test.cc.
#include "verifier/ek/ek_certificate.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <ctime>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/reason.h"
#include "common/tpm_public.h"
#include "tests/harness/process.h"
#include "tests/verifier_ek/ek_fixture.h"

namespace vtpm::verifier {
namespace {

namespace ekt = ::vtpm::verifier::testing;
using ekt::HasReason;
using ::vtpm::testing::RunCommand;
using ::vtpm::testing::RunOrError;
using ::vtpm::testing::WriteFile;
using ::vtpm_attest::v1::ReasonCode;
using ::vtpm_attest::v1::ReasonCode_Name;

constexpr time_t kDay = 24 * 60 * 60;

// SHA-256 of the certificate's SubjectPublicKeyInfo, computed by openssl(1).
std::string OpensslFingerprint(const std::string& der_path) {
  auto out = RunOrError(
      {"sh", "-c",
       absl::StrCat("openssl x509 -inform der -in '", der_path,
                    "' -pubkey -noout | openssl pkey -pubin -outform der | "
                    "sha256sum")});
  if (!out.ok()) return out.status().ToString();
  return out->substr(0, 64);
}

class EkCertTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VTPM_ASSERT_OK_AND_ASSIGN(ca_a_, ekt::CaA());
    VTPM_ASSERT_OK_AND_ASSIGN(a1_, ekt::TpmA1Rsa());
    VTPM_ASSERT_OK_AND_ASSIGN(
        store_a_, ekt::LoadStore({{"libvirt",
                                   {ca_a_->root_pem_path,
                                    ca_a_->intermediate_pem_path}}}));
  }

  // Verifies `der` for A1's RSA EK against `store_a_`.
  absl::StatusOr<VerifiedEkCert> VerifyA1(absl::string_view der,
                                          const EkCertOptions& options = {}) {
    return VerifyEkCertificate(store_a_, options, der, {}, a1_->pub);
  }

  // A1's RSA EK certificate re-issued by CA A's intermediate after `edit`.
  absl::StatusOr<std::string> ReissueA1(
      const std::function<void(X509*)>& edit) {
    return ekt::Reissue(a1_->cert_der, ca_a_->intermediate_key.get(), edit);
  }

  const ekt::CaMaterial* ca_a_ = nullptr;
  const ekt::EkMaterial* a1_ = nullptr;
  TrustStore store_a_;
};

// --- Accepted ---------------------------------------------------------------

TEST_F(EkCertTest, RsaEkVerifiesWithRootAndIntermediateInStore) {
  auto r = VerifyA1(a1_->cert_der);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->platform, "libvirt");
  EXPECT_EQ(r->subject, "CN=unknown");
  EXPECT_EQ(r->issuer, "CN=swtpm-localca");
  EXPECT_EQ(r->chain_length, 3);
  EXPECT_EQ(r->san.manufacturer, "id:00001014");
  EXPECT_EQ(r->san.model, "swtpm");
  EXPECT_TRUE(absl::StartsWith(r->san.version, "id:")) << r->san.version;
  EXPECT_EQ(r->fingerprint, OpensslFingerprint(a1_->cert_der_path));
  auto key = PublicToEvp(a1_->pub);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(r->fingerprint, *PublicKeyFingerprint(key->get()));
}

TEST_F(EkCertTest, EccP384EkVerifiesWithEkuRequired) {
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::EkMaterial* ecc, ekt::TpmA1Ecc());
  EkCertOptions options;
  options.require_eku = true;
  auto r = VerifyEkCertificate(store_a_, options, ecc->cert_der, {}, ecc->pub);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->platform, "libvirt");
  EXPECT_EQ(r->san.manufacturer, "id:00001014");
  EXPECT_EQ(r->san.model, "swtpm");
  EXPECT_EQ(r->fingerprint, OpensslFingerprint(ecc->cert_der_path));
  EXPECT_NE(r->fingerprint, OpensslFingerprint(a1_->cert_der_path));
}

TEST_F(EkCertTest, RootOnlyStoreWithIntermediateFromTheAgent) {
  VTPM_ASSERT_OK_AND_ASSIGN(
      TrustStore store, ekt::LoadStore({{"libvirt", {ca_a_->root_pem_path}}}));
  auto r = VerifyEkCertificate(store, {}, a1_->cert_der,
                               {ca_a_->intermediate_der}, a1_->pub);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->platform, "libvirt");
  EXPECT_EQ(r->chain_length, 3);
}

TEST_F(EkCertTest, ReportsThePlatformWhoseCaIssuedTheCertificate) {
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::CaMaterial* ca_b, ekt::CaB());
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::EkMaterial* b, ekt::TpmBRsa());
  VTPM_ASSERT_OK_AND_ASSIGN(
      TrustStore store,
      ekt::LoadStore(
          {{"libvirt", {ca_a_->root_pem_path, ca_a_->intermediate_pem_path}},
           {"vsphere", {ca_b->root_pem_path, ca_b->intermediate_pem_path}}}));
  auto ra = VerifyEkCertificate(store, {}, a1_->cert_der, {}, a1_->pub);
  ASSERT_TRUE(ra.ok()) << ra.status();
  EXPECT_EQ(ra->platform, "libvirt");
  auto rb = VerifyEkCertificate(store, {}, b->cert_der, {}, b->pub);
  ASSERT_TRUE(rb.ok()) << rb.status();
  EXPECT_EQ(rb->platform, "vsphere");
  EXPECT_NE(ra->fingerprint, rb->fingerprint);
}

TEST_F(EkCertTest, ReissueWithNewSerialStillVerifies) {
  // Control for the re-issued certificates below: re-signing by the CA
  // alone does not make a certificate fail.
  VTPM_ASSERT_OK_AND_ASSIGN(std::string der, ReissueA1([](X509* c) {
                              ASN1_INTEGER_set(X509_get_serialNumber(c), 4242);
                            }));
  EXPECT_NE(der, a1_->cert_der);
  auto r = VerifyA1(der);
  EXPECT_TRUE(r.ok()) << r.status();
}

TEST_F(EkCertTest, OneStoreServesConcurrentVerifications) {
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::EkMaterial* ecc, ekt::TpmA1Ecc());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const ekt::EkMaterial* ek = t % 2 ? ecc : a1_;
      for (int i = 0; i < 25; ++i) {
        if (VerifyEkCertificate(store_a_, {}, ek->cert_der, {}, ek->pub).ok()) {
          ++ok;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 100);
}

// --- Path validation
// ----------------------------------------------------------

TEST_F(EkCertTest, CertificateFromAnotherCaWithTheSameNameIsWrongCa) {
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::EkMaterial* b, ekt::TpmBRsa());
  auto r = VerifyEkCertificate(store_a_, {}, b->cert_der, {}, b->pub);
  ASSERT_TRUE(HasReason(r, vtpm_attest::v1::EK_CERT_WRONG_CA));
  std::string msg(r.status().message());
  EXPECT_TRUE(absl::StrContains(msg, "\"CN=unknown\"")) << msg;
  EXPECT_TRUE(absl::StrContains(msg, "\"CN=swtpm-localca\"")) << msg;
  EXPECT_TRUE(absl::StrContains(msg, "platform libvirt")) << msg;

  // Also when B's intermediate comes along: it names A's root's name.
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::CaMaterial* ca_b, ekt::CaB());
  EXPECT_TRUE(HasReason(VerifyEkCertificate(store_a_, {}, b->cert_der,
                                            {ca_b->intermediate_der}, b->pub),
                        vtpm_attest::v1::EK_CERT_WRONG_CA));
}

TEST_F(EkCertTest, MissingIntermediateIsUnknownIssuer) {
  VTPM_ASSERT_OK_AND_ASSIGN(
      TrustStore store, ekt::LoadStore({{"libvirt", {ca_a_->root_pem_path}}}));
  auto r = VerifyEkCertificate(store, {}, a1_->cert_der, {}, a1_->pub);
  ASSERT_TRUE(HasReason(r, vtpm_attest::v1::EK_CERT_UNKNOWN_ISSUER));
  EXPECT_TRUE(absl::StrContains(r.status().message(), "CN=swtpm-localca"))
      << r.status();
}

TEST_F(EkCertTest, ChainToASelfSignedRootNotInTheStoreIsUntrustedRoot) {
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::CaMaterial* ca_b, ekt::CaB());
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::EkMaterial* b, ekt::TpmBRsa());
  EXPECT_TRUE(HasReason(
      VerifyEkCertificate(store_a_, {}, b->cert_der,
                          {ca_b->intermediate_der, ca_b->root_der}, b->pub),
      vtpm_attest::v1::EK_CERT_UNTRUSTED_ROOT));
}

TEST_F(EkCertTest, SelfIssuedEkCertificateIsUntrustedRoot) {
  // An EK certificate that names itself as issuer: nothing above it.
  VTPM_ASSERT_OK_AND_ASSIGN(std::string der, ReissueA1([](X509* c) {
                              X509_set_issuer_name(c, X509_get_subject_name(c));
                              ekt::RemoveExtension(
                                  c, NID_authority_key_identifier);
                            }));
  EXPECT_TRUE(
      HasReason(VerifyA1(der), vtpm_attest::v1::EK_CERT_UNTRUSTED_ROOT));
}

TEST_F(EkCertTest, TrustedIntermediateAloneDoesNotEndAPath) {
  // No X509_V_FLAG_PARTIAL_CHAIN: a platform holding only CA A's
  // intermediate (possible through FromCertificates) accepts nothing.
  std::map<std::string, std::vector<X509Ptr>> certs;
  VTPM_ASSERT_OK_AND_ASSIGN(X509Ptr inter,
                            ParseDerCertificate(ca_a_->intermediate_der));
  certs["libvirt"].push_back(std::move(inter));
  TrustStore store = TrustStore::FromCertificates(std::move(certs));
  EXPECT_TRUE(
      HasReason(VerifyEkCertificate(store, {}, a1_->cert_der, {}, a1_->pub),
                vtpm_attest::v1::EK_CERT_UNKNOWN_ISSUER));
}

TEST_F(EkCertTest, ExpiredReissueIsExpired) {
  time_t now = time(nullptr);
  VTPM_ASSERT_OK_AND_ASSIGN(std::string der, ReissueA1([now](X509* c) {
                              ekt::SetValidity(c, now - 10 * kDay, now - kDay);
                            }));
  EXPECT_TRUE(HasReason(VerifyA1(der), vtpm_attest::v1::EK_CERT_EXPIRED));
}

TEST_F(EkCertTest, FutureReissueIsNotYetValid) {
  time_t now = time(nullptr);
  VTPM_ASSERT_OK_AND_ASSIGN(std::string der, ReissueA1([now](X509* c) {
                              ekt::SetValidity(c, now + kDay, now + 10 * kDay);
                            }));
  EXPECT_TRUE(HasReason(VerifyA1(der), vtpm_attest::v1::EK_CERT_NOT_YET_VALID));
}

TEST_F(EkCertTest, OptionsNowDecidesValidity) {
  time_t now = time(nullptr);
  VTPM_ASSERT_OK_AND_ASSIGN(std::string der, ReissueA1([now](X509* c) {
                              ekt::SetValidity(c, now - kDay, now + kDay);
                            }));
  EkCertOptions options;
  options.now = now;
  EXPECT_TRUE(VerifyA1(der, options).ok());
  options.now = now + 30 * kDay;
  EXPECT_TRUE(
      HasReason(VerifyA1(der, options), vtpm_attest::v1::EK_CERT_EXPIRED));
  options.now = now - 30 * kDay;
  EXPECT_TRUE(HasReason(VerifyA1(der, options),
                        vtpm_attest::v1::EK_CERT_NOT_YET_VALID));
  // The untouched swtpm certificate (valid from its provisioning until
  // 9999) a month before it was made.
  EXPECT_TRUE(HasReason(VerifyA1(a1_->cert_der, options),
                        vtpm_attest::v1::EK_CERT_NOT_YET_VALID));
}

TEST_F(EkCertTest, FlippedSignatureByteIsBadSignature) {
  std::string der = a1_->cert_der;
  der[der.size() - 1] ^= 0x01;  // the signature BIT STRING ends the DER
  EXPECT_TRUE(HasReason(VerifyA1(der), vtpm_attest::v1::EK_CERT_BAD_SIGNATURE));
}

TEST_F(EkCertTest, SubstitutedKeyIsBadSignature) {
  // A1's certificate with A2's modulus pasted in, presented with A2's EK:
  // the key binding holds, the CA's signature does not.
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::EkMaterial* a2, ekt::TpmA2Rsa());
  std::string m1(reinterpret_cast<const char*>(a1_->pub.unique.rsa.buffer),
                 a1_->pub.unique.rsa.size);
  std::string m2(reinterpret_cast<const char*>(a2->pub.unique.rsa.buffer),
                 a2->pub.unique.rsa.size);
  std::string der = a1_->cert_der;
  size_t pos = der.find(m1);
  ASSERT_NE(pos, std::string::npos);
  der.replace(pos, m1.size(), m2);
  EXPECT_TRUE(HasReason(VerifyEkCertificate(store_a_, {}, der, {}, a2->pub),
                        vtpm_attest::v1::EK_CERT_BAD_SIGNATURE));
}

TEST_F(EkCertTest, PlatformFilterExcludingTheIssuersPlatformFails) {
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::CaMaterial* ca_b, ekt::CaB());
  VTPM_ASSERT_OK_AND_ASSIGN(
      TrustStore store,
      ekt::LoadStore(
          {{"libvirt", {ca_a_->root_pem_path, ca_a_->intermediate_pem_path}},
           {"vsphere", {ca_b->root_pem_path, ca_b->intermediate_pem_path}}}));
  EkCertOptions options;
  options.platforms = {"vsphere"};  // holds another CN=swtpm-localca
  auto r = VerifyEkCertificate(store, options, a1_->cert_der, {}, a1_->pub);
  EXPECT_TRUE(HasReason(r, vtpm_attest::v1::EK_CERT_WRONG_CA));
  EXPECT_TRUE(absl::StrContains(r.status().message(), "vsphere"));
  EXPECT_FALSE(absl::StrContains(r.status().message(), "libvirt"));

  options.platforms = {"gcp"};  // not in the store at all
  r = VerifyEkCertificate(store, options, a1_->cert_der, {}, a1_->pub);
  EXPECT_TRUE(HasReason(r, vtpm_attest::v1::EK_CERT_UNKNOWN_ISSUER));
  EXPECT_TRUE(absl::StrContains(r.status().message(), "gcp"));

  options.platforms = {"gcp", "libvirt"};
  r = VerifyEkCertificate(store, options, a1_->cert_der, {}, a1_->pub);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->platform, "libvirt");
}

TEST_F(EkCertTest, MostSpecificReasonWinsAcrossPlatforms) {
  // "aaa" (tried first) holds CA B: a wrong CA there. "libvirt" holds CA A,
  // whose path reaches the anchor and finds the certificate expired.
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::CaMaterial* ca_b, ekt::CaB());
  VTPM_ASSERT_OK_AND_ASSIGN(
      TrustStore store,
      ekt::LoadStore(
          {{"aaa", {ca_b->root_pem_path, ca_b->intermediate_pem_path}},
           {"libvirt", {ca_a_->root_pem_path, ca_a_->intermediate_pem_path}}}));
  time_t now = time(nullptr);
  VTPM_ASSERT_OK_AND_ASSIGN(std::string der, ReissueA1([now](X509* c) {
                              ekt::SetValidity(c, now - 10 * kDay, now - kDay);
                            }));
  auto r = VerifyEkCertificate(store, {}, der, {}, a1_->pub);
  EXPECT_TRUE(HasReason(r, vtpm_attest::v1::EK_CERT_EXPIRED));
  EXPECT_TRUE(absl::StrContains(r.status().message(), "platform aaa"));
  EXPECT_TRUE(absl::StrContains(r.status().message(), "platform libvirt"));
}

TEST_F(EkCertTest, EmptyTrustStoreIsUnknownIssuer) {
  EXPECT_TRUE(HasReason(
      VerifyEkCertificate(TrustStore(), {}, a1_->cert_der, {}, a1_->pub),
      vtpm_attest::v1::EK_CERT_UNKNOWN_ISSUER));
}

// --- Key binding
// --------------------------------------------------------------

TEST_F(EkCertTest, CertificateOfAnotherTpmIsKeyMismatch) {
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::EkMaterial* a2, ekt::TpmA2Rsa());
  EXPECT_TRUE(
      VerifyEkCertificate(store_a_, {}, a2->cert_der, {}, a2->pub).ok());
  EXPECT_TRUE(
      HasReason(VerifyEkCertificate(store_a_, {}, a1_->cert_der, {}, a2->pub),
                vtpm_attest::v1::EK_KEY_MISMATCH));
}

TEST_F(EkCertTest, EccCertificateWithRsaEkIsKeyMismatch) {
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::EkMaterial* ecc, ekt::TpmA1Ecc());
  EXPECT_TRUE(
      HasReason(VerifyEkCertificate(store_a_, {}, ecc->cert_der, {}, a1_->pub),
                vtpm_attest::v1::EK_KEY_MISMATCH));
}

TEST_F(EkCertTest, SigningKeyAsEkIsEkPublicInvalid) {
  VTPM_ASSERT_OK_AND_ASSIGN(const TPMT_PUBLIC* ak, ekt::TpmA1Ak());
  auto r = VerifyEkCertificate(store_a_, {}, a1_->cert_der, {}, *ak);
  EXPECT_TRUE(HasReason(r, vtpm_attest::v1::EK_PUBLIC_INVALID));
  EXPECT_TRUE(absl::StrContains(r.status().message(), "sign set"))
      << r.status();
}

// --- TCG EK profile
// -------------------------------------------------------------

TEST_F(EkCertTest, MissingEkuFailsOnlyWhenRequired) {
  VTPM_ASSERT_OK_AND_ASSIGN(std::string der, ReissueA1([](X509* c) {
                              ekt::RemoveExtension(c, NID_ext_key_usage);
                            }));
  EXPECT_TRUE(VerifyA1(der).ok());
  EkCertOptions options;
  options.require_eku = true;
  EXPECT_TRUE(
      HasReason(VerifyA1(der, options), vtpm_attest::v1::EK_CERT_PROFILE));
}

TEST_F(EkCertTest, EkuWithoutTcgEkCertificateIsProfile) {
  VTPM_ASSERT_OK_AND_ASSIGN(std::string der, ReissueA1([](X509* c) {
                              ekt::SetExtension(c, NID_ext_key_usage,
                                                "serverAuth");
                            }));
  EXPECT_TRUE(HasReason(VerifyA1(der), vtpm_attest::v1::EK_CERT_PROFILE));
}

TEST_F(EkCertTest, RsaKeyUsageWithoutKeyEnciphermentIsProfile) {
  VTPM_ASSERT_OK_AND_ASSIGN(std::string der, ReissueA1([](X509* c) {
                              ekt::SetExtension(c, NID_key_usage,
                                                "critical,digitalSignature");
                            }));
  EXPECT_TRUE(HasReason(VerifyA1(der), vtpm_attest::v1::EK_CERT_PROFILE));
  VTPM_ASSERT_OK_AND_ASSIGN(
      der, ReissueA1([](X509* c) { ekt::RemoveExtension(c, NID_key_usage); }));
  EXPECT_TRUE(HasReason(VerifyA1(der), vtpm_attest::v1::EK_CERT_PROFILE));
}

TEST_F(EkCertTest, EccKeyUsageWithoutKeyAgreementIsProfile) {
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::EkMaterial* ecc, ekt::TpmA1Ecc());
  VTPM_ASSERT_OK_AND_ASSIGN(
      std::string der,
      ekt::Reissue(ecc->cert_der, ca_a_->intermediate_key.get(), [](X509* c) {
        ekt::SetExtension(c, NID_key_usage, "critical,digitalSignature");
      }));
  EXPECT_TRUE(HasReason(VerifyEkCertificate(store_a_, {}, der, {}, ecc->pub),
                        vtpm_attest::v1::EK_CERT_PROFILE));
}

TEST_F(EkCertTest, MissingSanIsProfile) {
  VTPM_ASSERT_OK_AND_ASSIGN(std::string der, ReissueA1([](X509* c) {
                              ekt::RemoveExtension(c, NID_subject_alt_name);
                            }));
  auto r = VerifyA1(der);
  EXPECT_TRUE(HasReason(r, vtpm_attest::v1::EK_CERT_PROFILE));
  EXPECT_TRUE(absl::StrContains(r.status().message(), "subjectAltName"));
}

TEST_F(EkCertTest, SanWithoutTpmAttributesIsProfile) {
  VTPM_ASSERT_OK_AND_ASSIGN(std::string der, ReissueA1([](X509* c) {
                              ekt::SetExtension(c, NID_subject_alt_name,
                                                "critical,DNS:tpm.example");
                            }));
  auto r = VerifyA1(der);
  EXPECT_TRUE(HasReason(r, vtpm_attest::v1::EK_CERT_PROFILE));
  EXPECT_TRUE(absl::StrContains(r.status().message(), "tpmManufacturer"));
}

TEST_F(EkCertTest, CaCertificateAsEkCertificateIsProfile) {
  VTPM_ASSERT_OK_AND_ASSIGN(std::string der, ReissueA1([](X509* c) {
                              ekt::SetExtension(c, NID_basic_constraints,
                                                "critical,CA:TRUE");
                            }));
  EXPECT_TRUE(HasReason(VerifyA1(der), vtpm_attest::v1::EK_CERT_PROFILE));
}

TEST_F(EkCertTest, SubjectDirectoryAttributes) {
  // swtpm's certificate carries the TCG Subject Directory Attributes
  // (tpmSpecification) non-critical, and verifies (tests above). OpenSSL
  // does not process that extension, so marked critical it is refused.
  VTPM_ASSERT_OK_AND_ASSIGN(X509Ptr cert, ParseDerCertificate(a1_->cert_der));
  int idx =
      X509_get_ext_by_NID(cert.get(), NID_subject_directory_attributes, -1);
  ASSERT_GE(idx, 0) << "swtpm EK certificate without the TCG SDA extension";
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(cert.get(), idx)), 0);

  VTPM_ASSERT_OK_AND_ASSIGN(
      std::string der, ReissueA1([](X509* c) {
        int i = X509_get_ext_by_NID(c, NID_subject_directory_attributes, -1);
        X509_EXTENSION_set_critical(X509_get_ext(c, i), 1);
      }));
  auto r = VerifyA1(der);
  EXPECT_TRUE(HasReason(r, vtpm_attest::v1::EK_CERT_PROFILE));
  EXPECT_TRUE(absl::StrContains(r.status().message(), "2.5.29.9"))
      << r.status();
}

// --- Malformed input
// --------------------------------------------------------------

TEST_F(EkCertTest, TruncatedTrailingOversizedAndEmptyAreMalformed) {
  const std::string& der = a1_->cert_der;
  EXPECT_TRUE(HasReason(VerifyA1(der.substr(0, der.size() - 1)),
                        vtpm_attest::v1::EK_CERT_MALFORMED));
  EXPECT_TRUE(HasReason(VerifyA1(der.substr(0, der.size() / 2)),
                        vtpm_attest::v1::EK_CERT_MALFORMED));
  EXPECT_TRUE(HasReason(VerifyA1(der + std::string(1, '\0')),
                        vtpm_attest::v1::EK_CERT_MALFORMED));
  std::string garbage(20 * 1024, '\0');
  ASSERT_EQ(RAND_bytes(reinterpret_cast<unsigned char*>(garbage.data()),
                       static_cast<int>(garbage.size())),
            1);
  EXPECT_TRUE(HasReason(VerifyA1(garbage), vtpm_attest::v1::EK_CERT_MALFORMED));
  // Garbage under the size limit reaches the DER parser.
  EXPECT_TRUE(HasReason(VerifyA1(garbage.substr(0, 1024)),
                        vtpm_attest::v1::EK_CERT_MALFORMED));
  // A valid certificate padded past the size limit.
  auto r = VerifyA1(der + std::string(kMaxCertificateSize, '\0'));
  EXPECT_TRUE(HasReason(r, vtpm_attest::v1::EK_CERT_MALFORMED));
  EXPECT_TRUE(absl::StrContains(r.status().message(), "exceeds")) << r.status();
  EXPECT_TRUE(HasReason(VerifyA1(""), vtpm_attest::v1::EK_CERT_MALFORMED));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EkCertTest, MalformedOrTooManyChainCertificatesAreMalformed) {
  const std::string& inter = ca_a_->intermediate_der;
  auto r = VerifyEkCertificate(store_a_, {}, a1_->cert_der,
                               {inter.substr(0, inter.size() - 3)}, a1_->pub);
  EXPECT_TRUE(HasReason(r, vtpm_attest::v1::EK_CERT_MALFORMED));
  EXPECT_TRUE(absl::StrContains(r.status().message(), "chain certificate #1"));
  std::vector<std::string> many(kMaxUntrustedChain + 1, inter);
  EXPECT_TRUE(HasReason(
      VerifyEkCertificate(store_a_, {}, a1_->cert_der, many, a1_->pub),
      vtpm_attest::v1::EK_CERT_MALFORMED));
}

// --- openssl verify as a second opinion
// ----------------------------------------

TEST_F(EkCertTest, AgreesWithOpensslVerify) {
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::CaMaterial* ca_b, ekt::CaB());
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::EkMaterial* b, ekt::TpmBRsa());
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::EkMaterial* ecc, ekt::TpmA1Ecc());
  VTPM_ASSERT_OK_AND_ASSIGN(
      TrustStore root_only,
      ekt::LoadStore({{"libvirt", {ca_a_->root_pem_path}}}));
  std::string tampered = a1_->cert_der;
  tampered[tampered.size() - 1] ^= 0x01;
  time_t now = time(nullptr);
  VTPM_ASSERT_OK_AND_ASSIGN(std::string expired, ReissueA1([now](X509* c) {
                              ekt::SetValidity(c, now - 10 * kDay, now - kDay);
                            }));
  struct Case {
    std::string name;
    std::string cert_der;
    const TPMT_PUBLIC* ek;
    std::vector<std::string> untrusted_der;
    bool expect_ok;
  };
  std::vector<Case> cases = {
      {"rsa", a1_->cert_der, &a1_->pub, {ca_a_->intermediate_der}, true},
      {"ecc", ecc->cert_der, &ecc->pub, {ca_a_->intermediate_der}, true},
      {"missing-intermediate", a1_->cert_der, &a1_->pub, {}, false},
      {"other-ca", b->cert_der, &b->pub, {ca_a_->intermediate_der}, false},
      {"other-ca-with-its-chain",
       b->cert_der,
       &b->pub,
       {ca_b->intermediate_der, ca_b->root_der},
       false},
      {"tampered", tampered, &a1_->pub, {ca_a_->intermediate_der}, false},
      {"expired", expired, &a1_->pub, {ca_a_->intermediate_der}, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto ours =
        VerifyEkCertificate(root_only, {}, c.cert_der, c.untrusted_der, *c.ek);
    EXPECT_EQ(ours.ok(), c.expect_ok) << ours.status();

    VTPM_ASSERT_OK_AND_ASSIGN(std::string ek_pem,
                              ekt::WritePem(c.cert_der, "ek.pem"));
    std::vector<std::string> argv = {"openssl", "verify", "-CAfile",
                                     ca_a_->root_pem_path};
    if (!c.untrusted_der.empty()) {
      std::string bundle;
      for (const std::string& der : c.untrusted_der) {
        VTPM_ASSERT_OK_AND_ASSIGN(std::string pem_path,
                                  ekt::WritePem(der, "chain.pem"));
        VTPM_ASSERT_OK_AND_ASSIGN(std::string pem,
                                  vtpm::testing::ReadFile(pem_path));
        bundle += pem;
      }
      std::string bundle_path = ekt::NewScratchDir() + "/untrusted.pem";
      ASSERT_TRUE(WriteFile(bundle_path, bundle).ok());
      argv.insert(argv.end(), {"-untrusted", bundle_path});
    }
    argv.push_back(ek_pem);
    VTPM_ASSERT_OK_AND_ASSIGN(vtpm::testing::CommandResult openssl,
                              RunCommand(argv));
    EXPECT_EQ(openssl.exit_code == 0, ours.ok())
        << "openssl verify: " << openssl.output << "\nours: " << ours.status();
  }
}

}  // namespace
}  // namespace vtpm::verifier
