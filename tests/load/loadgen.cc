// vtpm-attest-loadgen: starts the real vtpm-attest-verifier as a child and
// drives it with N simulated daemon-mode agents (software TPMs, see
// soft_tpm.h) over TLS on loopback, then reports enrollment time,
// steady-state verdicts per second per verifier core, verdict latency,
// verifier memory per stream and the database write rate.
//
// Examples:
//   vtpm-attest-loadgen --agents 2000 --duration 30
//   vtpm-attest-loadgen --agents 2000 --db
//   postgresql://postgres@127.0.0.1:5433/vtpm vtpm-attest-loadgen --agents
//   20000 --idle-streams --duration 20
#include <signal.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/hex.h"
#include "common/pcr_selection.h"
#include "tests/harness/pki.h"
#include "tests/harness/postgres.h"
#include "tests/harness/process.h"
#include "tests/load/db_stats.h"
#include "tests/load/fleet.h"
#include "tests/load/proc_stats.h"
#include "tests/load/reference_rate.h"
#include "tests/load/report.h"
#include "tests/load/soft_tpm.h"
#include "tests/load/verifier_process.h"

namespace po = boost::program_options;

namespace vtpm::load {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int agents = 2000;
  double duration = 30;
  std::string db;
  std::string verifier_bin;
  int streams_per_connection = 1;
  double connect_rate = 0;
  bool idle_streams = false;
  int interval = 0;  // 0: 1 s, or 3600 s with --idle-streams
  std::string pcrs = "sha256:0-7";
  int setup_threads = 0;
  std::string work_dir;
  bool keep = false;
  std::string json;
  double deadline = 0;
  double enroll_timeout = 0;
  std::vector<std::string> verifier_args;
  int verifier_cpu = -1;  // -1: no pinning
};

// --- Global deadline
// ----------------------------------------------------------

std::atomic<pid_t> g_child{-1};
std::atomic<const char*> g_phase{"setup"};
// A private PostgreSQL server to stop before a deadline exit, if any.
std::atomic<testing::PostgresServer*> g_pg{nullptr};

void StartWatchdog(double seconds) {
  std::thread([seconds] {
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    std::fprintf(stderr,
                 "vtpm-attest-loadgen: global deadline of %.0f s exceeded "
                 "during phase '%s'; killing the verifier and exiting\n",
                 seconds, g_phase.load());
    pid_t child = g_child.load();
    if (child > 0) kill(child, SIGKILL);
    if (testing::PostgresServer* pg = g_pg.load()) (void)pg->Stop();
    std::fflush(nullptr);
    _exit(3);
  }).detach();
}

// --- Files for the verifier
// -----------------------------------------------------

absl::StatusOr<std::string> PolicyJson(const Options& o, const SoftTpm& tpm,
                                       const PcrSelection& sel, int interval) {
  std::vector<std::string> quote_pcrs, pins;
  for (const PcrBankSelection& bank : sel) {
    std::vector<std::string> idx, values;
    for (uint32_t i = 0; i < static_cast<uint32_t>(kMaxPcrs); ++i) {
      if (!bank.pcrs.test(i)) continue;
      idx.push_back(absl::StrCat(i));
      if (i < 8) {  // the image's PCRs are equal for every agent: pin them
        auto v = tpm.PcrValue(bank.hash, i);
        if (!v.ok()) return v.status();
        values.push_back(absl::StrFormat(
            "{\"index\": %d, \"values\": [\"%s\"]}", i, HexEncode(*v)));
      }
    }
    std::string hash = absl::StrCat(
        "\"",
        vtpm_attest::v1::HashAlgorithm_Name(
            static_cast<vtpm_attest::v1::HashAlgorithm>(bank.hash)),
        "\"");
    quote_pcrs.push_back(absl::StrCat("{\"hash\": ", hash, ", \"pcrs\": [",
                                      absl::StrJoin(idx, ", "), "]}"));
    if (!values.empty()) {
      pins.push_back(absl::StrCat("{\"hash\": ", hash, ", \"pcrs\": [",
                                  absl::StrJoin(values, ", "), "]}"));
    }
  }
  return absl::StrCat(
      "{\n  \"name\": \"loadtest\",\n"
      "  \"description\": \"vtpm-attest-loadgen: software TPMs whose EK "
      "certificates come from the load test CA (trust platform loadtest)\",\n"
      "  \"tpmFamily\": \"2.0\",\n"
      "  \"trustPlatforms\": [\"loadtest\"],\n"
      "  \"requireEkCertificate\": true,\n"
      "  \"requireEkEku\": true,\n"
      "  \"allowedTpmManufacturers\": [\"id:00001014\"],\n"
      "  \"quotePcrs\": [",
      absl::StrJoin(quote_pcrs, ", "), "],\n  \"pcrValues\": [",
      absl::StrJoin(pins, ", "), "],\n  \"quoteIntervalSeconds\": ", interval,
      "\n}\n");
}

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

