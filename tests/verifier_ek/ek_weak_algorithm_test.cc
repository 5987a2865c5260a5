// VerifyEkCertificate's algorithm rules on real swtpm EK certificates
// re-issued under CA hierarchies with chosen keys and signature
// algorithms: weak signatures and keys anywhere in the path fail with
// EK_CERT_WEAK_ALGORITHM, and a policy's legacyEkRoots admits SHA-1 and
// RSA 1024-2047 under its roots only.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/reason.h"
#include "common/tpm_public.h"
#include "tests/harness/process.h"
#include "tests/verifier_ek/ek_fixture.h"
#include "verifier/ek/ek_algorithms.h"
#include "verifier/ek/ek_certificate.h"

namespace vtpm::verifier {
namespace {

namespace ekt = ::vtpm::verifier::testing;
using ekt::HasReason;
using ::vtpm::testing::RunCommand;
using ::vtpm::testing::RunOrError;
using ::vtpm_attest::v1::ReasonCode;

constexpr time_t kDay = 24 * 60 * 60;

// --- Weak algorithms
// ------------------------------------------------------------
//
// Hierarchies made in memory (tests/harness/pki.h) re-issue A1's real RSA
// EK certificate: root -> intermediate -> EK certificate. The trust store
// holds the root only (loaded from a directory, as the verifier does) and
// the intermediate comes from the agent, unless a test says otherwise.

using ::vtpm::testing::SignSpec;

// `der` with its RSA PKCS#1 v1.5 signature algorithm OID (both copies:
// tbsCertificate.signature and signatureAlgorithm) changed from
// sha256WithRSAEncryption to 1.2.840.113549.1.1.`last` (2 = MD2, 3 = MD4,
// 4 = MD5). The signature is left alone: OpenSSL cannot verify it.
std::string RelabelSignature(std::string der, char last) {
  const std::string sha256_rsa("\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b",
                               11);
  int n = 0;
  for (size_t pos = der.find(sha256_rsa); pos != std::string::npos;
       pos = der.find(sha256_rsa, pos + 1)) {
    der[pos + sha256_rsa.size() - 1] = last;
    ++n;
  }
  EXPECT_EQ(n, 2) << "expected the OID in tbsCertificate and outside";
  return der;
}

class EkWeakAlgorithmTest : public ::testing::Test {
 protected:
  void SetUp() override { VTPM_ASSERT_OK_AND_ASSIGN(a1_, ekt::TpmA1Rsa()); }

  // Verifies h's EK certificate for A1's EK against a store holding h's
  // root, with h's intermediate from the agent.
  absl::StatusOr<VerifiedEkCert> Verify(const ekt::Hierarchy& h,
                                        const EkCertOptions& options = {}) {
    auto store = ekt::LoadStore({{"libvirt", {h.root_pem_path}}});
    if (!store.ok()) return store.status();
    return VerifyEkCertificate(*store, options, h.ek_cert_der,
                               {h.intermediate.der}, a1_->pub);
  }

  absl::StatusOr<ekt::Hierarchy> Make(const ekt::HierarchySpec& spec) {
    return ekt::MakeHierarchy(spec, a1_->cert_der);
  }

  static EkCertOptions Legacy(const ekt::Hierarchy& h) {
    EkCertOptions options;
    options.legacy_roots = {h.root_sha256};
    return options;
  }

  // The result FAILs with EK_CERT_WEAK_ALGORITHM and its message contains
  // each of `parts`.
  static ::testing::AssertionResult IsWeak(
      const absl::StatusOr<VerifiedEkCert>& r,
      const std::vector<std::string>& parts) {
    ::testing::AssertionResult reason =
        HasReason(r, vtpm_attest::v1::EK_CERT_WEAK_ALGORITHM);
    if (!reason) return reason;
    for (const std::string& part : parts) {
      if (!absl::StrContains(r.status().message(), part)) {
        return ::testing::AssertionFailure()
               << "message lacks '" << part << "': " << r.status().message();
      }
    }
    return ::testing::AssertionSuccess();
  }

