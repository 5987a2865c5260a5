#include "tests/load/reference_rate.h"

#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <time.h>

#include <cstdlib>
#include <string>

#include "common/ossl.h"

namespace vtpm::load {
namespace {

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

}  // namespace

double EcdsaP256VerifyRate(double seconds) {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) abort();
  const std::string msg(64, 'q');
  unsigned char sig[128];
  size_t sig_len = sizeof(sig);
  {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                           key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), sig, &sig_len,
                       reinterpret_cast<const unsigned char*>(msg.data()),
                       msg.size()) != 1) {
      abort();
    }
  }
  // The verifier keeps AKs prepared; so does the reference.
  EvpPkeyCtxPtr pctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  if (!pctx || EVP_PKEY_verify_init(pctx.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(pctx.get(), EVP_sha256()) != 1) {
    abort();
  }
  unsigned char digest[32];
  unsigned int dlen = 0;
  EVP_Digest(msg.data(), msg.size(), digest, &dlen, EVP_sha256(), nullptr);
  double start = ThreadCpuSeconds();
  long n = 0;
  while (true) {
    for (int i = 0; i < 100; ++i) {
      EVP_Digest(msg.data(), msg.size(), digest, &dlen, EVP_sha256(), nullptr);
      if (EVP_PKEY_verify(pctx.get(), sig, sig_len, digest, dlen) != 1) {
        abort();
      }
    }
    n += 100;
    double elapsed = ThreadCpuSeconds() - start;
    if (elapsed >= seconds) return static_cast<double>(n) / elapsed;
  }
}

}  // namespace vtpm::load