int64_t StatusOrMinus1(const absl::StatusOr<int64_t>& v) {
  return v.ok() ? *v : -1;
}

// --- The run
// --------------------------------------------------------------------

int Run(const Options& o, const std::string& command_line) {
  // The reference, measured before any load starts (see reference_rate.h).
  const double reference_rate = EcdsaP256VerifyRate(1.0);
  Report report;
  MachineFacts machine = GetMachineFacts();
  report.Section("run");
  report.Str("command", "command", command_line);
  report.Int("nproc", "nproc", machine.cpus);
  report.Str("cpu_model", "cpu model", machine.cpu_model);
  report.Int("mem_total_kib", "memory (KiB)", machine.mem_total_kib);
  report.Str("kernel", "kernel", machine.kernel);
  report.Str("verifier_bin", "verifier binary", o.verifier_bin);
  report.Str("mode", "mode", o.idle_streams ? "idle-streams" : "steady");
  report.Str("verifier_cpu", "verifier pinned to CPU",
             o.verifier_cpu >= 0 ? absl::StrCat(o.verifier_cpu) : "no");
  report.Int("agents", "agents", o.agents);
  report.Int("streams_per_connection", "streams per connection",
             o.streams_per_connection);

  const int per = std::max(1, o.streams_per_connection);
  const uint64_t connections = (o.agents + per - 1) / per;
  const uint64_t fd_limit = RaiseFdLimit(connections + 4096);
  report.Int("fd_limit", "RLIMIT_NOFILE (loadgen and verifier)",
             static_cast<int64_t>(fd_limit));
  // The loadgen needs one fd per connection plus headroom for /proc, the
  // database client and gRPC; the verifier (same limit) about as many.
  constexpr uint64_t kFdHeadroom = 512;
  if (fd_limit < connections + kFdHeadroom) {
    uint64_t usable = fd_limit > kFdHeadroom ? fd_limit - kFdHeadroom : 1;
    std::fprintf(
        stderr,
        "vtpm-attest-loadgen: RLIMIT_NOFILE is %llu (hard limit, "
        "could not be raised) but %llu connections need about %llu "
        "fds; use --streams-per-connection %llu or fewer agents\n",
        static_cast<unsigned long long>(fd_limit),
        static_cast<unsigned long long>(connections),
        static_cast<unsigned long long>(connections + kFdHeadroom),
        static_cast<unsigned long long>((o.agents + usable - 1) / usable));
    return 2;
  }

  // Work directory.
  std::string work = o.work_dir;
  if (work.empty()) {
    char tmpl[] = "/tmp/vtpm-loadgen-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::fprintf(stderr, "vtpm-attest-loadgen: mkdtemp failed\n");
      return 2;
    }
    work = tmpl;
  } else {
    std::filesystem::create_directories(work);
  }
  bool keep_work = o.keep || !o.work_dir.empty();
  auto fail = [&](const std::string& message) {
    std::fprintf(stderr, "vtpm-attest-loadgen: %s\n(work directory kept: %s)\n",
                 message.c_str(), work.c_str());
    return 1;
  };
  report.Str("work_dir", "work directory", work);

  auto sel = ParsePcrSelection(o.pcrs);
  if (!sel.ok()) return fail(absl::StrCat("--pcrs: ", sel.status().message()));
  const int interval =
      o.interval > 0 ? o.interval : (o.idle_streams ? 3600 : 1);
  report.Int("quote_interval_s", "policy quote interval (s)", interval);
  report.Str("pcrs", "quoted PCRs", PcrSelectionToString(*sel));

  // Identities.
  g_phase = "setup";
  std::random_device rd;
  const uint64_t run_id = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  const uint64_t image_seed = 20240601;
  auto ca = SoftEkCa::Create();
  if (!ca.ok()) return fail(absl::StrCat("test CA: ", ca.status().message()));
  const int threads = o.setup_threads > 0 ? o.setup_threads : machine.cpus;
  auto t_setup = Clock::now();
  auto identities =
      MakeIdentities(**ca, o.agents, threads, run_id, image_seed,
                     {{"loadgen-run", absl::StrFormat("%016x", run_id)}});
  if (!identities.ok()) {
    return fail(absl::StrCat("identities: ", identities.status().message()));
  }
  double setup_s = Seconds(t_setup, Clock::now());
  report.Section("setup");
  report.Num("setup_seconds", "identity generation (s)", setup_s, "%.2f");
  report.Num("setup_identities_per_s", "identities/s (EK+AK+EK cert)",
             o.agents / setup_s, "%.0f");
  report.Int("setup_threads", "setup threads", threads);

  // Verifier files.
  auto tls = testing::MakeTlsFiles(work);
  if (!tls.ok())
    return fail(absl::StrCat("TLS files: ", tls.status().message()));
  std::filesystem::create_directories(work + "/trust/loadtest");
  std::filesystem::create_directories(work + "/policies");
  auto policy = PolicyJson(o, *(*identities)[0].tpm, *sel, interval);
  if (!policy.ok()) return fail(std::string(policy.status().message()));
  for (auto st :
       {testing::WriteFile(work + "/trust/loadtest/load-ca.pem",
                           (*ca)->cert_pem()),
        testing::WriteFile(work + "/policies/loadtest.json", *policy)}) {
    if (!st.ok()) return fail(std::string(st.message()));
  }
  auto tls_ca = testing::ReadFile(tls->ca_cert);
  if (!tls_ca.ok()) return fail(std::string(tls_ca.status().message()));
  // A private PostgreSQL server for this run, when asked for.
  std::unique_ptr<testing::PostgresServer> pg;
  std::string db_arg = o.db;
  if (db_arg == "postgresql-private") {
    g_phase = "postgresql start";
    auto server = testing::PostgresServer::Create();
    if (!server.ok()) {
      return fail(
          absl::StrCat("private PostgreSQL: ", server.status().message()));
    }
    pg = std::move(*server);
    g_pg = pg.get();
    auto url = pg->CreateDatabase("vtpm_load");
    if (!url.ok()) return fail(std::string(url.status().message()));
    db_arg = *url;
  }
  DbTarget db = ParseDb(db_arg, work);
  report.Str("database", "database", db.url);

  // Verifier.
  g_phase = "verifier start";
  VerifierLaunch launch;
  launch.binary = o.verifier_bin;
  launch.work_dir = work;
  launch.database = db.url;
  launch.tls_cert = tls->server_cert;
  launch.tls_key = tls->server_key;
  launch.trust_dir = work + "/trust";
  launch.policy_dir = work + "/policies";
  launch.extra_args = o.verifier_args;
  launch.cpu = o.verifier_cpu;
  auto verifier = VerifierProcess::Start(launch);
  if (!verifier.ok()) return fail(std::string(verifier.status().message()));
  VerifierProcess& vp = **verifier;
  g_child = vp.pid();
  std::fprintf(stderr,
               "vtpm-attest-loadgen: verifier pid %d on port %d, log %s\n",
               vp.pid(), vp.port(), vp.log_path().c_str());
  report.Str("verifier_command", "verifier command", vp.command_line());
  report.Str("verifier_log", "verifier log", vp.log_path());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  int64_t rss_base = StatusOrMinus1(ProcessStatusField(vp.pid(), "VmRSS"));

  // Agents.
  FleetOptions fo;
  fo.target = absl::StrCat("127.0.0.1:", vp.port());
  fo.tls_ca_pem = *tls_ca;
  fo.streams_per_connection = per;
  fo.connect_rate = o.connect_rate;
  auto fleet = std::make_unique<Fleet>(fo, std::move(*identities));
  auto verifier_dead = [&]() { return !vp.Alive(); };

  // (a) Enrollment.
  g_phase = "enrollment";
  fleet->SetPhase(Phase::kEnrollment);
  double cpu_v0 = ProcessCpuSeconds(vp.pid()).value_or(0);
  auto t_enroll = Clock::now();
  std::thread starter([&] { fleet->Start(); });
  auto enroll_deadline =
      t_enroll + std::chrono::duration_cast<Clock::duration>(
                     std::chrono::duration<double>(o.enroll_timeout));
  auto last_progress = t_enroll;
  bool died = false;
  while (fleet->counters().enrolled < static_cast<uint64_t>(o.agents)) {
    if (Clock::now() > enroll_deadline) break;
    if (verifier_dead()) {
      died = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (Clock::now() - last_progress > std::chrono::seconds(2)) {
      last_progress = Clock::now();
      FleetCounters c = fleet->counters();
      std::fprintf(stderr,
                   "  enrolling: %llu/%d enrolled, %llu streams open, %llu "
                   "non-PASS, verifier RSS %lld KiB\n",
                   static_cast<unsigned long long>(c.enrolled), o.agents,
                   static_cast<unsigned long long>(c.open_streams),
                   static_cast<unsigned long long>(c.verdicts_other),
                   static_cast<long long>(
                       StatusOrMinus1(ProcessStatusField(vp.pid(), "VmRSS"))));
    }
  }
  auto t_enrolled = Clock::now();
  starter.join();
  double cpu_v1 = ProcessCpuSeconds(vp.pid()).value_or(0);
  FleetCounters after_enroll = fleet->counters();
  double enroll_s = Seconds(t_enroll, t_enrolled);
  report.Section("(a) enrollment");
  report.Int("enrolled", "agents enrolled (first PASS)",
             static_cast<int64_t>(after_enroll.enrolled));
  report.Num("enroll_seconds", "time to enroll all (s)", enroll_s, "%.2f");
  report.Num("enrollments_per_s", "enrollments/s (wall)",
             after_enroll.enrolled / enroll_s, "%.0f");
  report.Num("enroll_verifier_cpu_s", "verifier CPU in phase (s)",
             cpu_v1 - cpu_v0, "%.2f");
  report.Num("enrollments_per_verifier_cpu_s",
             "enrollments per verifier CPU-second",
             after_enroll.enrolled / std::max(1e-9, cpu_v1 - cpu_v0), "%.0f");
  const LatencyHistogram& el = fleet->enrollment_latency();
  report.Num("enroll_latency_p50_ms", "stream start -> first PASS p50 (ms)",
             el.Percentile(0.5) / 1000, "%.1f");
  report.Num("enroll_latency_p99_ms", "stream start -> first PASS p99 (ms)",
             el.Percentile(0.99) / 1000, "%.1f");

  // (c) Memory with N streams.
  int64_t rss_connected = StatusOrMinus1(ProcessStatusField(vp.pid(), "VmRSS"));
  int64_t threads_connected =
      StatusOrMinus1(ProcessStatusField(vp.pid(), "Threads"));
  uint64_t open_connected = fleet->counters().open_streams;
  int64_t self_rss_connected =
      StatusOrMinus1(ProcessStatusField(getpid(), "VmRSS"));

  // (b) Steady state, or hold idle streams.
  const LatencyHistogram& lat = fleet->verdict_latency(Phase::kSteady);
  FleetCounters s0 = fleet->counters(), s1 = s0;
  double steady_s = 0, v_cpu = 0, self_cpu = 0;
  int64_t rows0 = -1, rows1 = -1, bytes0 = -1, bytes1 = -1;
  std::string db_error;
  if (!died && after_enroll.enrolled == static_cast<uint64_t>(o.agents)) {
    g_phase = o.idle_streams ? "idle hold" : "steady state";
    auto rows = CountVerdictRows(db);
    if (rows.ok())
      rows0 = *rows;
    else
      db_error = std::string(rows.status().message());
    bytes0 = SqliteBytes(db);
    fleet->SetPhase(Phase::kSteady);
    s0 = fleet->counters();
    double vc0 = ProcessCpuSeconds(vp.pid()).value_or(0);
    double sc0 = SelfCpuSeconds();
    auto t0 = Clock::now();
    auto end = t0 + std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double>(o.duration));
    while (Clock::now() < end) {
      if (verifier_dead()) {
        died = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    auto t1 = Clock::now();
    s1 = fleet->counters();
    if (!died) v_cpu = ProcessCpuSeconds(vp.pid()).value_or(0) - vc0;
    self_cpu = SelfCpuSeconds() - sc0;
    steady_s = Seconds(t0, t1);
    fleet->SetPhase(Phase::kDrain);
    rows = CountVerdictRows(db);
    if (rows.ok())
      rows1 = *rows;
    else
      db_error = std::string(rows.status().message());
    bytes1 = SqliteBytes(db);
  }
  uint64_t verdicts = (s1.verdicts_pass + s1.verdicts_other) -
                      (s0.verdicts_pass + s0.verdicts_other);
  uint64_t non_pass_total = s1.verdicts_other;
  int64_t rss_end =
      died ? -1 : StatusOrMinus1(ProcessStatusField(vp.pid(), "VmRSS"));
  int64_t hwm_end =
      died ? -1 : StatusOrMinus1(ProcessStatusField(vp.pid(), "VmHWM"));
  uint64_t open_end = s1.open_streams;

  if (!o.idle_streams) {
    report.Section("(b) steady state");
    report.Num("steady_seconds", "duration (s)", steady_s, "%.2f");
    report.Int("steady_verdicts", "verdicts observed by agents",
               static_cast<int64_t>(verdicts));
    report.Int("steady_non_pass", "non-PASS verdicts in phase",
               static_cast<int64_t>(s1.verdicts_other - s0.verdicts_other));
    report.Num("verdicts_per_s", "verdicts/s (wall)",
               steady_s > 0 ? verdicts / steady_s : 0, "%.0f");
    report.Num("verifier_cpu_s", "verifier CPU (utime+stime, s)", v_cpu,
               "%.2f");
    report.Num("verifier_cores_busy", "verifier cores busy (CPU s / wall s)",
               steady_s > 0 ? v_cpu / steady_s : 0, "%.2f");
    report.Num("attestations_per_s_per_core",
               "attestations/s per verifier core",
               verdicts / std::max(1e-9, v_cpu), "%.0f");
    report.Num("reference_ecdsa_verifies_per_s",
               "reference: OpenSSL ECDSA P-256 verifies/s, one core",
               reference_rate, "%.0f");
    report.Num("attestations_per_core_vs_reference",
               "attestations per core / reference",
               verdicts / std::max(1e-9, v_cpu) / std::max(1.0, reference_rate),
               "%.3f");
    report.Num("loadgen_cpu_s", "loadgen CPU (s)", self_cpu, "%.2f");
    report.Num("latency_p50_ms", "QuoteResponse -> Verdict p50 (ms)",
               lat.Percentile(0.5) / 1000, "%.2f");
    report.Num("latency_p90_ms", "QuoteResponse -> Verdict p90 (ms)",
               lat.Percentile(0.9) / 1000, "%.2f");
    report.Num("latency_p99_ms", "QuoteResponse -> Verdict p99 (ms)",
               lat.Percentile(0.99) / 1000, "%.2f");
    report.Num("latency_max_ms", "QuoteResponse -> Verdict max (ms)",
               lat.Max() / 1000, "%.2f");
  } else {
    report.Section("(b) idle streams");
    report.Num("hold_seconds", "held for (s)", steady_s, "%.2f");
    report.Int("max_concurrent_streams", "streams open at the end",
               static_cast<int64_t>(open_end));
    report.Num("reference_ecdsa_verifies_per_s",
               "reference: OpenSSL ECDSA P-256 verifies/s, one core",
               reference_rate, "%.0f");
    report.Num("attestations_per_core_vs_reference",
               "attestations per core / reference",
               verdicts / std::max(1e-9, v_cpu) / std::max(1.0, reference_rate),
               "%.3f");
    report.Num("loadgen_cpu_s", "loadgen CPU (s)", self_cpu, "%.2f");
    report.Num("verifier_cpu_s", "verifier CPU while idle (s)", v_cpu, "%.2f");
  }

  report.Section("(c) verifier memory");
  report.Int("rss_base_kib", "VmRSS before agents (KiB)", rss_base);
  report.Int("rss_connected_kib", "VmRSS with all streams enrolled (KiB)",
             rss_connected);
  report.Int("open_streams_connected", "streams open then",
             static_cast<int64_t>(open_connected));
  report.Num(
      "kib_per_stream", "KiB per stream",
      open_connected > 0 && rss_connected > 0
          ? static_cast<double>(rss_connected - rss_base) / open_connected
          : 0,
      "%.1f");
  report.Int("rss_end_kib", "VmRSS at the end (KiB)", rss_end);
  report.Int("hwm_end_kib", "VmHWM (peak, KiB)", hwm_end);
  report.Int("verifier_threads", "verifier threads with all streams",
             threads_connected);
  report.Int("loadgen_rss_connected_kib", "loadgen VmRSS then (KiB)",
             self_rss_connected);

  report.Section("(d) database");
  report.Str("db_kind", "backend", db.postgres ? "postgresql" : "sqlite");
  if (!db_error.empty()) report.Str("db_error", "row count error", db_error);
  report.Int("db_verdict_rows_start", "verdict rows at phase start", rows0);
  report.Int("db_verdict_rows_end", "verdict rows at phase end", rows1);
  report.Num("db_verdicts_written_per_s", "verdict rows written/s",
             rows0 >= 0 && rows1 >= 0 && steady_s > 0
                 ? (rows1 - rows0) / steady_s
                 : -1,
             "%.0f");
  if (!db.postgres) {
    report.Int("db_bytes_start", "SQLite db+wal bytes at phase start", bytes0);
    report.Int("db_bytes_end", "SQLite db+wal bytes at phase end", bytes1);
    report.Num("db_bytes_per_verdict", "bytes per verdict row",
               rows1 > rows0 && rows0 >= 0
                   ? static_cast<double>(bytes1 - bytes0) / (rows1 - rows0)
                   : -1,
               "%.0f");
  }

  // Shutdown.
  g_phase = "shutdown";
  uint64_t left = fleet->Stop(std::chrono::milliseconds(15000));
  auto t_stop = Clock::now();
  std::string ended = vp.Stop();
  double stop_s = Seconds(t_stop, Clock::now());
  g_child = -1;
  FleetCounters final_c = fleet->counters();
  report.Section("totals and health");
  report.Int("streams_started", "streams started",
             static_cast<int64_t>(final_c.streams_started));
  report.Int("streams_ended_early", "streams ended before shutdown",
             static_cast<int64_t>(s1.streams_ended));
  report.Int("verdicts_pass_total", "PASS verdicts (all phases)",
             static_cast<int64_t>(final_c.verdicts_pass));
  report.Int("non_pass_total", "non-PASS verdicts (all phases)",
             static_cast<int64_t>(non_pass_total));
  report.Int("agent_errors", "soft TPM errors",
             static_cast<int64_t>(final_c.agent_errors));
  report.Str("verifier_exit", "verifier ended",
             died ? "DIED during the run" : ended);
  report.Num("verifier_stop_seconds", "verifier SIGTERM -> exit (s)", stop_s,
             "%.2f");
  report.Int("streams_left_open", "streams still open after shutdown",
             static_cast<int64_t>(left));

  report.Print();
  auto failures = fleet->failures();
  if (!failures.empty()) {
    std::printf("\n== non-PASS verdicts and local errors\n");
    for (const auto& [what, n] : failures) {
      std::printf("  %8llu x %s\n", static_cast<unsigned long long>(n),
                  what.c_str());
    }
  }
  auto ends = fleet->stream_end_statuses();
  if (!ends.empty()) {
    std::printf("\n== streams that ended before shutdown\n");
    for (const auto& [what, n] : ends) {
      std::printf("  %8llu x %s\n", static_cast<unsigned long long>(n),
                  what.c_str());
    }
  }
  if (!o.json.empty()) {
    std::string json = report.Json();
    if (o.json == "-") {
      std::printf("%s", json.c_str());
    } else if (auto st = testing::WriteFile(o.json, json); !st.ok()) {
      std::fprintf(stderr, "vtpm-attest-loadgen: %s\n",
                   std::string(st.message()).c_str());
    }
  }
  std::fflush(stdout);

  std::vector<std::string> problems;
  if (died)
    problems.push_back(absl::StrCat("the verifier died; log: ", vp.log_path()));
  if (after_enroll.enrolled < static_cast<uint64_t>(o.agents)) {
    problems.push_back(absl::StrCat("only ", after_enroll.enrolled, " of ",
                                    o.agents, " agents enrolled within ",
                                    o.enroll_timeout, " s"));
  }
  if (non_pass_total > 0)
    problems.push_back(absl::StrCat(non_pass_total, " non-PASS verdicts"));
  if (final_c.agent_errors > 0) problems.push_back("soft TPM errors");
  if (!o.idle_streams && !died && verdicts == 0) {
    problems.push_back("no verdicts in the steady state");
  }
  if (left > 0) {
    // Streams still reference the fleet: do not destroy it.
    std::fprintf(stderr, "vtpm-attest-loadgen: %llu streams did not end\n",
                 static_cast<unsigned long long>(left));
    g_pg = nullptr;
    pg.reset();
    std::fflush(nullptr);
    _exit(1);
  }
  fleet.reset();
  g_pg = nullptr;
  pg.reset();
  if (!problems.empty()) {
    std::fprintf(stderr,
                 "vtpm-attest-loadgen: FAILED: %s\n(work directory kept: %s)\n",
                 absl::StrJoin(problems, "; ").c_str(), work.c_str());
    return 1;
  }
  if (!keep_work) std::filesystem::remove_all(work);
  return 0;
}

}  // namespace
}  // namespace vtpm::load

