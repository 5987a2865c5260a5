// Shared material for the EK verification tests: two independent
// swtpm-localca CAs (A and B, both named CN=swtpm-localca under
// CN=swtpm-localca-rootca, as on two libvirt hosts) and real swtpm EKs with
// their NV certificates, read with tpm2-tools. Each piece is made on first
// use and kept for the rest of the process, so a test binary run directly
// provisions each TPM once.
#ifndef VTPM_TESTS_VERIFIER_EK_EK_FIXTURE_H_
#define VTPM_TESTS_VERIFIER_EK_EK_FIXTURE_H_

#include <gtest/gtest.h>
#include <tss2/tss2_tpm2_types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ossl.h"
#include "common/status_macros.h"
#include "tests/harness/pki.h"
#include "verifier/ek/ek_certificate.h"
#include "verifier/ek/trust_store.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::verifier::testing {

struct CaMaterial {
  std::string root_pem_path;          // swtpm-localca-rootca (self-signed)
  std::string intermediate_pem_path;  // swtpm-localca (signs EK certs)
  std::string root_der;
  std::string intermediate_der;
  EvpPkeyPtr intermediate_key;
};

struct EkMaterial {
  std::string cert_der;       // from tpm2_nvread of the EK cert index
  std::string cert_pem_path;  // the same, PEM, for openssl(1)
  std::string cert_der_path;
  TPMT_PUBLIC pub;  // from tpm2_readpublic of the persistent EK
};

// Accessors; the first call provisions (swtpm_setup + swtpm + tpm2-tools).
absl::StatusOr<const CaMaterial*> CaA();
absl::StatusOr<const CaMaterial*> CaB();
absl::StatusOr<const EkMaterial*> TpmA1Rsa();  // TPM A1, issued by CA A
absl::StatusOr<const EkMaterial*> TpmA1Ecc();  // P-384 EK of TPM A1
absl::StatusOr<const TPMT_PUBLIC*> TpmA1Ak();  // tpm2_createak RSA AK on A1
absl::StatusOr<const EkMaterial*> TpmA2Rsa();  // TPM A2, issued by CA A
absl::StatusOr<const EkMaterial*> TpmBRsa();   // TPM B, issued by CA B

// A fresh empty directory inside the process's scratch directory.
std::string NewScratchDir();

// Writes a trust store directory: for each platform, a subdirectory with a
// copy of each file (named by its position and extension).
absl::StatusOr<std::string> WriteStoreDir(
    const std::map<std::string, std::vector<std::string>>& platform_files);

// WriteStoreDir then TrustStore::LoadDirectory.
absl::StatusOr<TrustStore> LoadStore(
    const std::map<std::string, std::vector<std::string>>& platform_files);

// Re-issues `der` with the same issuer name: copies it (X509_dup), applies
// `edit` (which may change dates and extensions), and signs it with `key`
// (SHA-256). Returns the new DER.
absl::StatusOr<std::string> Reissue(absl::string_view der, EVP_PKEY* key,
                                    const std::function<void(X509*)>& edit);

// Helpers for `edit` above.
void SetValidity(X509* cert, time_t not_before, time_t not_after);
void RemoveExtension(X509* cert, int nid);
// Replaces (or adds) an extension from its openssl.cnf text.
void SetExtension(X509* cert, int nid, const char* value);

// Writes DER as PEM to a new file in the scratch directory; returns path.
absl::StatusOr<std::string> WritePem(absl::string_view der,
                                     const std::string& name);

// A CA hierarchy made in memory with chosen keys and signature algorithms:
// a root, an intermediate issued by it, and an EK certificate re-issued
// under the intermediate (same subject, key, SAN and other extensions).
struct HierarchySpec {
  std::string root_name = "weak-test-root";
  std::string root_key = "rsa:2048";  // vtpm::testing::MakeTestKey spec
  vtpm::testing::SignSpec root_self_signature;
  std::string intermediate_name = "weak-test-intermediate";
  std::string intermediate_key = "rsa:2048";
  vtpm::testing::SignSpec intermediate_signature;  // by the root
  vtpm::testing::SignSpec ek_signature;            // by the intermediate
};

struct Hierarchy {
  vtpm::testing::TestCertificate root;
  vtpm::testing::TestCertificate intermediate;
  std::string ek_cert_der;
  std::string root_pem_path;          // in the scratch directory
  std::string intermediate_pem_path;  // in the scratch directory
  std::string root_sha256;            // lower-case hex of the root's DER
};

// Makes the hierarchy of `spec` re-issuing `ek_cert_der`.
absl::StatusOr<Hierarchy> MakeHierarchy(const HierarchySpec& spec,
                                        const std::string& ek_cert_der);

// Success when `r` failed with `code` (ReasonOf); otherwise says what
// happened instead.
::testing::AssertionResult HasReason(const absl::StatusOr<VerifiedEkCert>& r,
                                     vtpm_attest::v1::ReasonCode code);

}  // namespace vtpm::verifier::testing

// ASSERTs that a StatusOr is OK and assigns its value.
#define VTPM_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  VTPM_ASSERT_OK_AND_ASSIGN_IMPL_(VTPM_CONCAT_(vtpm_aoa_, __LINE__), lhs, expr)
#define VTPM_ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  ASSERT_TRUE(tmp.ok()) << tmp.status();                \
  lhs = std::move(tmp).value()

#endif  // VTPM_TESTS_VERIFIER_EK_EK_FIXTURE_H_
