// libFuzzer target, structure-aware: the whole Hello -> activation -> quote
// -> event log conversation of AttestationSession, where the fuzzer only
// chooses the event log and the harness keeps everything around it valid.
// A software TPM (tests/load/soft_tpm.h: an EK certified by a CA in the
// trust store, an AK, real credential activation) answers the verifier's
// challenge, and its quote covers exactly the PCR values the fuzzed log
// replays to, as if a guest had booted that log. So every input passes the
// EK, activation and quote checks and lands in the verifier's log path:
// replay, digest bases, boot state, repeated measurements, ExitBootServices
// and every boot rule of a policy learned from the real shim Secure Boot
// log (tests/data/eventlogs), under which that log passes.
//
// Input: one byte of choices, then the log.
//   bit 0: quote only PCRs 0-9 (not 14), so some logged PCRs are unverified
//   bit 1: daemon mode, two rounds on the stream (the second log is the
//          same)
//
// Invariants (abort on violation): a session gives exactly one verdict per
// round, with reasons exactly when it is not PASS; and a PASS never
// accepts a log with a PCR 4 extend the policy's allowedBootApplications
// cannot account for: every sha256 digest of a verified PCR 4 event is
// allowlisted, or the hash of its own data (events whose data is what was
// measured), whatever type the event claims. That is the property an
// attacker who retypes events breaks (docs/THREAT-MODEL.md, C).
//
// Run: fuzz_conversation -max_len=65536 NEW_DIR
//        tests/fuzz/corpus/fuzz_conversation
// VTPM_FUZZ_EXPECT_PASS=1 aborts unless every verdict is PASS (the
// real-log seeds must reach the end of every check, or fuzzing is shallow).
#include <openssl/err.h>
#include <openssl/sha.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "common/eventlog/event_log.h"
#include "common/eventlog/replay.h"
#include "common/pcr_selection.h"
#include "google/protobuf/stubs/logging.h"
#include "tests/fuzz/deterministic_rand.h"
#include "tests/fuzz/scoped_store.h"
#include "tests/load/soft_tpm.h"
#include "verifier/policy/boot_evidence.h"
#include "verifier/policy/policy_learn.h"
#include "verifier/service/attestation_service.h"

#ifndef VTPM_FUZZ_SOURCE_DIR
#error "VTPM_FUZZ_SOURCE_DIR must name the source tree"
#endif

namespace {

namespace v1 = vtpm_attest::v1;
namespace ev = vtpm::eventlog;
using vtpm::verifier::Policy;

void Check(bool ok, const char* what) {
  if (ok) return;
  fprintf(stderr, "fuzz_conversation: invariant violated: %s\n", what);
  abort();
}

void Die(const std::string& what) {
  fprintf(stderr, "fuzz_conversation: %s\n", what.c_str());
  abort();
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Sha256(const std::string& data) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d);
  return std::string(reinterpret_cast<char*>(d), sizeof(d));
}

std::string Hex(const std::string& raw) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

struct Fixture {
  std::string dir;
  std::unique_ptr<vtpm::load::SoftEkCa> ca;
  std::unique_ptr<vtpm::load::SoftTpm> tpm;
  vtpm::verifier::TrustStore trust;
  vtpm::verifier::PolicySet policies;
  Policy golden;
  std::unique_ptr<vtpm::verifier::Store> sqlite;
};

// The golden policy: learned by the verifier's own code from the real
// shim Secure Boot log, replayed against its own values.
Policy LearnGolden(const std::string& log) {
  auto parsed = ev::ParseEventLog(log);
  if (!parsed.ok()) Die(parsed.status().ToString());
  auto pcrs = ev::Replay(*parsed);
  if (!pcrs.ok()) Die(pcrs.status().ToString());
  Policy probe;
  auto vb = vtpm::verifier::VerifyEventLog(
      log, *pcrs, vtpm::verifier::ExtractOptionsForPolicy(probe));
  if (!vb.ok()) Die(vb.status().ToString());
  vtpm::verifier::LearnOptions opts;
  opts.name = "golden";
  opts.match_labels = {{"image", "golden"}};
  auto learned = vtpm::verifier::LearnPolicy(vb->state, opts);
  if (!learned.ok()) Die(learned.status().ToString());
  return *learned;
}

