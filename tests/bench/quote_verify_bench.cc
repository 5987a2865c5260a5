// Quote verification throughput against OpenSSL's own signature check.
//
// At startup, makes real evidence on a swtpm with tpm2-tools: an ECC P-256
// AK (ecdsa-sha256) and an RSA-2048 AK (rsassa-sha256), each quoting
// sha256:0-7. Then, per key type:
//   VerifyQuote/<k>/public    VerifyQuote with QuoteExpectation::ak (the
//                             OpenSSL key is built from TPMT_PUBLIC per call)
//   VerifyQuote/<k>/prepared  VerifyQuote with a PreparedAk made once
//   RawVerify/<k>             EVP_DigestVerify of the same signature over
//                             the same message with a prebuilt EVP_PKEY
// and prints VerifyQuote/raw rate ratios (target >= 0.8).
//
//   quote_verify_bench [--benchmark_min_time=2] [--benchmark_repetitions=N]
#include <benchmark/benchmark.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "common/hex.h"
#include "common/ossl.h"
#include "common/reason.h"
#include "common/tpm_public.h"
#include "tests/quote/quote_tpm.h"
#include "verifier/quote/quote_checks.h"
#include "verifier/quote/quote_verifier.h"

namespace vtpm {
namespace {

using verifier::PreparedAk;
using verifier::QuoteEvidence;
using verifier::QuoteExpectation;

// One AK's evidence and what raw OpenSSL needs for the same check.
struct Case {
  std::string name;  // "ecc" / "rsa"
  QuoteEvidence evidence;
  QuoteExpectation from_public;
  QuoteExpectation prepared;
  EvpPkeyPtr key;
  std::string raw_signature;  // DER for ECDSA, PKCS#1 v1.5 bytes for RSA
};

using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OsslDeleter<ECDSA_SIG_free>>;

// The signature bytes OpenSSL verifies directly.
std::string RawSignature(const std::string& tpmt_signature) {
  TPMT_SIGNATURE sig;
  if (!verifier::UnmarshalSignature(tpmt_signature, &sig).ok()) return "";
  if (sig.sigAlg != TPM2_ALG_ECDSA) {
    return std::string(
        reinterpret_cast<const char*>(sig.signature.rsassa.sig.buffer),
        sig.signature.rsassa.sig.size);
  }
  EcdsaSigPtr ecdsa(ECDSA_SIG_new());
  ECDSA_SIG_set0(ecdsa.get(),
                 BN_bin2bn(sig.signature.ecdsa.signatureR.buffer,
                           sig.signature.ecdsa.signatureR.size, nullptr),
                 BN_bin2bn(sig.signature.ecdsa.signatureS.buffer,
                           sig.signature.ecdsa.signatureS.size, nullptr));
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(ecdsa.get(), &der);
  std::string out(reinterpret_cast<char*>(der), len);
  OPENSSL_free(der);
  return out;
}

absl::StatusOr<Case> MakeCase(testing::QuoteTpm& tpm, const std::string& name,
                              const std::string& alg,
                              const std::string& scheme) {
  Case c;
  c.name = name;
  auto ak = tpm.CreateAk(name, alg, "sha256", scheme);
  if (!ak.ok()) return ak.status();
  auto q = tpm.Quote(*ak, name, "sha256:0,1,2,3,4,5,6,7", "5eed0102");
  if (!q.ok()) return q.status();
  c.evidence = q->evidence;
  c.from_public.ak = ak->public_area;
  c.from_public.nonce = *HexDecode("5eed0102");
  c.from_public.selection = *ParsePcrSelection("sha256:0-7");
  c.prepared = c.from_public;
  auto prepared = PreparedAk::FromPublic(ak->public_area);
  if (!prepared.ok()) return prepared.status();
  c.prepared.prepared_ak = *prepared;
  auto key = PublicToEvp(ak->public_area);
  if (!key.ok()) return key.status();
  c.key = *std::move(key);
  c.raw_signature = RawSignature(c.evidence.signature);
  // Both paths must accept the evidence before they are timed.
  auto ok = verifier::VerifyQuote(c.evidence, c.from_public);
  if (!ok.ok()) return ok.status();
  return c;
}

void BM_VerifyQuote(benchmark::State& state, const Case* c,
                    const QuoteExpectation* expected) {
  for (auto _ : state) {
    auto r = verifier::VerifyQuote(c->evidence, *expected);
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RawVerify(benchmark::State& state, const Case* c) {
  const auto* msg =
      reinterpret_cast<const unsigned char*>(c->evidence.attest.data());
  const auto* sig =
      reinterpret_cast<const unsigned char*>(c->raw_signature.data());
  for (auto _ : state) {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                             c->key.get()) != 1 ||
        EVP_DigestVerify(ctx.get(), sig, c->raw_signature.size(), msg,
                         c->evidence.attest.size()) != 1) {
      state.SkipWithError("raw verify failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// Console output plus the mean CPU time per benchmark, for the ratios.
// CPU time, not wall time: the machine is shared, and a check's cost is
// the CPU it takes.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  RatioReporter() : ConsoleReporter(OO_Tabular) {}  // no colour codes
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      const std::string& name = run.run_name.function_name;
      if (run.run_type == Run::RT_Iteration) {
        auto& [sum, n] = times_[name];
        sum += run.GetAdjustedCPUTime();
        ++n;
      } else if (run.aggregate_name == "mean") {
        means_[name] = run.GetAdjustedCPUTime();
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  // Mean CPU time per iteration in ns, or 0 if the benchmark did not run.
  double Time(const std::string& name) const {
    if (auto m = means_.find(name); m != means_.end()) return m->second;
    auto it = times_.find(name);
    return it == times_.end() || it->second.second == 0
               ? 0
               : it->second.first / it->second.second;
  }

 private:
  std::map<std::string, std::pair<double, int>> times_;
  std::map<std::string, double> means_;
};

int Main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  testing::TempDir dir;
  auto tpm = testing::QuoteTpm::Create(dir.Sub("q"));
  if (!tpm.ok()) {
    std::fprintf(stderr, "swtpm setup: %s\n", tpm.status().ToString().c_str());
    return 1;
  }
  std::vector<std::unique_ptr<Case>> cases;
  for (auto [name, alg, scheme] : {std::tuple{"ecc", "ecc", "ecdsa"},
                                   std::tuple{"rsa", "rsa", "rsassa"}}) {
    auto c = MakeCase(**tpm, name, alg, scheme);
    if (!c.ok()) {
      std::fprintf(stderr, "evidence for %s: %s\n", name,
                   c.status().ToString().c_str());
      return 1;
    }
    cases.push_back(std::make_unique<Case>(*std::move(c)));
  }
  for (const auto& c : cases) {
    benchmark::RegisterBenchmark(("VerifyQuote/" + c->name + "/public").c_str(),
                                 BM_VerifyQuote, c.get(), &c->from_public);
    benchmark::RegisterBenchmark(
        ("VerifyQuote/" + c->name + "/prepared").c_str(), BM_VerifyQuote,
        c.get(), &c->prepared);
    benchmark::RegisterBenchmark(("RawVerify/" + c->name).c_str(), BM_RawVerify,
                                 c.get());
  }
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  for (const auto& c : cases) {
    double raw = reporter.Time("RawVerify/" + c->name);
    for (const char* mode : {"public", "prepared"}) {
      double t = reporter.Time("VerifyQuote/" + c->name + "/" + mode);
      if (raw <= 0 || t <= 0) continue;
      std::printf(
          "ratio %s/%-8s VerifyQuote %.0f/s vs raw OpenSSL %.0f/s (CPU) = "
          "%.3f%s\n",
          c->name.c_str(), mode, 1e9 / t, 1e9 / raw, raw / t,
          raw / t >= 0.8 ? "" : "  (below 0.8 target)");
    }
  }
  benchmark::Shutdown();
  return 0;
}

}  // namespace
}  // namespace vtpm

int main(int argc, char** argv) { return vtpm::Main(argc, argv); }
