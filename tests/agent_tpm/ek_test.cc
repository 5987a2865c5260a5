// LoadEk against real swtpm instances: certificates at the TCG indices,
// persistent EKs, EKs recreated from the default templates (compared with
// the certificate and with tpm2_createek), the chain range, and the
// rejection of a certificate for another key.
#include "agent/tpm/ek.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/tpm/ek_template.h"
#include "common/ossl.h"
#include "common/tpm_public.h"
#include "tests/agent_tpm/agent_tpm_fixture.h"

namespace vtpm::agent {
namespace {

using ::testing::HasSubstr;
using ::vtpm::testing::ReadFile;
using ::vtpm::testing::RunOrError;
using ::vtpm::testing::WriteFile;

std::string Hex32(uint32_t v) { return absl::StrFormat("0x%08x", v); }

class EkTest : public AgentTpmTest {
 protected:
  // tpm2_readpublic of a persistent handle, TPM2B_PUBLIC wire bytes.
  void ReadPersistent(uint32_t handle, std::string* pub) {
    std::string path = dir_.Sub(Hex32(handle) + ".pub");
    ASSERT_OK(Tool({"tpm2_readpublic", "-c", Hex32(handle), "-o", path}));
    ASSERT_OK_AND_ASSIGN(*pub, ReadFile(path));
  }
  // tpm2_nvread of a whole NV index with its own authorization.
  void NvRead(uint32_t index, std::string* data) {
    std::string path = dir_.Sub(Hex32(index) + ".bin");
    ASSERT_OK(
        Tool({"tpm2_nvread", Hex32(index), "-C", Hex32(index), "-o", path}));
    ASSERT_OK_AND_ASSIGN(*data, ReadFile(path));
  }
  // tpm2_createek -G alg: the EK tpm2-tools makes from its default template.
  void CreateEkWithTools(const std::string& alg, std::string* pub) {
    std::string path = dir_.Sub("createek-" + alg + ".pub");
    ASSERT_OK(Tool({"tpm2_createek", "-G", alg, "-c",
                    dir_.Sub("createek-" + alg + ".ctx"), "-u", path}));
    ASSERT_OK(Tool({"tpm2_flushcontext", "-t"}));
    ASSERT_OK_AND_ASSIGN(*pub, ReadFile(path));
  }
  // Defines an owner NV index of `size` bytes readable with its own empty
  // authorization, and writes `data` at its start.
  void NvDefineAndWrite(uint32_t index, size_t size, const std::string& data) {
    std::string path = dir_.Sub(Hex32(index) + ".in");
    ASSERT_OK(WriteFile(path, data));
    ASSERT_OK(Tool({"tpm2_nvdefine", Hex32(index), "-C", "o", "-s",
                    std::to_string(size), "-a",
                    "ownerread|ownerwrite|authread|authwrite"}));
    ASSERT_OK(Tool({"tpm2_nvwrite", Hex32(index), "-C", "o", "-i", path}));
  }
  // A PEM certificate file's first certificate as DER.
  void PemToDer(const std::string& pem_path, std::string* der) {
    std::string out = pem_path + ".der";
    ASSERT_OK(RunOrError(
        {"openssl", "x509", "-in", pem_path, "-outform", "DER", "-out", out}));
    ASSERT_OK_AND_ASSIGN(*der, ReadFile(out));
  }
  // A DER certificate for the public key `pub` (TPM2B_PUBLIC wire), signed
  // by the test CA's intermediate.
  void CertifyWithCa(const std::string& pub, std::string* der) {
    ASSERT_OK_AND_ASSIGN(TPM2B_PUBLIC parsed, ParsePublic(pub));
    ASSERT_OK_AND_ASSIGN(EvpPkeyPtr key, PublicToEvp(parsed.publicArea));
    ASSERT_OK_AND_ASSIGN(std::string pem, PublicKeyToPem(key.get()));
    ASSERT_OK(WriteFile(dir_.Sub("subject.pem"), pem));
    ASSERT_OK(RunOrError({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                          dir_.Sub("csr.key"), "-subj", "/CN=test-ek", "-out",
                          dir_.Sub("csr.pem")}));
    std::string out = dir_.Sub("ek-cert.der");
    ASSERT_OK(RunOrError({"openssl", "x509", "-req", "-in", dir_.Sub("csr.pem"),
                          "-CA", ca_->intermediate_cert(), "-CAkey",
                          ca_->intermediate_key(), "-set_serial", "7", "-days",
                          "1", "-force_pubkey", dir_.Sub("subject.pem"),
                          "-outform", "DER", "-out", out}));
    ASSERT_OK_AND_ASSIGN(*der, ReadFile(out));
  }

