#include "tests/verifier_ek/ek_fixture.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/reason.h"
#include "common/tpm_public.h"
#include "tests/harness/process.h"
#include "tests/harness/swtpm.h"

namespace vtpm::verifier::testing {
namespace {

using ::vtpm::testing::ReadFile;
using ::vtpm::testing::RunOrError;
using ::vtpm::testing::Swtpm;
using ::vtpm::testing::SwtpmOptions;
using ::vtpm::testing::TempDir;
using ::vtpm::testing::TestCa;
using ::vtpm::testing::WriteFile;

struct Ca {
  std::unique_ptr<TestCa> ca;
  CaMaterial material;
};

struct Tpm {
  EkMaterial rsa;
  EkMaterial ecc;
  TPMT_PUBLIC ak = {};
};

struct World {
  TempDir dir;
  int counter = 0;
  std::optional<absl::StatusOr<Ca>> ca_a, ca_b;
  std::optional<absl::StatusOr<Tpm>> a1, a2, b;
};

World& GetWorld() {
  static World world;
  return world;
}

absl::StatusOr<std::string> FirstPemAsDer(const std::string& path) {
  ASSIGN_OR_RETURN(std::string pem, ReadFile(path));
  ASSIGN_OR_RETURN(std::vector<X509Ptr> certs, ParsePemCertificates(pem));
  return CertificateToDer(certs.front().get());
}

absl::StatusOr<Ca> MakeCa(const std::string& name) {
  std::string dir = GetWorld().dir.Sub(name);
  std::filesystem::create_directories(dir);
  Ca out;
  ASSIGN_OR_RETURN(out.ca, TestCa::Create(dir));
  CaMaterial& m = out.material;
  m.root_pem_path = out.ca->root_cert();
  m.intermediate_pem_path = out.ca->intermediate_cert();
  ASSIGN_OR_RETURN(m.root_der, FirstPemAsDer(m.root_pem_path));
  ASSIGN_OR_RETURN(m.intermediate_der, FirstPemAsDer(m.intermediate_pem_path));
  ASSIGN_OR_RETURN(std::string key_pem, ReadFile(out.ca->intermediate_key()));
  BioPtr bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  m.intermediate_key.reset(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!m.intermediate_key) return OsslError("reading the CA's signkey.pem");
  return out;
}

absl::StatusOr<const Ca*> GetCa(std::optional<absl::StatusOr<Ca>>& slot,
                                const std::string& name) {
  if (!slot.has_value()) slot = MakeCa(name);
  if (!slot->ok()) return slot->status();
  return &**slot;
}

absl::StatusOr<EkMaterial> ReadEk(const Swtpm& tpm, const std::string& dir,
                                  const std::string& handle,
                                  const std::string& nv_index) {
  EkMaterial m;
  std::string prefix = absl::StrCat(dir, "/ek-", nv_index);
  m.cert_der_path = prefix + ".der";
  m.cert_pem_path = prefix + ".pem";
  RETURN_IF_ERROR(RunOrError(
      {"tpm2_nvread", nv_index, "-C", nv_index, "-o", m.cert_der_path},
      {tpm.tools_env()}));
  RETURN_IF_ERROR(
      RunOrError({"tpm2_readpublic", "-c", handle, "-o", prefix + ".pub"},
                 {tpm.tools_env()}));
  ASSIGN_OR_RETURN(m.cert_der, ReadFile(m.cert_der_path));
  RETURN_IF_ERROR(RunOrError({"openssl", "x509", "-inform", "der", "-in",
                              m.cert_der_path, "-out", m.cert_pem_path}));
  ASSIGN_OR_RETURN(std::string pub_bytes, ReadFile(prefix + ".pub"));
  ASSIGN_OR_RETURN(TPM2B_PUBLIC pub, ParsePublic(pub_bytes));
  m.pub = pub.publicArea;
  return m;
}

absl::StatusOr<Tpm> MakeTpm(const TestCa& ca, const std::string& name,
                            bool ecc_and_ak) {
  std::string dir = GetWorld().dir.Sub(name);
  SwtpmOptions opts;
  opts.ecc = ecc_and_ak;
  ASSIGN_OR_RETURN(std::unique_ptr<Swtpm> tpm, Swtpm::Start(dir, ca, opts));
  Tpm out;
  ASSIGN_OR_RETURN(out.rsa, ReadEk(*tpm, dir, "0x81010001", "0x01c00002"));
  if (ecc_and_ak) {
    ASSIGN_OR_RETURN(out.ecc, ReadEk(*tpm, dir, "0x81010016", "0x01c00016"));
    std::string ak_pub = dir + "/ak.pub";
    RETURN_IF_ERROR(
        RunOrError({"tpm2_createak", "-C", "0x81010001", "-c", dir + "/ak.ctx",
                    "-u", ak_pub, "-G", "rsa", "-g", "sha256", "-s", "rsassa"},
                   {tpm->tools_env()}));
    ASSIGN_OR_RETURN(std::string bytes, ReadFile(ak_pub));
    ASSIGN_OR_RETURN(TPM2B_PUBLIC pub, ParsePublic(bytes));
    out.ak = pub.publicArea;
  }
  return out;  // swtpm stops here: everything needed has been read
}

absl::StatusOr<const Tpm*> GetTpm(std::optional<absl::StatusOr<Tpm>>& slot,
                                  std::optional<absl::StatusOr<Ca>>& ca_slot,
                                  const std::string& ca_name,
                                  const std::string& name, bool ecc_and_ak) {
  if (!slot.has_value()) {
    auto ca = GetCa(ca_slot, ca_name);
    if (!ca.ok()) return ca.status();
    slot = MakeTpm(*(*ca)->ca, name, ecc_and_ak);
  }
  if (!slot->ok()) return slot->status();
  return &**slot;
}

absl::StatusOr<const Tpm*> A1() {
  World& w = GetWorld();
  return GetTpm(w.a1, w.ca_a, "ca-a", "tpm-a1", true);
}

}  // namespace

absl::StatusOr<const CaMaterial*> CaA() {
  ASSIGN_OR_RETURN(const Ca* ca, GetCa(GetWorld().ca_a, "ca-a"));
  return &ca->material;
}

absl::StatusOr<const CaMaterial*> CaB() {
  ASSIGN_OR_RETURN(const Ca* ca, GetCa(GetWorld().ca_b, "ca-b"));
  return &ca->material;
}

absl::StatusOr<const EkMaterial*> TpmA1Rsa() {
  ASSIGN_OR_RETURN(const Tpm* t, A1());
  return &t->rsa;
}

absl::StatusOr<const EkMaterial*> TpmA1Ecc() {
  ASSIGN_OR_RETURN(const Tpm* t, A1());
  return &t->ecc;
}

absl::StatusOr<const TPMT_PUBLIC*> TpmA1Ak() {
  ASSIGN_OR_RETURN(const Tpm* t, A1());
  return &t->ak;
}

absl::StatusOr<const EkMaterial*> TpmA2Rsa() {
  World& w = GetWorld();
  ASSIGN_OR_RETURN(const Tpm* t, GetTpm(w.a2, w.ca_a, "ca-a", "tpm-a2", false));
  return &t->rsa;
}

absl::StatusOr<const EkMaterial*> TpmBRsa() {
  World& w = GetWorld();
  ASSIGN_OR_RETURN(const Tpm* t, GetTpm(w.b, w.ca_b, "ca-b", "tpm-b", false));
  return &t->rsa;
}

std::string NewScratchDir() {
  World& w = GetWorld();
  std::string dir = w.dir.Sub(absl::StrCat("scratch-", ++w.counter));
  std::filesystem::create_directories(dir);
  return dir;
}

absl::StatusOr<std::string> WriteStoreDir(
    const std::map<std::string, std::vector<std::string>>& platform_files) {
  std::string dir = NewScratchDir();
  for (const auto& [platform, files] : platform_files) {
    std::string pdir = dir + "/" + platform;
    std::filesystem::create_directories(pdir);
    for (size_t i = 0; i < files.size(); ++i) {
      std::filesystem::path src(files[i]);
      std::error_code ec;
      std::filesystem::copy_file(
          src, absl::StrCat(pdir, "/", i, "-", src.filename().string()), ec);
      if (ec) {
        return absl::InternalError(
            absl::StrCat("copying ", files[i], ": ", ec.message()));
      }
    }
  }
  return dir;
}

absl::StatusOr<TrustStore> LoadStore(
    const std::map<std::string, std::vector<std::string>>& platform_files) {
  ASSIGN_OR_RETURN(std::string dir, WriteStoreDir(platform_files));
  return TrustStore::LoadDirectory(dir);
}

absl::StatusOr<std::string> Reissue(absl::string_view der, EVP_PKEY* key,
                                    const std::function<void(X509*)>& edit) {
  ASSIGN_OR_RETURN(X509Ptr original, ParseDerCertificate(der));
  X509Ptr cert(X509_dup(original.get()));
  if (!cert) return OsslError("X509_dup");
  edit(cert.get());
  if (X509_sign(cert.get(), key, EVP_sha256()) <= 0) {
    return OsslError("X509_sign");
  }
  return CertificateToDer(cert.get());
}

void SetValidity(X509* cert, time_t not_before, time_t not_after) {
  X509_time_adj_ex(X509_getm_notBefore(cert), 0, 0, &not_before);
  X509_time_adj_ex(X509_getm_notAfter(cert), 0, 0, &not_after);
}

void RemoveExtension(X509* cert, int nid) {
  int idx;
  while ((idx = X509_get_ext_by_NID(cert, nid, -1)) >= 0) {
    X509_EXTENSION_free(X509_delete_ext(cert, idx));
  }
}

void SetExtension(X509* cert, int nid, const char* value) {
  RemoveExtension(cert, nid);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, nullptr, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext != nullptr) {
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
}

absl::StatusOr<std::string> WritePem(absl::string_view der,
                                     const std::string& name) {
  ASSIGN_OR_RETURN(X509Ptr cert, ParseDerCertificate(der));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) {
    return OsslError("PEM_write_bio_X509");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  std::string path = NewScratchDir() + "/" + name;
  RETURN_IF_ERROR(WriteFile(path, std::string(data, len)));
  return path;
}

absl::StatusOr<Hierarchy> MakeHierarchy(const HierarchySpec& spec,
                                        const std::string& ek_cert_der) {
  using ::vtpm::testing::MakeTestCaCertificate;
  using ::vtpm::testing::MakeTestKey;
  Hierarchy h;
  ASSIGN_OR_RETURN(EvpPkeyPtr root_key, MakeTestKey(spec.root_key));
  ASSIGN_OR_RETURN(h.root,
                   MakeTestCaCertificate(spec.root_name, std::move(root_key),
                                         nullptr, spec.root_self_signature));
  ASSIGN_OR_RETURN(EvpPkeyPtr inter_key, MakeTestKey(spec.intermediate_key));
  ASSIGN_OR_RETURN(
      h.intermediate,
      MakeTestCaCertificate(spec.intermediate_name, std::move(inter_key),
                            &h.root, spec.intermediate_signature));
  ASSIGN_OR_RETURN(h.ek_cert_der,
                   vtpm::testing::ReissueCertificateUnder(
                       ek_cert_der, h.intermediate, spec.ek_signature));
  ASSIGN_OR_RETURN(h.root_pem_path, WritePem(h.root.der, "root.pem"));
  ASSIGN_OR_RETURN(h.intermediate_pem_path,
                   WritePem(h.intermediate.der, "intermediate.pem"));
  h.root_sha256 = vtpm::testing::CertificateDerSha256(h.root.der);
  return h;
}

::testing::AssertionResult HasReason(const absl::StatusOr<VerifiedEkCert>& r,
                                     vtpm_attest::v1::ReasonCode code) {
  if (r.ok()) {
    return ::testing::AssertionFailure()
           << "verified (platform " << r->platform << "), expected "
           << vtpm_attest::v1::ReasonCode_Name(code);
  }
  if (::vtpm::ReasonOf(r.status()) != code) {
    return ::testing::AssertionFailure()
           << "got "
           << vtpm_attest::v1::ReasonCode_Name(::vtpm::ReasonOf(r.status()))
           << " (" << r.status() << "), expected "
           << vtpm_attest::v1::ReasonCode_Name(code);
  }
  return ::testing::AssertionSuccess();
}

}  // namespace vtpm::verifier::testing