  const ekt::EkMaterial* a1_ = nullptr;
};

TEST_F(EkWeakAlgorithmTest, Rsa2048Sha256ChainPasses) {
  VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make({}));
  auto r = Verify(h);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->chain_length, 3);
  EXPECT_EQ(r->issuer, "CN=weak-test-intermediate");
  EXPECT_TRUE(r->weak_algorithms.empty());
}

TEST_F(EkWeakAlgorithmTest, StrongEcAndPssChainsPass) {
  ekt::HierarchySpec ec;
  ec.root_key = "ec:P-384";
  ec.intermediate_key = "ec:P-256";
  ec.intermediate_signature.digest = "sha384";
  ec.ek_signature.digest = "sha256";
  VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make(ec));
  auto r = Verify(h);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->weak_algorithms.empty());

  ekt::HierarchySpec pss;
  pss.intermediate_key = "rsa:3072";
  pss.intermediate_signature.pss = true;
  pss.ek_signature = {"sha384", true, "sha384"};
  VTPM_ASSERT_OK_AND_ASSIGN(h, Make(pss));
  r = Verify(h);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->weak_algorithms.empty());
}

TEST_F(EkWeakAlgorithmTest, Sha1SignedEkCertificateIsWeak) {
  ekt::HierarchySpec spec;
  spec.ek_signature.digest = "sha1";
  VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make(spec));
  EXPECT_TRUE(IsWeak(Verify(h), {"EK certificate \"CN=unknown\" is signed with "
                                 "sha1WithRSAEncryption (SHA-1)",
                                 "legacyEkRoots", h.root_sha256}));
}

TEST_F(EkWeakAlgorithmTest, Sha1SignedIntermediateIsWeak) {
  ekt::HierarchySpec spec;
  spec.intermediate_signature.digest = "sha1";
  VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make(spec));
  EXPECT_TRUE(
      IsWeak(Verify(h), {"intermediate CA \"CN=weak-test-intermediate\" is "
                         "signed with sha1WithRSAEncryption (SHA-1)"}));
}

TEST_F(EkWeakAlgorithmTest, Rsa1024IntermediateKeyIsWeak) {
  ekt::HierarchySpec spec;
  spec.intermediate_key = "rsa:1024";
  VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make(spec));
  EXPECT_TRUE(IsWeak(Verify(h), {"intermediate CA \"CN=weak-test-intermediate\""
                                 " has an RSA-1024 key"}));
}

TEST_F(EkWeakAlgorithmTest, Rsa1024RootIsWeak) {
  ekt::HierarchySpec spec;
  spec.root_key = "rsa:1024";
  VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make(spec));
  EXPECT_TRUE(
      IsWeak(Verify(h), {"root CA \"CN=weak-test-root\" has an RSA-1024 key"}));
}

TEST_F(EkWeakAlgorithmTest, Md5SignaturesAreWeak) {
  ekt::HierarchySpec ek;
  ek.ek_signature.digest = "md5";
  VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make(ek));
  EXPECT_TRUE(
      IsWeak(Verify(h), {"EK certificate \"CN=unknown\" is signed with "
                         "md5WithRSAEncryption (MD5), never accepted"}));
  ekt::HierarchySpec inter;
  inter.intermediate_signature.digest = "md5";
  VTPM_ASSERT_OK_AND_ASSIGN(h, Make(inter));
  EXPECT_TRUE(
      IsWeak(Verify(h), {"intermediate CA \"CN=weak-test-intermediate\" is "
                         "signed with md5WithRSAEncryption (MD5)"}));
}

TEST_F(EkWeakAlgorithmTest, EcdsaWithSha1IsWeak) {
  ekt::HierarchySpec spec;
  spec.intermediate_key = "ec:P-256";
  spec.ek_signature.digest = "sha1";
  VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make(spec));
  EXPECT_TRUE(IsWeak(Verify(h), {"EK certificate \"CN=unknown\" is signed with "
                                 "ecdsa-with-SHA1 (SHA-1)"}));
}