  // Checks an EK that was found with its certificate.
  void ExpectCertifiedEk(const Ek& ek, uint32_t nv, const std::string& cert,
                         uint32_t persistent, const std::string& pub) {
    EXPECT_EQ(ek.cert_nv_index, nv);
    EXPECT_EQ(ek.cert_der, cert);
    EXPECT_EQ(ek.persistent_handle, persistent);
    ASSERT_OK_AND_ASSIGN(std::string ours, MarshalPublic(ek.pub));
    EXPECT_EQ(ours, pub);
    ASSERT_OK_AND_ASSIGN(X509Ptr x509, ParseDerCertificate(ek.cert_der));
    ASSERT_OK_AND_ASSIGN(
        bool match,
        PublicMatchesEvp(ek.pub.publicArea, X509_get0_pubkey(x509.get())));
    EXPECT_TRUE(match);
    ASSERT_OK_AND_ASSIGN(std::string name, ComputeName(ek.pub.publicArea));
    EXPECT_EQ(ek.name, name);
    EXPECT_TRUE(ek.handle.valid());
    EXPECT_EQ(ek.handle.kind(), persistent != 0 ? ScopedHandle::Kind::kClose
                                                : ScopedHandle::Kind::kFlush);
  }
};

TEST_F(EkTest, Rsa2048FromLowRangeCertAndPersistentHandle) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  std::string pub, cert;
  ASSERT_NO_FATAL_FAILURE(ReadPersistent(0x81010001, &pub));
  ASSERT_NO_FATAL_FAILURE(NvRead(0x01c00002, &cert));
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, EkAlgorithm::kRsa2048));
  ASSERT_NO_FATAL_FAILURE(
      ExpectCertifiedEk(ek, 0x01c00002, cert, 0x81010001, pub));
  EXPECT_EQ(ek.algorithm, EkAlgorithm::kRsa2048);
  EXPECT_TRUE(ek.chain_der.empty());
  EXPECT_TRUE(ek.notes.empty());
}

TEST_F(EkTest, EccP384FromHighRangeCertAndPersistentHandle) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  std::string pub, cert;
  ASSERT_NO_FATAL_FAILURE(ReadPersistent(0x81010016, &pub));
  ASSERT_NO_FATAL_FAILURE(NvRead(0x01c00016, &cert));
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, EkAlgorithm::kEccP384));
  ASSERT_NO_FATAL_FAILURE(
      ExpectCertifiedEk(ek, 0x01c00016, cert, 0x81010016, pub));
  EXPECT_EQ(ek.algorithm, EkAlgorithm::kEccP384);
  EXPECT_EQ(ek.pub.publicArea.nameAlg, TPM2_ALG_SHA384);
}

TEST_F(EkTest, AutoPrefersRsa) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, EkAlgorithm::kAuto));
  EXPECT_EQ(ek.algorithm, EkAlgorithm::kRsa2048);
  EXPECT_EQ(ek.cert_nv_index, 0x01c00002u);
  EXPECT_EQ(ek.persistent_handle, 0x81010001u);
}

TEST_F(EkTest, AutoTakesEccP384WhenThereIsNoRsaCert) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  ASSERT_OK(Tool({"tpm2_nvundefine", "0x01c00002", "-C", "p"}));
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, EkAlgorithm::kAuto));
  EXPECT_EQ(ek.algorithm, EkAlgorithm::kEccP384);
  EXPECT_EQ(ek.cert_nv_index, 0x01c00016u);
}