int main(int argc, char** argv) {
  vtpm::load::Options o;
  std::string default_bin =
      vtpm::testing::BinaryDir() + "/verifier/vtpm-attest-verifier";
  po::options_description desc("vtpm-attest-loadgen options");
  desc.add_options()("help,h", "show this help")(
      "agents", po::value(&o.agents)->default_value(o.agents),
      "simulated agents (each a distinct EK, AK, EK certificate, VM UUID)")(
      "duration", po::value(&o.duration)->default_value(o.duration),
      "seconds of steady state (or of holding idle streams)")(
      "db", po::value(&o.db),
      "database for the verifier: sqlite:PATH (default: a file in the work "
      "directory), a postgresql:// URL (passed through), or "
      "postgresql-private (a private PostgreSQL server started for the run "
      "with the test harness)")(
      "verifier-bin", po::value(&o.verifier_bin)->default_value(default_bin),
      "the vtpm-attest-verifier binary to start")(
      "verifier-arg", po::value(&o.verifier_args)->composing(),
      "extra argument for the verifier (repeatable), e.g. "
      "--verifier-arg=--nonce-ttl=60")(
      "streams-per-connection",
      po::value(&o.streams_per_connection)->default_value(1),
      "agents sharing one HTTP/2 connection (1: a connection per agent)")(
      "connect-rate", po::value(&o.connect_rate)->default_value(0),
      "agents started per second (0: all at once)")(
      "idle-streams", po::bool_switch(&o.idle_streams),
      "enroll, then hold the streams with a long quote interval to measure "
      "memory per stream and concurrent streams")(
      "interval", po::value(&o.interval)->default_value(0),
      "policy quote interval in seconds (default 1, or 3600 with "
      "--idle-streams)")("pcrs", po::value(&o.pcrs)->default_value(o.pcrs),
                         "PCR selection the policy quotes (PCRs 0-7 are pinned "
                         "to the image values)")(
      "setup-threads", po::value(&o.setup_threads)->default_value(0),
      "threads generating identities (0: nproc)")(
      "work-dir", po::value(&o.work_dir),
      "directory for generated files and the verifier log (kept); default a "
      "fresh /tmp/vtpm-loadgen-* removed after a successful run")(
      "keep", po::bool_switch(&o.keep), "keep the work directory")(
      "json", po::value(&o.json),
      "also write the report as JSON to this file ('-': stdout)")(
      "enroll-timeout", po::value(&o.enroll_timeout)->default_value(0),
      "seconds for all agents to get their first PASS (0: 60 + agents/200)")(
      "verifier-cpu", po::value(&o.verifier_cpu)->default_value(-1),
      "pin the verifier to this CPU and the load generator (and a private "
      "PostgreSQL) to the others, so the verifier has one core to itself "
      "(-1: no pinning)")(
      "deadline", po::value(&o.deadline)->default_value(0),
      "global deadline in seconds after which everything is killed (0: "
      "setup + enrollment timeout + duration + 120)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "vtpm-attest-loadgen: " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  if (o.agents <= 0 || o.duration < 0 || o.streams_per_connection <= 0) {
    std::cerr << "vtpm-attest-loadgen: --agents and --streams-per-connection "
                 "must be positive, --duration not negative\n";
    return 2;
  }
  if (o.enroll_timeout <= 0) o.enroll_timeout = 60 + o.agents / 200.0;
  if (o.deadline <= 0) {
    o.deadline = o.agents / 500.0 + o.enroll_timeout + o.duration + 120;
  }
  if (o.verifier_cpu >= 0) {
    // Before any thread starts: threads and children inherit the mask.
    absl::Status pinned = vtpm::load::PinToOtherCpus(o.verifier_cpu);
    if (!pinned.ok()) {
      std::cerr << "vtpm-attest-loadgen: " << pinned.message() << "\n";
      return 2;
    }
  }
  std::vector<std::string> args(argv, argv + argc);
  std::string command_line = absl::StrJoin(args, " ");
  std::printf("vtpm-attest-loadgen: %s\n", command_line.c_str());
  std::fflush(stdout);
  vtpm::load::StartWatchdog(o.deadline);
  return vtpm::load::Run(o, command_line);
}
