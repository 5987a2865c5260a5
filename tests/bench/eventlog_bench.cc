// Event log verification cost: ParseEventLog + Replay + MatchQuotedPcrs of
// a ~40 KB, 300-event crypto-agile log (sha256 + sha1 banks, realistic
// event mix from MakeRealisticLog), next to the machine's raw SHA-256
// throughput over the same number of bytes. At the end it prints the
// ratio CPU time(parse + replay [+ match]) / CPU time(SHA-256 of the
// log's bytes).
//
//   build/tests/eventlog_bench [--benchmark_repetitions=N]
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <cstdio>
#include <map>
#include <string>

#include "common/eventlog/event_log.h"
#include "common/eventlog/replay.h"
#include "tests/eventlog/log_builder.h"

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
    auto sha = seconds_.find("BM_Sha256LogBytes");
    if (sha == seconds_.end() || sha->second <= 0) return;
    const Fixture& f = GetFixture();
    std::printf(
        "\nlog: %zu bytes, %zu events; SHA-256 of %zu bytes: %.2f us "
        "(%.0f MB/s), CPU time\n",
        f.bytes.size(), f.events, f.bytes.size(), sha->second * 1e6,
        f.bytes.size() / sha->second / 1e6);
    for (const char* name :
         {"BM_Parse", "BM_ParseReplay", "BM_ParseReplayMatch"}) {
      auto it = seconds_.find(name);
      if (it == seconds_.end()) continue;
      std::printf("%-20s %8.2f us = %5.2f x SHA-256 of the log's bytes\n", name,
                  it->second * 1e6, it->second / sha->second);
    }
  }

 private:
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
