// TrustStore::LoadDirectory over directories written by the test, with the
// CA certificates of a real swtpm-localca.
#include "verifier/ek/trust_store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/harness/process.h"
#include "tests/verifier_ek/ek_fixture.h"
#include "verifier/ek/ek_certificate.h"

namespace vtpm::verifier {
namespace {

namespace ekt = ::vtpm::verifier::testing;
using ::vtpm::testing::ReadFile;
using ::vtpm::testing::WriteFile;

class TrustStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VTPM_ASSERT_OK_AND_ASSIGN(ca_, ekt::CaA());
    VTPM_ASSERT_OK_AND_ASSIGN(root_pem_, ReadFile(ca_->root_pem_path));
    VTPM_ASSERT_OK_AND_ASSIGN(inter_pem_, ReadFile(ca_->intermediate_pem_path));
    dir_ = ekt::NewScratchDir();
  }

  // Writes `data` to dir_/`rel`, creating the platform directory.
  void Put(const std::string& rel, const std::string& data) {
    std::filesystem::path p = dir_ + "/" + rel;
    std::filesystem::create_directories(p.parent_path());
    ASSERT_TRUE(WriteFile(p.string(), data).ok());
  }

  const ekt::CaMaterial* ca_ = nullptr;
  std::string root_pem_, inter_pem_, dir_;
};

TEST_F(TrustStoreTest, LoadsPemBundlesDerAndPemCerFiles) {
  Put("libvirt/swtpm-localca.pem", root_pem_ + inter_pem_);
  Put("gcp/root.der", ca_->root_der);
  Put("gcp/intermediate.cer", inter_pem_);  // PEM despite the extension
  auto store = TrustStore::LoadDirectory(dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(store->platforms(), (std::vector<std::string>{"gcp", "libvirt"}));
  for (const std::string& name : store->platforms()) {
    const TrustStore::Platform* p = store->platform(name);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->anchors.size(), 1u) << name;
    EXPECT_EQ(p->intermediates.size(), 1u) << name;
  }
  EXPECT_EQ(store->platform("vsphere"), nullptr);
}

TEST_F(TrustStoreTest, SkipsHiddenEntriesAndOtherFiles) {
  Put("libvirt/root.pem", root_pem_);
  Put("libvirt/README", "not a certificate");
  Put("libvirt/.old.pem", "garbage");
  Put("..2024_01_01/libvirt/root.pem", "garbage");  // ConfigMap internals
  Put("top-level.pem", "garbage");
  auto store = TrustStore::LoadDirectory(dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(store->platforms(), std::vector<std::string>{"libvirt"});
}

TEST_F(TrustStoreTest, UnparseableFileIsNamed) {
  Put("libvirt/root.pem", root_pem_);
  Put("libvirt/broken.crt",
      "-----BEGIN CERTIFICATE-----\nAAAA\n"
      "-----END CERTIFICATE-----\n");
  auto store = TrustStore::LoadDirectory(dir_);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(absl::StrContains(store.status().message(), "broken.crt"))
      << store.status();

  Put("libvirt/broken.crt", "\x30\x03\x02\x01");  // truncated DER
  store = TrustStore::LoadDirectory(dir_);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(absl::StrContains(store.status().message(), "broken.crt"))
      << store.status();
}

TEST_F(TrustStoreTest, CorruptSecondPemBlockIsAnError) {
  std::string corrupt = inter_pem_;
  corrupt[corrupt.size() / 2] = '!';
  Put("libvirt/bundle.pem", root_pem_ + corrupt);
  auto store = TrustStore::LoadDirectory(dir_);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(absl::StrContains(store.status().message(), "bundle.pem"))
      << store.status();
}

TEST_F(TrustStoreTest, EndEntityCertificateIsRefused) {
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::EkMaterial* ek, ekt::TpmA1Rsa());
  Put("libvirt/root.pem", root_pem_);
  Put("libvirt/ek.der", ek->cert_der);
  auto store = TrustStore::LoadDirectory(dir_);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(absl::StrContains(store.status().message(), "ek.der"));
  EXPECT_TRUE(absl::StrContains(store.status().message(), "not a CA"))
      << store.status();
}

TEST_F(TrustStoreTest, SelfSignedWithBadSignatureIsRefused) {
  std::string der = ca_->root_der;
  der[der.size() - 1] ^= 0x01;
  Put("libvirt/root.der", der);
  auto store = TrustStore::LoadDirectory(dir_);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(absl::StrContains(store.status().message(), "root.der"))
      << store.status();
}

TEST_F(TrustStoreTest, PlatformWithoutAnchorIsRefused) {
  Put("libvirt/root.pem", root_pem_);
  Put("vsphere/intermediate.pem", inter_pem_);
  auto store = TrustStore::LoadDirectory(dir_);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(absl::StrContains(store.status().message(), "vsphere"))
      << store.status();
}

TEST_F(TrustStoreTest, MissingOrEmptyDirectoryIsAnError) {
  EXPECT_EQ(TrustStore::LoadDirectory(dir_ + "/nope").status().code(),
            absl::StatusCode::kNotFound);
  auto empty = TrustStore::LoadDirectory(dir_);
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(absl::StrContains(empty.status().message(), dir_));
  Put("libvirt/README", "no certificates");
  EXPECT_FALSE(TrustStore::LoadDirectory(dir_).ok());
}

TEST_F(TrustStoreTest, FromCertificatesVerifiesLikeADirectory) {
  VTPM_ASSERT_OK_AND_ASSIGN(const ekt::EkMaterial* ek, ekt::TpmA1Rsa());
  std::map<std::string, std::vector<X509Ptr>> certs;
  VTPM_ASSERT_OK_AND_ASSIGN(X509Ptr root, ParseDerCertificate(ca_->root_der));
  VTPM_ASSERT_OK_AND_ASSIGN(X509Ptr inter,
                            ParseDerCertificate(ca_->intermediate_der));
  certs["libvirt"].push_back(std::move(root));
  certs["libvirt"].push_back(std::move(inter));
  TrustStore store = TrustStore::FromCertificates(std::move(certs));
  EXPECT_EQ(store.platforms(), std::vector<std::string>{"libvirt"});
  auto r = VerifyEkCertificate(store, {}, ek->cert_der, {}, ek->pub);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->platform, "libvirt");
  // Copies share the certificates and keep working after the original goes.
  TrustStore copy = store;
  store = TrustStore();
  EXPECT_TRUE(VerifyEkCertificate(copy, {}, ek->cert_der, {}, ek->pub).ok());
}

}  // namespace
}  // namespace vtpm::verifier