TEST_F(EkWeakAlgorithmTest, SmallEcKeysAreWeak) {
  for (const char* curve : {"P-224", "P-192"}) {
    SCOPED_TRACE(curve);
    if (!vtpm::testing::MakeTestKey(absl::StrCat("ec:", curve)).ok()) {
      ERR_clear_error();
      ADD_FAILURE() << "OpenSSL cannot make a " << curve << " key";
      continue;
    }
    ekt::HierarchySpec spec;
    spec.intermediate_key = absl::StrCat("ec:", curve);
    VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make(spec));
    EXPECT_TRUE(
        IsWeak(Verify(h), {absl::StrCat("intermediate CA \"CN=weak-test-"
                                        "intermediate\" has an EC key on ",
                                        curve, " (", curve + 2, " bits)")}));
    // Never admitted, not even under a legacy root.
    EXPECT_TRUE(IsWeak(Verify(h, Legacy(h)), {"never accepted"}));
  }
}

TEST_F(EkWeakAlgorithmTest, Md4AndMd2AreWeakNotBadSignature) {
  // OpenSSL cannot verify these signatures at all (no MD2, MD4 only in the
  // legacy provider); the reason is still the algorithm.
  for (auto [last, name] :
       {std::pair<char, std::string>{'\x03', "MD4"}, {'\x02', "MD2"}}) {
    SCOPED_TRACE(name);
    VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make({}));
    h.ek_cert_der = RelabelSignature(h.ek_cert_der, last);
    EXPECT_TRUE(
        IsWeak(Verify(h), {"EK certificate \"CN=unknown\" is signed "
                           "with ",
                           absl::StrCat("(", name, "), never accepted")}));
    EXPECT_TRUE(IsWeak(Verify(h, Legacy(h)), {name}));
  }
}

TEST_F(EkWeakAlgorithmTest, UnsupportedDigestsAreWeak) {
  // Sound, but not the SHA-256/384/512 that quotes are held to either.
  for (const char* digest : {"sha224", "sha3-256"}) {
    SCOPED_TRACE(digest);
    ekt::HierarchySpec spec;
    spec.ek_signature.digest = digest;
    VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make(spec));
    EXPECT_TRUE(IsWeak(Verify(h), {"EK certificate \"CN=unknown\" is signed",
                                   "not an accepted digest"}));
  }
}

TEST_F(EkWeakAlgorithmTest, PssWithSha1HashOrMgf1IsWeak) {
  ekt::HierarchySpec mgf1;
  mgf1.ek_signature = {"sha256", true, "sha1"};
  VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make(mgf1));
  EXPECT_TRUE(IsWeak(Verify(h), {"EK certificate \"CN=unknown\" is signed with "
                                 "RSASSA-PSS (SHA-256, MGF1 with SHA-1)"}));
  ekt::HierarchySpec hash;
  hash.intermediate_signature = {"sha1", true, "sha1"};
  VTPM_ASSERT_OK_AND_ASSIGN(h, Make(hash));
  EXPECT_TRUE(
      IsWeak(Verify(h), {"intermediate CA \"CN=weak-test-intermediate\" is "
                         "signed with RSASSA-PSS (SHA-1, MGF1 with SHA-1)"}));
}

TEST_F(EkWeakAlgorithmTest, AnchorSelfSignatureDoesNotMatter) {
  for (const char* digest : {"sha1", "md5"}) {
    SCOPED_TRACE(digest);
    ekt::HierarchySpec spec;
    spec.root_self_signature.digest = digest;
    VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make(spec));
    auto r = Verify(h);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->weak_algorithms.empty());
  }
}