Fixture& GetFixture() {
  static Fixture* f = [] {
    auto* fx = new Fixture();
    const char* tmp = getenv("TMPDIR");
    std::string tmpl = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") +
                       "/vtpm-fuzz-conversation-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) Die("mkdtemp failed");
    fx->dir = tmpl;
    auto ca = vtpm::load::SoftEkCa::Create("fuzz EK CA");
    if (!ca.ok()) Die(ca.status().ToString());
    fx->ca = *std::move(ca);
    vtpm::load::SoftTpmOptions o;
    o.ek_cert_cn = "fuzz-agent";
    auto tpm = vtpm::load::SoftTpm::Create(*fx->ca, o);
    if (!tpm.ok()) Die(tpm.status().ToString());
    fx->tpm = *std::move(tpm);
    std::filesystem::create_directories(fx->dir + "/trust/fuzz");
    std::ofstream(fx->dir + "/trust/fuzz/ca.pem") << fx->ca->cert_pem();
    auto trust = vtpm::verifier::TrustStore::LoadDirectory(fx->dir + "/trust");
    if (!trust.ok()) Die(trust.status().ToString());
    fx->trust = *std::move(trust);
    fx->golden =
        LearnGolden(ReadAll(std::string(VTPM_FUZZ_SOURCE_DIR) +
                            "/tests/data/eventlogs/ovmf-shim-secboot-crb/"
                            "binary_bios_measurements"));
    auto set = vtpm::verifier::PolicySet::FromPolicies({fx->golden});
    if (!set.ok()) Die(set.status().ToString());
    fx->policies = *std::move(set);
    auto store = vtpm::verifier::OpenStore(fx->dir + "/verifier.db");
    if (!store.ok()) Die(store.status().ToString());
    fx->sqlite = *std::move(store);
    return fx;
  }();
  return *f;
}

