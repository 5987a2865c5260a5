// Event log verification cost, next to the machine's raw SHA-256
// throughput over the same number of bytes, measured in the same run:
//
// - ParseEventLog + Replay + MatchQuotedPcrs of a ~40 KB, 300-event
//   crypto-agile log (sha256 + sha1 banks, realistic event mix from
//   MakeRealisticLog);
// - what the verifier does per attestation with a boot policy
//   (VerifyEventLog with ExtractOptionsForPolicy, then EvaluatePolicy),
//   on that log and on the real OVMF + shim + GRUB Secure Boot log of
//   tests/data/eventlogs/ovmf-shim-secboot-crb (13 KB, X.509 db entries).
//   The policy is the one LearnPolicy makes from the log's own boot state
//   (golden PCRs included), round-tripped through JSON and ParsePolicy like
//   a policy file, so every boot rule it can learn runs and passes.
//
// At the end it prints each benchmark's CPU time divided by the CPU time
// of SHA-256 over as many bytes as its log has.
//
//   build/tests/bench/eventlog_bench [--benchmark_repetitions=N]
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/bootstate/digest_check.h"
#include "common/eventlog/event_log.h"
#include "common/eventlog/replay.h"
#include "common/tpm_alg.h"
#include "tests/eventlog/log_builder.h"
#include "tests/harness/process.h"
#include "verifier/policy/boot_evidence.h"
#include "verifier/policy/pcr_text.h"
#include "verifier/policy/policy.h"
#include "verifier/policy/policy_learn.h"

namespace {

using namespace ::vtpm::eventlog;  // NOLINT

struct Fixture {
  std::string bytes;
  vtpm::PcrValues quoted;
  size_t events = 0;
};

const Fixture& GetFixture() {
  static const Fixture* f = [] {
    auto* f = new Fixture;
    vtpm::testing::LogBuilder b =
        vtpm::testing::MakeRealisticLog({TPM2_ALG_SHA256, TPM2_ALG_SHA1}, 300);
    f->bytes = b.Build();
    f->events = b.event_count();
    // What a quote of sha256:0-23 would carry after this boot.
    vtpm::PcrValues expected = b.ExpectedPcrs();
    for (uint32_t pcr = 0; pcr < 24; ++pcr) {
      auto it = expected[TPM2_ALG_SHA256].find(pcr);
      f->quoted[TPM2_ALG_SHA256][pcr] = it != expected[TPM2_ALG_SHA256].end()
                                            ? it->second
                                            : std::string(32, '\0');
    }
    return f;
  }();
  return *f;
}

void BM_Parse(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    auto log = ParseEventLog(f.bytes);
    if (!log.ok()) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(log);
  }
  state.SetBytesProcessed(state.iterations() * f.bytes.size());
}
BENCHMARK(BM_Parse)->Unit(benchmark::kMicrosecond);

void BM_ParseReplay(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    auto log = ParseEventLog(f.bytes);
    auto pcrs = Replay(*log);
    if (!pcrs.ok()) state.SkipWithError("replay failed");
    benchmark::DoNotOptimize(pcrs);
  }
  state.SetBytesProcessed(state.iterations() * f.bytes.size());
}
BENCHMARK(BM_ParseReplay)->Unit(benchmark::kMicrosecond);

// The verifier's whole event log step (MatchQuotedPcrs replays itself).
void BM_ParseReplayMatch(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    auto log = ParseEventLog(f.bytes);
    auto match = MatchQuotedPcrs(*log, f.quoted);
    if (!match.ok()) state.SkipWithError("match failed");
    benchmark::DoNotOptimize(match);
  }
  state.SetBytesProcessed(state.iterations() * f.bytes.size());
  state.counters["events"] = f.events;
  state.counters["log_bytes"] = f.bytes.size();
}
BENCHMARK(BM_ParseReplayMatch)->Unit(benchmark::kMicrosecond);