TEST_F(EkWeakAlgorithmTest, TrustedIntermediateIsJudgedToo) {
  ekt::HierarchySpec spec;
  spec.intermediate_signature.digest = "sha1";
  VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make(spec));
  VTPM_ASSERT_OK_AND_ASSIGN(
      TrustStore store,
      ekt::LoadStore(
          {{"libvirt", {h.root_pem_path, h.intermediate_pem_path}}}));
  EXPECT_TRUE(IsWeak(
      VerifyEkCertificate(store, {}, h.ek_cert_der, {}, a1_->pub),
      {"intermediate CA \"CN=weak-test-intermediate\" is signed with sha1"}));
}

TEST_F(EkWeakAlgorithmTest, WeakIntermediateOffThePathIsNotJudged) {
  VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make({}));
  // The same intermediate (name and key) re-signed by the root with SHA-1.
  VTPM_ASSERT_OK_AND_ASSIGN(std::string weak_copy,
                            vtpm::testing::ReissueCertificateUnder(
                                h.intermediate.der, h.root, SignSpec{"sha1"}));
  // A trusted intermediate is found first: the agent's copy is not used.
  VTPM_ASSERT_OK_AND_ASSIGN(
      TrustStore with_inter,
      ekt::LoadStore(
          {{"libvirt", {h.root_pem_path, h.intermediate_pem_path}}}));
  auto r =
      VerifyEkCertificate(with_inter, {}, h.ek_cert_der, {weak_copy}, a1_->pub);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->weak_algorithms.empty());

  // Root only: of the two issuers the agent sends, the strong one is used,
  // whatever their order.
  VTPM_ASSERT_OK_AND_ASSIGN(TrustStore root_only,
                            ekt::LoadStore({{"libvirt", {h.root_pem_path}}}));
  r = VerifyEkCertificate(root_only, {}, h.ek_cert_der,
                          {weak_copy, h.intermediate.der}, a1_->pub);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->weak_algorithms.empty());
  // The weak copy alone is on the path.
  EXPECT_TRUE(IsWeak(
      VerifyEkCertificate(root_only, {}, h.ek_cert_der, {weak_copy}, a1_->pub),
      {"intermediate CA \"CN=weak-test-intermediate\" is signed with sha1"}));
}

TEST_F(EkWeakAlgorithmTest, WeakAlgorithmWinsOverOtherPathErrors) {
  time_t now = time(nullptr);
  ekt::HierarchySpec spec;
  spec.ek_signature.digest = "sha1";
  VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make(spec));
  // The same SHA-1 certificate, expired.
  VTPM_ASSERT_OK_AND_ASSIGN(X509Ptr cert, ParseDerCertificate(h.ek_cert_der));
  ekt::SetValidity(cert.get(), now - 10 * kDay, now - kDay);
  ASSERT_TRUE(vtpm::testing::SignCertificate(
                  cert.get(), h.intermediate.key.get(), SignSpec{"sha1"})
                  .ok());
  VTPM_ASSERT_OK_AND_ASSIGN(h.ek_cert_der, CertificateToDer(cert.get()));
  EXPECT_TRUE(IsWeak(Verify(h), {"SHA-1"}));
  // Under a legacy root SHA-1 is admitted, and the expiry decides.
  EXPECT_TRUE(
      HasReason(Verify(h, Legacy(h)), vtpm_attest::v1::EK_CERT_EXPIRED));
  // A tampered SHA-1 signature: refused for its algorithm first.
  VTPM_ASSERT_OK_AND_ASSIGN(h, Make(spec));
  h.ek_cert_der[h.ek_cert_der.size() - 1] ^= 0x01;
  EXPECT_TRUE(IsWeak(Verify(h), {"SHA-1"}));
  EXPECT_TRUE(
      HasReason(Verify(h, Legacy(h)), vtpm_attest::v1::EK_CERT_BAD_SIGNATURE));
}