// The EKs swtpm_setup made are evicted: LoadEk must recreate them from the
// L-1 and H-3 templates, and the result must be the certified key.
TEST_F(EkTest, TemplatesRecreateTheCertifiedKeys) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  std::string rsa_pub, ecc_pub, rsa_cert, ecc_cert;
  ASSERT_NO_FATAL_FAILURE(ReadPersistent(0x81010001, &rsa_pub));
  ASSERT_NO_FATAL_FAILURE(ReadPersistent(0x81010016, &ecc_pub));
  ASSERT_NO_FATAL_FAILURE(NvRead(0x01c00002, &rsa_cert));
  ASSERT_NO_FATAL_FAILURE(NvRead(0x01c00016, &ecc_cert));
  ASSERT_OK(Tool({"tpm2_evictcontrol", "-C", "o", "-c", "0x81010001"}));
  ASSERT_OK(Tool({"tpm2_evictcontrol", "-C", "o", "-c", "0x81010016"}));
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  {
    ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, EkAlgorithm::kRsa2048));
    ASSERT_NO_FATAL_FAILURE(
        ExpectCertifiedEk(ek, 0x01c00002, rsa_cert, 0, rsa_pub));
  }
  {
    ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, EkAlgorithm::kEccP384));
    ASSERT_NO_FATAL_FAILURE(
        ExpectCertifiedEk(ek, 0x01c00016, ecc_cert, 0, ecc_pub));
  }
}

TEST_F(EkTest, PersistentKeyThatIsNotTheCertifiedEkIsPassedOver) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  std::string rsa_pub, rsa_cert;
  ASSERT_NO_FATAL_FAILURE(ReadPersistent(0x81010001, &rsa_pub));
  ASSERT_NO_FATAL_FAILURE(NvRead(0x01c00002, &rsa_cert));
  ASSERT_OK(Tool({"tpm2_evictcontrol", "-C", "o", "-c", "0x81010001"}));
  // Another RSA key in the EK's persistent slot.
  ASSERT_OK(Tool({"tpm2_createprimary", "-C", "o", "-G", "rsa2048", "-c",
                  dir_.Sub("other.ctx")}));
  ASSERT_OK(Tool({"tpm2_evictcontrol", "-C", "o", "-c", dir_.Sub("other.ctx"),
                  "0x81010001"}));
  ASSERT_OK(Tool({"tpm2_flushcontext", "-t"}));
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, EkAlgorithm::kRsa2048));
  ASSERT_NO_FATAL_FAILURE(
      ExpectCertifiedEk(ek, 0x01c00002, rsa_cert, 0, rsa_pub));
  ASSERT_EQ(ek.notes.size(), 1u);
  EXPECT_THAT(ek.notes[0], HasSubstr("0x81010001"));
}

TEST_F(EkTest, EccP256WithoutCertIsTheL2TemplateKey) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  std::string tools_pub;
  ASSERT_NO_FATAL_FAILURE(CreateEkWithTools("ecc", &tools_pub));
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, EkAlgorithm::kEccP256));
  EXPECT_EQ(ek.algorithm, EkAlgorithm::kEccP256);
  EXPECT_TRUE(ek.cert_der.empty());
  EXPECT_EQ(ek.cert_nv_index, 0u);
  EXPECT_EQ(ek.persistent_handle, 0u);
  EXPECT_TRUE(MatchesEkTemplate(ek.pub.publicArea, EkTemplateId::kL2EccP256));
  ASSERT_OK_AND_ASSIGN(std::string ours, MarshalPublic(ek.pub));
  EXPECT_EQ(ours, tools_pub);
}

TEST_F(EkTest, TpmWithoutEkCertsGivesTheTemplateKeys) {
  testing::SwtpmOptions opts;
  opts.no_ek_cert = true;
  ASSERT_NO_FATAL_FAILURE(StartTpm(opts));
  std::string tools_rsa, tools_ecc384;
  ASSERT_NO_FATAL_FAILURE(CreateEkWithTools("rsa", &tools_rsa));
  ASSERT_NO_FATAL_FAILURE(CreateEkWithTools("ecc384", &tools_ecc384));
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  {
    ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, EkAlgorithm::kAuto));
    EXPECT_EQ(ek.algorithm, EkAlgorithm::kRsa2048);
    EXPECT_TRUE(ek.cert_der.empty());
    EXPECT_EQ(ek.persistent_handle, 0u);
    EXPECT_EQ(ek.handle.kind(), ScopedHandle::Kind::kFlush);
    ASSERT_OK_AND_ASSIGN(std::string ours, MarshalPublic(ek.pub));
    EXPECT_EQ(ours, tools_rsa);
  }
  {
    ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, EkAlgorithm::kEccP384));
    EXPECT_TRUE(ek.cert_der.empty());
    ASSERT_OK_AND_ASSIGN(std::string ours, MarshalPublic(ek.pub));
    EXPECT_EQ(ours, tools_ecc384);
  }
}

