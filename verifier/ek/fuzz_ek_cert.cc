// libFuzzer entry point: VerifyEkCertificate and the TCG profile parser on
// arbitrary bytes, with a small fixed trust store made at start-up.
// Built only with -DVTPM_BUILD_FUZZERS=ON (clang, -fsanitize=fuzzer,address).
//
// Each input is tried three ways: as the EK certificate; as an untrusted
// chain certificate under a fixed leaf whose issuer is not in the store
// (so path building has to look at it, after ordering the chain by
// CertificateStrength); and, when it parses as X.509, with CheckEkProfile
// and FindWeakAlgorithms directly (the SAN/EKU/keyUsage parsing and the
// judging of a path's signature algorithms and keys, RSASSA-PSS parameters
// included, are otherwise only reached by certificates the trust store's CA
// signed).
//
// Run: mkdir corpus; copy swtpm EK certificates (DER) into it as seeds, then
//   fuzz_ek_cert -max_total_time=20 -max_len=4096 corpus
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "common/ossl.h"
#include "verifier/ek/ek_algorithms.h"
#include "verifier/ek/ek_certificate.h"
#include "verifier/ek/ek_profile.h"
#include "verifier/ek/trust_store.h"

namespace {

using ::vtpm::EvpPkeyPtr;
using ::vtpm::X509Ptr;

// A certificate for `key` named `subject`, issued by `issuer` (the same
// name for a self-signed one) and signed with `signer`.
X509Ptr MakeCert(EVP_PKEY* key, const char* subject, const char* issuer,
                 EVP_PKEY* signer, bool ca) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_NAME_add_entry_by_txt(
      X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
      reinterpret_cast<const unsigned char*>(subject), -1, -1, 0);
  X509_NAME_add_entry_by_txt(
      X509_get_issuer_name(cert.get()), "CN", MBSTRING_ASC,
      reinterpret_cast<const unsigned char*>(issuer), -1, -1, 0);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600L * 24 * 365 * 50);
  X509_set_pubkey(cert.get(), key);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, nullptr, cert.get(), nullptr, nullptr, 0);
  X509_EXTENSION* bc =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints,
                          ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  X509_add_ext(cert.get(), bc, -1);
  X509_EXTENSION_free(bc);
  X509_sign(cert.get(), signer, EVP_sha256());
  return cert;
}

struct Fixture {
  vtpm::verifier::TrustStore store;
  std::string leaf_der;  // issued by "CN=fuzz-intermediate", not in store
  TPMT_PUBLIC ek = {};   // a well-formed RSA EK public area
};

const Fixture& GetFixture() {
  static Fixture* f = [] {
    auto* f = new Fixture();
    EvpPkeyPtr root_key(EVP_EC_gen("P-256"));
    EvpPkeyPtr leaf_key(EVP_EC_gen("P-256"));
    X509Ptr root = MakeCert(root_key.get(), "fuzz-root", "fuzz-root",
                            root_key.get(), true);
    X509Ptr leaf = MakeCert(leaf_key.get(), "fuzz-ek", "fuzz-intermediate",
                            root_key.get(), false);
    if (!root || !leaf) abort();
    std::map<std::string, std::vector<X509Ptr>> certs;
    certs["fuzz"].push_back(std::move(root));
    f->store = vtpm::verifier::TrustStore::FromCertificates(std::move(certs));
    f->leaf_der = *vtpm::CertificateToDer(leaf.get());

    TPMT_PUBLIC& ek = f->ek;
    ek.type = TPM2_ALG_RSA;
    ek.nameAlg = TPM2_ALG_SHA256;
    ek.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                          TPMA_OBJECT_SENSITIVEDATAORIGIN |
                          TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED |
                          TPMA_OBJECT_DECRYPT;
    ek.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
    ek.parameters.rsaDetail.symmetric.keyBits.aes = 128;
    ek.parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
    ek.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
    ek.parameters.rsaDetail.keyBits = 2048;
    ek.unique.rsa.size = 256;
    memset(ek.unique.rsa.buffer, 0xa5, 256);
    ek.unique.rsa.buffer[255] |= 1;
    return f;
  }();
  return *f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Fixture& f = GetFixture();
  std::string input(reinterpret_cast<const char*>(data), size);
  vtpm::verifier::EkCertOptions options;
  options.now = 1700000000;  // fixed, so runs are reproducible

  (void)vtpm::verifier::VerifyEkCertificate(f.store, options, input, {}, f.ek);
  (void)vtpm::verifier::VerifyEkCertificate(f.store, options, f.leaf_der,
                                            {input}, f.ek);
  auto cert = vtpm::ParseDerCertificate(input);
  if (cert.ok()) {
    (void)vtpm::verifier::CheckEkProfile(cert->get(), /*require_eku=*/true);
    // A path of the input alone (as an EK certificate), then of the input
    // twice (also as the anchor).
    vtpm::X509StackPtr path(sk_X509_new_null());
    for (int i = 0; path && i < 2 && X509_up_ref(cert->get()) == 1; ++i) {
      if (sk_X509_push(path.get(), cert->get()) <= 0) {
        X509_free(cert->get());
        break;
      }
      (void)vtpm::verifier::FindWeakAlgorithms(path.get());
    }
  }
  ERR_clear_error();
  return 0;
}