TEST(EkAlgorithmsTest, ClassifiesCertificatesMadeByOpenssl) {
  // Self-signed certificates from openssl(1), judged by ek_algorithms.h
  // directly: key types and encodings the hierarchies above do not make.
  struct Case {
    std::string name;
    std::vector<std::string> newkey;  // -newkey ... arguments
    std::vector<std::string> sign;    // digest and -sigopt arguments
    AlgorithmStrength key;
    std::string key_what;
    AlgorithmStrength signature;
    std::string signature_what;
  };
  const std::vector<Case> cases = {
      {"ec-explicit",
       {"ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-pkeyopt",
        "ec_param_enc:explicit"},
       {"-sha256"},
       AlgorithmStrength::kRefused,
       "an EC key with explicit curve parameters (256 bits)",
       AlgorithmStrength::kStrong,
       "ecdsa-with-SHA256 (SHA-256)"},
      {"secp256k1",
       {"ec", "-pkeyopt", "ec_paramgen_curve:secp256k1"},
       {"-sha512"},
       AlgorithmStrength::kRefused,
       "an EC key on secp256k1 (256 bits)",
       AlgorithmStrength::kStrong,
       "ecdsa-with-SHA512 (SHA-512)"},
      {"p384",
       {"ec", "-pkeyopt", "ec_paramgen_curve:P-384"},
       {"-sha384"},
       AlgorithmStrength::kStrong,
       "an EC key on P-384 (384 bits)",
       AlgorithmStrength::kStrong,
       "ecdsa-with-SHA384 (SHA-384)"},
      {"ed25519",
       {"ed25519"},
       {},
       AlgorithmStrength::kRefused,
       "a key of type ED25519 (only RSA and EC keys are accepted)",
       AlgorithmStrength::kRefused,
       "ED25519 (only RSA and ECDSA signatures are accepted)"},
      {"pss-sha256",
       {"rsa:2048"},
       {"-sha256", "-sigopt", "rsa_padding_mode:pss"},
       AlgorithmStrength::kStrong,
       "an RSA-2048 key",
       AlgorithmStrength::kStrong,
       "RSASSA-PSS (SHA-256, MGF1 with SHA-256)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::string dir = ekt::NewScratchDir();
    std::vector<std::string> argv = {"openssl", "req", "-x509", "-newkey"};
    argv.insert(argv.end(), c.newkey.begin(), c.newkey.end());
    argv.insert(argv.end(), c.sign.begin(), c.sign.end());
    argv.insert(argv.end(),
                {"-nodes", "-keyout", dir + "/key.pem", "-subj", "/CN=classify",
                 "-days", "2", "-outform", "der", "-out", dir + "/cert.der"});
    ASSERT_TRUE(RunOrError(argv).ok());
    VTPM_ASSERT_OK_AND_ASSIGN(std::string der,
                              vtpm::testing::ReadFile(dir + "/cert.der"));
    VTPM_ASSERT_OK_AND_ASSIGN(X509Ptr cert, ParseDerCertificate(der));
    AlgorithmUse key = ClassifyKey(X509_get0_pubkey(cert.get()));
    EXPECT_EQ(key.strength, c.key) << key.what;
    EXPECT_EQ(key.what, c.key_what);
    AlgorithmUse sig = ClassifySignature(cert.get());
    EXPECT_EQ(sig.strength, c.signature) << sig.what;
    EXPECT_EQ(sig.what, c.signature_what);
  }
}

// --- Intermediates must be CAs by basicConstraints

TEST_F(EkWeakAlgorithmTest, IntermediateWithoutBasicConstraintsIsRefused) {
  // RFC 5280 4.2.1.9: without basicConstraints cA TRUE a key must not verify
  // certificate signatures. X509_check_ca takes keyUsage keyCertSign alone
  // for a CA (4); OpenSSL 3 path validation does not for an intermediate.
  // Guards that (no X509_V_FLAG_* may loosen it).
  VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make({}));
  VTPM_ASSERT_OK_AND_ASSIGN(X509Ptr inter,
                            ParseDerCertificate(h.intermediate.der));
  ekt::RemoveExtension(inter.get(), NID_basic_constraints);
  ASSERT_TRUE(
      vtpm::testing::SignCertificate(inter.get(), h.root.key.get(), {}).ok());
  VTPM_ASSERT_OK_AND_ASSIGN(h.intermediate.der, CertificateToDer(inter.get()));
  h.intermediate.cert = std::move(inter);
  ASSERT_EQ(X509_check_ca(h.intermediate.cert.get()), 4);
  VTPM_ASSERT_OK_AND_ASSIGN(
      h.ek_cert_der,
      vtpm::testing::ReissueCertificateUnder(a1_->cert_der, h.intermediate));
  auto r = Verify(h);
  EXPECT_TRUE(HasReason(r, vtpm_attest::v1::EK_CERT_UNKNOWN_ISSUER));
  EXPECT_TRUE(absl::StrContains(r.status().message(),
                                "invalid CA certificate at depth 1 "
                                "(\"CN=weak-test-intermediate\")"))
      << r.status();
}