TEST_F(EkTest, PaddedCertificateIsTrimmedToItsDerLength) {
  testing::SwtpmOptions opts;
  opts.no_ek_cert = true;
  ASSERT_NO_FATAL_FAILURE(StartTpm(opts));
  std::string tools_rsa, cert;
  ASSERT_NO_FATAL_FAILURE(CreateEkWithTools("rsa", &tools_rsa));
  ASSERT_NO_FATAL_FAILURE(CertifyWithCa(tools_rsa, &cert));
  // An index larger than the certificate: the rest reads as 0xff.
  ASSERT_NO_FATAL_FAILURE(
      NvDefineAndWrite(0x01c00002, cert.size() + 100, cert));
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, EkAlgorithm::kRsa2048));
  ASSERT_NO_FATAL_FAILURE(
      ExpectCertifiedEk(ek, 0x01c00002, cert, 0, tools_rsa));
}

TEST_F(EkTest, CertificateOfAnotherKeyIsRejected) {
  testing::SwtpmOptions opts;
  opts.no_ek_cert = true;
  ASSERT_NO_FATAL_FAILURE(StartTpm(opts));
  std::string foreign;
  ASSERT_NO_FATAL_FAILURE(PemToDer(ca_->intermediate_cert(), &foreign));
  ASSERT_NO_FATAL_FAILURE(
      NvDefineAndWrite(0x01c00002, foreign.size(), foreign));
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  auto ek = LoadEk(ctx, EkAlgorithm::kRsa2048);
  ASSERT_FALSE(ek.ok());
  EXPECT_EQ(ek.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(ek.status().message(), HasSubstr("does not certify"));
  EXPECT_THAT(ek.status().message(), HasSubstr("0x01c00002"));
  EXPECT_THAT(ek.status().message(), HasSubstr("L-1 RSA-2048"));
}

TEST_F(EkTest, CertIndexWithoutCertificateIsRejected) {
  testing::SwtpmOptions opts;
  opts.no_ek_cert = true;
  ASSERT_NO_FATAL_FAILURE(StartTpm(opts));
  ASSERT_NO_FATAL_FAILURE(
      NvDefineAndWrite(0x01c00016, 64, std::string(64, 'x')));
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  auto ek = LoadEk(ctx, EkAlgorithm::kEccP384);
  ASSERT_FALSE(ek.ok());
  EXPECT_EQ(ek.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ek.status().message(), HasSubstr("0x01c00016"));
}

TEST_F(EkTest, ChainRangeCertificatesAreSplit) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  std::string root, intermediate, extra;
  ASSERT_NO_FATAL_FAILURE(PemToDer(ca_->root_cert(), &root));
  ASSERT_NO_FATAL_FAILURE(PemToDer(ca_->intermediate_cert(), &intermediate));
  ASSERT_OK(RunOrError({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                        dir_.Sub("extra.key"), "-subj", "/CN=extra", "-days",
                        "1", "-out", dir_.Sub("extra.pem")}));
  ASSERT_NO_FATAL_FAILURE(PemToDer(dir_.Sub("extra.pem"), &extra));
  // One certificate, padded; garbage; two certificates back to back.
  // (swtpm's NV indices hold at most 2048 bytes.)
  ASSERT_NO_FATAL_FAILURE(NvDefineAndWrite(0x01c00100, root.size() + 16, root));
  ASSERT_NO_FATAL_FAILURE(
      NvDefineAndWrite(0x01c00101, 32, std::string(32, 'x')));
  ASSERT_LE(intermediate.size() + extra.size(), 2048u);
  ASSERT_NO_FATAL_FAILURE(NvDefineAndWrite(
      0x01c00102, intermediate.size() + extra.size(), intermediate + extra));
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, EkAlgorithm::kRsa2048));
  ASSERT_EQ(ek.chain_der.size(), 3u);
  EXPECT_EQ(ek.chain_der[0], root);
  EXPECT_EQ(ek.chain_der[1], intermediate);
  EXPECT_EQ(ek.chain_der[2], extra);
  ASSERT_EQ(ek.notes.size(), 1u);
  EXPECT_THAT(ek.notes[0], HasSubstr("0x01c00101"));
}

}  // namespace
}  // namespace vtpm::agent