// Raw SHA-256 of as many bytes as the log has, one EVP_Digest call.
void BM_Sha256LogBytes(benchmark::State& state) {
  const Fixture& f = GetFixture();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  for (auto _ : state) {
    if (EVP_Digest(f.bytes.data(), f.bytes.size(), out, &len, EVP_sha256(),
                   nullptr) != 1) {
      state.SkipWithError("EVP_Digest failed");
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * f.bytes.size());
}
BENCHMARK(BM_Sha256LogBytes)->Unit(benchmark::kMicrosecond);

// --- Per attestation: VerifyEventLog + EvaluatePolicy -----------------

// One attestation's inputs: the log, the PCR values a quote over the
// policy's quotePcrs carries, the policy and the TPM facts it judges.
struct AttestFixture {
  std::string name;  // "realistic" or "ovmf-shim"
  std::string bytes;
  vtpm::PcrValues quoted;
  vtpm::verifier::Policy policy;
  vtpm::verifier::VerifiedTpm tpm;
  size_t events = 0;
  size_t rules = 0;  // boot policy fields set, for the report
  size_t tolerated_reasons = 0;
};

[[noreturn]] void Die(const std::string& what, const absl::Status& s) {
  std::fprintf(stderr, "eventlog_bench: %s: %s\n", what.c_str(),
               std::string(s.message()).c_str());
  std::exit(1);
}

// Learns the policy from the log's boot state (every PCR of `all_pcrs`
// the log covers counts as quoted), loads it like a policy file, and keeps
// of `all_pcrs` what a quote over its quotePcrs would carry. Exits on any
// failure or if the attestation would not pass: a benchmark of a rejected
// attestation would measure an early exit.
AttestFixture MakeAttestFixture(const std::string& name, std::string bytes,
                                const vtpm::PcrValues& all_pcrs) {
  namespace vv = ::vtpm::verifier;
  AttestFixture f;
  f.name = name;
  f.bytes = std::move(bytes);
  auto parsed = ParseEventLog(f.bytes);
  if (!parsed.ok()) Die(name + ": parse", parsed.status());
  f.events = parsed->events.size();

  auto boot = vv::VerifyEventLog(f.bytes, all_pcrs, {});
  if (!boot.ok()) Die(name + ": VerifyEventLog", boot.status());
  vv::LearnOptions learn;
  learn.name = "bench-" + name;
  learn.golden_pcrs = true;
  auto learned = vv::LearnPolicy(boot->state, learn);
  if (!learned.ok()) Die(name + ": LearnPolicy", learned.status());
  auto json = vv::PolicyToJson(*learned);
  if (!json.ok()) Die(name + ": PolicyToJson", json.status());
  auto policy = vv::ParsePolicy(*json, name + ".json", learn.name);
  if (!policy.ok()) Die(name + ": ParsePolicy", policy.status());
  f.policy = *std::move(policy);

  const vtpm::PcrSelection sel = vv::QuoteSelection(f.policy);
  for (const vtpm::PcrBankSelection& b : sel) {
    for (uint32_t pcr = 0; pcr < vtpm::kMaxPcrs; ++pcr) {
      if (!b.pcrs.test(pcr)) continue;
      auto values = all_pcrs.find(b.hash);
      if (values == all_pcrs.end() || values->second.count(pcr) == 0) {
        Die(name, absl::InternalError("no value for a quoted PCR"));
      }
      f.quoted[b.hash][pcr] = values->second.at(pcr);
    }
  }
  f.tpm.family = "2.0";

  const auto& b = f.policy.boot();
  f.rules = b.required_db_size() + b.required_dbx_size() +
            b.allowed_boot_applications_size() + b.allowed_drivers_size() +
            b.allowed_kernel_cmdlines_size() + b.allowed_kernels_size() +
            b.allowed_initrds_size() + b.allowed_boot_files_size() +
            b.allowed_kernel_cmdline_sha256_size();
  return f;
}

// The verifier's per-attestation boot work: the reasons it fails for
// (empty: the attestation passes its policy).
std::vector<vtpm_attest::v1::Reason> AttestOnce(const AttestFixture& f) {
  namespace vv = ::vtpm::verifier;
  auto vb = vv::VerifyEventLog(f.bytes, f.quoted,
                               vv::ExtractOptionsForPolicy(f.policy));
  if (!vb.ok()) {
    vtpm_attest::v1::Reason r;
    r.set_message(std::string(vb.status().message()));
    return {r};
  }
  std::vector<vtpm_attest::v1::Reason> reasons =
      vv::FindingsToReasons(vb->findings);
  vv::PolicyInput in;
  in.tpm = f.tpm;
  in.pcrs = &f.quoted;
  in.boot = &vb->state;
  in.evidence_age = absl::Seconds(1);
  for (const auto& [bank, values] : f.quoted) in.banks.insert(bank);
  for (auto& r : vv::EvaluatePolicy(f.policy, in)) {
    reasons.push_back(std::move(r));
  }
  return reasons;
}

// MakeRealisticLog gives GRUB's PCR 8 strings the digest of the whole
// event data, while GRUB hashes only the text after its "grub_cmd: "
// prefix (and boot-state extraction checks that). Rewrites, in place,
// every digest the extraction recomputes (bootstate::DigestRuleFor) to
// the hash of the rule's first input, so the built log is one real
// firmware and GRUB could have written; the quoted PCRs are then taken
// from its replay.
std::string FixRecomputableDigests(std::string bytes) {
  auto log = ParseEventLog(bytes);
  if (!log.ok()) Die("parsing the realistic log", log.status());
  for (const Event& e : log->events) {
    if (e.type == EV_NO_ACTION) continue;
    auto rule = vtpm::bootstate::DigestRuleFor(e);
    if (!rule.has_value() || rule->inputs.empty()) continue;
    if (vtpm::bootstate::CompareDigests(e, rule->inputs).match) continue;
    size_t at = e.offset + 12;  // pcr, type, digest count
    for (const EventDigest& d : e.digests) {
      at += 2;  // algorithm
      auto h = vtpm::Hash(d.alg, rule->inputs[0]);
      if (!h.ok()) Die("hashing", h.status());
      bytes.replace(at, h->size(), *h);
      at += d.digest.size();
    }
  }
  return bytes;
}

// sha256:0-23 as a quote would carry them after the boot `bytes` logs.
vtpm::PcrValues QuotedAfter(const std::string& bytes) {
  auto log = ParseEventLog(bytes);
  if (!log.ok()) Die("parsing the realistic log", log.status());
  auto replayed = Replay(*log);
  if (!replayed.ok()) Die("replaying the realistic log", replayed.status());
  vtpm::PcrValues quoted;
  for (uint32_t pcr = 0; pcr < 24; ++pcr) {
    auto& values = (*replayed)[TPM2_ALG_SHA256];
    auto it = values.find(pcr);
    quoted[TPM2_ALG_SHA256][pcr] =
        it != values.end() ? it->second : std::string(32, '\0');
  }
  return quoted;
}

const AttestFixture& RealisticAttest() {
  static const AttestFixture* f = [] {
    std::string bytes = FixRecomputableDigests(GetFixture().bytes);
    vtpm::PcrValues quoted = QuotedAfter(bytes);
    auto* f = new AttestFixture(
        MakeAttestFixture("realistic", std::move(bytes), quoted));
    f->tolerated_reasons = 1;
    return f;
  }();
  return *f;
}

const AttestFixture& ShimAttest() {
  static const AttestFixture* f = [] {
    const std::string dir = vtpm::testing::SourceDir() +
                            "/tests/data/eventlogs/ovmf-shim-secboot-crb/";
    auto bytes = vtpm::testing::ReadFile(dir + "binary_bios_measurements");
    if (!bytes.ok()) Die("reading the shim log", bytes.status());
    auto text = vtpm::testing::ReadFile(dir + "pcrs-sha256.txt");
    if (!text.ok()) Die("reading the shim PCRs", text.status());
    auto pcrs = vtpm::verifier::ParsePcrText(*text);
    if (!pcrs.ok()) Die("parsing the shim PCRs", pcrs.status());
    return new AttestFixture(
        MakeAttestFixture("ovmf-shim", *std::move(bytes), *pcrs));
  }();
  return *f;
}

void RunAttest(benchmark::State& state, const AttestFixture& f) {
  // The real log must pass. The built log has one known inconsistency
  // (its GRUB "kernel_cmdline:" names a kernel no "grub_cmd: linux"
  // loaded: one EVENTLOG_UNEXPECTED_EVENT finding); a finding costs the
  // same work, and the count is reported as a counter.
  std::vector<vtpm_attest::v1::Reason> first = AttestOnce(f);
  if (first.size() > f.tolerated_reasons) {
    static std::string error;  // SkipWithError keeps the pointer
    error = "the attestation does not pass its policy: " + first[0].message();
    state.SkipWithError(error.c_str());
    return;
  }
  for (auto _ : state) {
    auto reasons = AttestOnce(f);
    benchmark::DoNotOptimize(reasons);
  }
  state.counters["reasons"] = first.size();
  state.SetBytesProcessed(state.iterations() * f.bytes.size());
  state.counters["events"] = f.events;
  state.counters["log_bytes"] = f.bytes.size();
  state.counters["policy_entries"] = f.rules;
}

// VerifyEventLog alone (parse, replay + match, boot-state extraction with
// decoded events) and EvaluatePolicy alone, to split the cost.
void RunVerifyOnly(benchmark::State& state, const AttestFixture& f) {
  auto options = vtpm::verifier::ExtractOptionsForPolicy(f.policy);
  for (auto _ : state) {
    auto vb = vtpm::verifier::VerifyEventLog(f.bytes, f.quoted, options);
    if (!vb.ok()) state.SkipWithError("VerifyEventLog failed");
    benchmark::DoNotOptimize(vb);
  }
  state.SetBytesProcessed(state.iterations() * f.bytes.size());
}

void RunPolicyOnly(benchmark::State& state, const AttestFixture& f) {
  namespace vv = ::vtpm::verifier;
  auto vb = vv::VerifyEventLog(f.bytes, f.quoted,
                               vv::ExtractOptionsForPolicy(f.policy));
  if (!vb.ok()) {
    state.SkipWithError("VerifyEventLog failed");
    return;
  }
  vv::PolicyInput in;
  in.tpm = f.tpm;
  in.pcrs = &f.quoted;
  in.boot = &vb->state;
  in.evidence_age = absl::Seconds(1);
  for (const auto& [bank, values] : f.quoted) in.banks.insert(bank);
  for (auto _ : state) {
    auto reasons = vv::EvaluatePolicy(f.policy, in);
    if (!reasons.empty()) state.SkipWithError("policy failed");
    benchmark::DoNotOptimize(reasons);
  }
}

void BM_Attest_Realistic(benchmark::State& s) {
  RunAttest(s, RealisticAttest());
}
BENCHMARK(BM_Attest_Realistic)->Unit(benchmark::kMicrosecond);
void BM_VerifyEventLog_Realistic(benchmark::State& s) {
  RunVerifyOnly(s, RealisticAttest());
}
BENCHMARK(BM_VerifyEventLog_Realistic)->Unit(benchmark::kMicrosecond);
void BM_EvaluatePolicy_Realistic(benchmark::State& s) {
  RunPolicyOnly(s, RealisticAttest());
}
BENCHMARK(BM_EvaluatePolicy_Realistic)->Unit(benchmark::kMicrosecond);

void BM_Attest_OvmfShim(benchmark::State& s) { RunAttest(s, ShimAttest()); }
BENCHMARK(BM_Attest_OvmfShim)->Unit(benchmark::kMicrosecond);
void BM_VerifyEventLog_OvmfShim(benchmark::State& s) {
  RunVerifyOnly(s, ShimAttest());
}
BENCHMARK(BM_VerifyEventLog_OvmfShim)->Unit(benchmark::kMicrosecond);
void BM_EvaluatePolicy_OvmfShim(benchmark::State& s) {
  RunPolicyOnly(s, ShimAttest());
}
BENCHMARK(BM_EvaluatePolicy_OvmfShim)->Unit(benchmark::kMicrosecond);

// Raw SHA-256 of as many bytes as the shim log has.
void BM_Sha256ShimLogBytes(benchmark::State& state) {
  const AttestFixture& f = ShimAttest();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  for (auto _ : state) {
    if (EVP_Digest(f.bytes.data(), f.bytes.size(), out, &len, EVP_sha256(),
                   nullptr) != 1) {
      state.SkipWithError("EVP_Digest failed");
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * f.bytes.size());
}
BENCHMARK(BM_Sha256ShimLogBytes)->Unit(benchmark::kMicrosecond);

// Console output plus, at the end, each benchmark's time relative to
// BM_Sha256LogBytes (per-iteration CPU time; medians with repetitions).
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      bool use = r.run_type == Run::RT_Iteration ? r.repetitions <= 1
                                                 : r.aggregate_name == "median";
      if (!use || r.error_occurred) continue;
      // CPU time: the machine may be shared; wall time then measures the
      // other load.
      seconds_[r.run_name.function_name] =
          r.GetAdjustedCPUTime() /
          benchmark::GetTimeUnitMultiplier(r.time_unit);
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const Fixture& f = GetFixture();
    PrintRatios("BM_Sha256LogBytes", "realistic built log", f.bytes.size(),
                f.events,
                {"BM_Parse", "BM_ParseReplay", "BM_ParseReplayMatch",
                 "BM_Attest_Realistic", "BM_VerifyEventLog_Realistic",
                 "BM_EvaluatePolicy_Realistic"});
    if (seconds_.count("BM_Sha256ShimLogBytes") == 0) return;
    const AttestFixture& shim = ShimAttest();
    PrintRatios("BM_Sha256ShimLogBytes", "real OVMF+shim Secure Boot log",
                shim.bytes.size(), shim.events,
                {"BM_Attest_OvmfShim", "BM_VerifyEventLog_OvmfShim",
                 "BM_EvaluatePolicy_OvmfShim"});
  }

 private:
  // Each of `names` (that ran) as a multiple of the SHA-256 benchmark `sha`.
  void PrintRatios(const char* sha, const char* label, size_t bytes,
                   size_t events, std::vector<const char*> names) {
    auto it_sha = seconds_.find(sha);
    if (it_sha == seconds_.end() || it_sha->second <= 0) return;
    const double sha_s = it_sha->second;
    std::printf(
        "\n%s: %zu bytes, %zu events; SHA-256 of %zu bytes: %.2f us "
        "(%.0f MB/s), CPU time\n",
        label, bytes, events, bytes, sha_s * 1e6, bytes / sha_s / 1e6);
    for (const char* name : names) {
      auto it = seconds_.find(name);
      if (it == seconds_.end()) continue;
      std::printf("%-30s %9.2f us = %6.2f x SHA-256 of the log's bytes\n", name,
                  it->second * 1e6, it->second / sha_s);
    }
  }

  std::map<std::string, double> seconds_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