// The oracle of the header comment, on the log as parsed.
void CheckPcr4Accounted(const Policy& policy, const std::string& log,
                        const v1::QuoteRequest& request) {
  auto parsed = ev::ParseEventLog(log);
  if (!parsed.ok()) return;
  bool pcr4_quoted = false;
  for (const auto& sel : request.selection()) {
    if (sel.hash() != v1::HASH_ALGORITHM_SHA256) continue;
    for (uint32_t p : sel.pcrs()) pcr4_quoted |= p == 4;
  }
  if (!pcr4_quoted) return;
  std::set<std::string> allowed(
      policy.boot().allowed_boot_applications().begin(),
      policy.boot().allowed_boot_applications().end());
  for (const ev::Event& e : parsed->events) {
    if (e.pcr != 4 || e.type == ev::EV_NO_ACTION) continue;
    const std::string* d = e.DigestFor(TPM2_ALG_SHA256);
    if (d == nullptr) continue;
    Check(allowed.count(Hex(*d)) != 0 || *d == Sha256(e.data),
          "PASS with a PCR 4 extend neither allowlisted nor its data's hash");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  GetFixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  Fixture& f = GetFixture();
  const uint8_t choices = data[0];
  const std::string log(reinterpret_cast<const char*>(data + 1), size - 1);

  // The guest booted this log: the TPM's PCRs are what it replays to.
  std::vector<std::pair<TPMI_ALG_HASH, uint32_t>> set_pcrs;
  if (auto parsed = ev::ParseEventLog(log); parsed.ok()) {
    if (auto replayed = ev::Replay(*parsed); replayed.ok()) {
      for (const auto& [bank, values] : *replayed) {
        for (const auto& [pcr, value] : values) {
          f.tpm->SetPcrValue(bank, pcr, value);
          set_pcrs.emplace_back(bank, pcr);
        }
      }
    }
  }

  Policy policy = f.golden;
  if ((choices & 1) && policy.quote_pcrs_size() > 0) {
    auto* sel = policy.mutable_quote_pcrs(0);
    sel->clear_pcrs();
    for (uint32_t p = 0; p <= 9; ++p) sel->add_pcrs(p);
  }
  auto set = vtpm::verifier::PolicySet::FromPolicies({policy});
  if (!set.ok()) return 0;
  const bool daemon = (choices & 2) != 0;

  vtpm::fuzz::DeterministicRand::Reset(size);
  vtpm::fuzz::ScopedDeterministicRand rand;
  vtpm::verifier::ServiceOptions options;
  options.keep_failed_evidence = true;
  vtpm::verifier::AttestationService service(
      f.trust, vtpm::verifier::FixedPolicies(*std::move(set)),
      std::make_shared<vtpm::fuzz::InputScopedStore>(f.sqlite.get()), options);
  auto session = service.NewSession("ipv4:10.0.0.1:40000");

  v1::AgentMessage hello;
  auto* h = hello.mutable_hello();
  h->set_agent_version("fuzz");
  h->set_mode(daemon ? v1::Hello::MODE_DAEMON : v1::Hello::MODE_ONCE);
  h->mutable_host()->set_os("linux");
  h->mutable_host()->set_hostname("fuzz");
  h->mutable_host()->set_vm_uuid("f0220000-0000-4000-8000-000000000001");
  h->mutable_tpm()->set_family("2.0");
  h->mutable_ek()->set_public_area(f.tpm->ek_public());
  h->mutable_ek()->set_certificate(f.tpm->ek_cert_der());
  h->mutable_ak()->set_public_area(f.tpm->ak_public());
  h->mutable_ak()->set_name(f.tpm->ak_name());
  (*h->mutable_labels())["image"] = "golden";

  static const bool expect_pass = getenv("VTPM_FUZZ_EXPECT_PASS") != nullptr;
  int verdicts = 0;
  v1::QuoteRequest last_request;
  auto judge = [&](const v1::Verdict& v) {
    ++verdicts;
    Check(v.result() != v1::RESULT_UNSPECIFIED, "verdict without result");
    Check((v.result() == v1::RESULT_PASS) == (v.reasons_size() == 0),
          "reasons exactly when not PASS");
    if (expect_pass && v.result() != v1::RESULT_PASS) {
      fprintf(stderr, "fuzz_conversation: expected PASS: %s\n",
              v.DebugString().c_str());
      abort();
    }
    if (v.result() == v1::RESULT_PASS) {
      CheckPcr4Accounted(policy, log, last_request);
    }
  };
  std::vector<v1::VerifierMessage> out;
  session->OnMessage(hello, &out);
  const int rounds = daemon ? 2 : 1;
  for (int step = 0; step < 8 && !out.empty(); ++step) {
    v1::VerifierMessage m = out.front();
    out.erase(out.begin());
    v1::AgentMessage reply;
    if (m.has_credential_challenge()) {
      auto secret = f.tpm->ActivateCredential(
          m.credential_challenge().credential_blob(),
          m.credential_challenge().encrypted_secret());
      Check(secret.ok(), "activation by the certified soft TPM failed");
      reply.mutable_activation_answer()->set_secret(*secret);
    } else if (m.has_quote_request()) {
      auto answer = f.tpm->Answer(m.quote_request());
      Check(answer.ok(), "the soft TPM could not quote");
      answer->set_event_log(log);
      *reply.mutable_quote_response() = *std::move(answer);
      last_request = m.quote_request();
      std::vector<v1::VerifierMessage> next;
      session->OnMessage(reply, &next);
      for (auto& n : next) {
        if (n.has_verdict()) {
          judge(n.verdict());
        } else {
          out.push_back(std::move(n));
        }
      }
      if (verdicts < rounds && session->WantsNextRound()) {
        out.push_back(session->NextRound());
      }
      continue;
    } else if (m.has_verdict()) {
      judge(m.verdict());
      continue;
    }
    session->OnMessage(reply, &out);
  }
  Check(verdicts >= 1, "a conversation of a valid TPM ended without verdict");
  for (const auto& [bank, pcr] : set_pcrs) f.tpm->SetPcrValue(bank, pcr, "");
  ERR_clear_error();
  return 0;
}