// --- Legacy roots (EkCertOptions::legacy_roots)

TEST_F(EkWeakAlgorithmTest, LegacyRootAdmitsSha1AndRsa1024) {
  ekt::HierarchySpec spec;
  spec.root_key = "rsa:1024";
  spec.intermediate_key = "rsa:1536";
  spec.intermediate_signature.digest = "sha1";
  spec.ek_signature.digest = "sha1";
  VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make(spec));
  // Without the opt-in every one of them is refused, and named.
  EXPECT_TRUE(
      IsWeak(Verify(h), {"sha1WithRSAEncryption (SHA-1)", "has an RSA-1536 key",
                         "has an RSA-1024 key", h.root_sha256}));

  auto r = Verify(h, Legacy(h));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->chain_length, 3);
  EXPECT_EQ(r->weak_algorithms,
            (std::vector<std::string>{
                "EK certificate \"CN=unknown\" is signed with "
                "sha1WithRSAEncryption (SHA-1)",
                "intermediate CA \"CN=weak-test-intermediate\" is signed with "
                "sha1WithRSAEncryption (SHA-1)",
                "intermediate CA \"CN=weak-test-intermediate\" has an RSA-1536 "
                "key",
                "root CA \"CN=weak-test-root\" has an RSA-1024 key",
            }));
  // The fingerprint compares ignoring case.
  EkCertOptions upper;
  upper.legacy_roots = {absl::AsciiStrToUpper(h.root_sha256)};
  EXPECT_TRUE(Verify(h, upper).ok());
}

TEST_F(EkWeakAlgorithmTest, LegacyRootNeverAdmitsMd5OrTinyKeys) {
  ekt::HierarchySpec md5;
  md5.ek_signature.digest = "md5";
  VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make(md5));
  EXPECT_TRUE(IsWeak(Verify(h, Legacy(h)), {"md5WithRSAEncryption (MD5), "
                                            "never accepted"}));
  ekt::HierarchySpec rsa512;
  rsa512.intermediate_key = "rsa:512";
  VTPM_ASSERT_OK_AND_ASSIGN(h, Make(rsa512));
  EXPECT_TRUE(
      IsWeak(Verify(h, Legacy(h)), {"has an RSA-512 key, never accepted"}));
  // A legacy SHA-1 next to MD5: the MD5 still refuses the path.
  ekt::HierarchySpec mixed;
  mixed.intermediate_signature.digest = "sha1";
  mixed.ek_signature.digest = "md5";
  VTPM_ASSERT_OK_AND_ASSIGN(h, Make(mixed));
  EXPECT_TRUE(IsWeak(Verify(h, Legacy(h)), {"MD5"}));
}

TEST_F(EkWeakAlgorithmTest, LegacyRootOnlyCoversItsOwnPaths) {
  ekt::HierarchySpec spec;
  spec.ek_signature.digest = "sha1";
  VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make(spec));
  VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy other, Make({}));
  EkCertOptions options;
  options.legacy_roots = {other.root_sha256, "not-a-fingerprint", ""};
  EXPECT_TRUE(IsWeak(Verify(h, options), {h.root_sha256}));
}

TEST_F(EkWeakAlgorithmTest, StrongPathWinsOverLegacyPathOnAnotherPlatform) {
  // One intermediate key certified twice: by a legacy RSA-1024 root
  // (platform "aaa", tried first) and by a strong root ("bbb").
  ekt::HierarchySpec legacy;
  legacy.root_name = "legacy-root";
  legacy.root_key = "rsa:1024";
  VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make(legacy));
  VTPM_ASSERT_OK_AND_ASSIGN(EvpPkeyPtr strong_key,
                            vtpm::testing::MakeTestKey("rsa:2048"));
  VTPM_ASSERT_OK_AND_ASSIGN(vtpm::testing::TestCertificate strong_root,
                            vtpm::testing::MakeTestCaCertificate(
                                "strong-root", std::move(strong_key), nullptr));
  VTPM_ASSERT_OK_AND_ASSIGN(
      std::string cross,
      vtpm::testing::ReissueCertificateUnder(h.intermediate.der, strong_root));
  VTPM_ASSERT_OK_AND_ASSIGN(std::string strong_root_pem,
                            ekt::WritePem(strong_root.der, "strong-root.pem"));
  VTPM_ASSERT_OK_AND_ASSIGN(std::string cross_pem,
                            ekt::WritePem(cross, "cross.pem"));
  VTPM_ASSERT_OK_AND_ASSIGN(
      TrustStore store,
      ekt::LoadStore({{"aaa", {h.root_pem_path, h.intermediate_pem_path}},
                      {"bbb", {strong_root_pem, cross_pem}}}));
  auto r = VerifyEkCertificate(store, Legacy(h), h.ek_cert_der, {}, a1_->pub);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->platform, "bbb");
  EXPECT_TRUE(r->weak_algorithms.empty());
  // Only the legacy platform: accepted there, with the finding.
  EkCertOptions aaa = Legacy(h);
  aaa.platforms = {"aaa"};
  r = VerifyEkCertificate(store, aaa, h.ek_cert_der, {}, a1_->pub);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->platform, "aaa");
  EXPECT_EQ(r->weak_algorithms,
            std::vector<std::string>{
                "root CA \"CN=legacy-root\" has an RSA-1024 key"});
}

TEST_F(EkWeakAlgorithmTest, AgreesWithOpensslVerifyAtAuthLevel2) {
  struct Case {
    std::string name;
    ekt::HierarchySpec spec;
    bool expect_ok;
  };
  std::vector<Case> cases(4);
  cases[0].name = "strong";
  cases[0].expect_ok = true;
  cases[1].name = "sha1-ek";
  cases[1].spec.ek_signature.digest = "sha1";
  cases[2].name = "rsa1024-intermediate";
  cases[2].spec.intermediate_key = "rsa:1024";
  cases[3].name = "md5-intermediate";
  cases[3].spec.intermediate_signature.digest = "md5";
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    VTPM_ASSERT_OK_AND_ASSIGN(ekt::Hierarchy h, Make(c.spec));
    auto ours = Verify(h);
    EXPECT_EQ(ours.ok(), c.expect_ok) << ours.status();
    VTPM_ASSERT_OK_AND_ASSIGN(std::string ek_pem,
                              ekt::WritePem(h.ek_cert_der, "ek.pem"));
    VTPM_ASSERT_OK_AND_ASSIGN(
        vtpm::testing::CommandResult openssl,
        RunCommand({"openssl", "verify", "-auth_level", "2", "-CAfile",
                    h.root_pem_path, "-untrusted", h.intermediate_pem_path,
                    ek_pem}));
    EXPECT_EQ(openssl.exit_code == 0, ours.ok())
        << "openssl verify: " << openssl.output << "\nours: " << ours.status();
  }
}

}  // namespace
}  // namespace vtpm::verifier
