// libFuzzer target: the whole transport-free verifier conversation
// (verifier/service/attestation_service.h). The input is the agent's side
// of one or more streams (format: conversation.h); every AgentMessage is
// fed to an AttestationSession of a verifier whose trust store holds the CA
// of the seed corpus (tests/fuzz/data/trust, written by fuzz_make_seeds),
// with one default policy and an SQLite store in a temporary directory.
//
// The verifier's randomness is deterministic and restarts with every input
// (deterministic_rand.h), so the recorded seed conversations, made against
// a real swtpm by fuzz_make_seeds, replay to a PASS verdict and mutations
// reach every step: Hello checks, EK certificate, credential challenge,
// activation, quote, policy, storage.
//
// Invariants checked (abort on violation):
//  - a session ends (done()) exactly when it sent a once-mode verdict or a
//    failure, and sends nothing after that;
//  - every verdict has a result, an id, and reasons exactly when it is not
//    PASS.
//
// Run: fuzz_session -max_len=16384 tests/fuzz/corpus/fuzz_session
// VTPM_FUZZ_TRUST_DIR overrides the trust store directory;
// VTPM_FUZZ_VERBOSE=1 prints every verdict (to see a seed replay to PASS).
#include <openssl/err.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "google/protobuf/stubs/logging.h"
#include "tests/fuzz/conversation.h"

#ifndef VTPM_FUZZ_DATA_DIR
#error "VTPM_FUZZ_DATA_DIR must name tests/fuzz/data"
#endif

namespace {

using vtpm_attest::v1::AgentMessage;
using vtpm_attest::v1::VerifierMessage;

void Check(bool ok, const char* what) {
  if (ok) return;
  fprintf(stderr, "fuzz_session: invariant violated: %s\n", what);
  abort();
}

vtpm::fuzz::SessionFixture& GetFixture() {
  static std::unique_ptr<vtpm::fuzz::SessionFixture> f = [] {
    const char* dir = getenv("VTPM_FUZZ_TRUST_DIR");
    std::string trust =
        dir != nullptr ? dir : std::string(VTPM_FUZZ_DATA_DIR) + "/trust";
    auto made = vtpm::fuzz::SessionFixture::Create(trust);
    if (!made.ok()) {
      fprintf(stderr, "fuzz_session: %s\n", made.status().ToString().c_str());
      abort();
    }
    return *std::move(made);
  }();
  return *f;
}

void CheckReplies(const vtpm::verifier::AttestationSession& session,
                  const std::vector<VerifierMessage>& out) {
  bool verdict_sent = false;
  for (const auto& m : out) {
    Check(m.msg_case() != VerifierMessage::MSG_NOT_SET,
          "the verifier sends no empty message");
    if (!m.has_verdict()) continue;
    verdict_sent = true;
    const auto& v = m.verdict();
    static const bool verbose = getenv("VTPM_FUZZ_VERBOSE") != nullptr;
    if (verbose) {
      fprintf(stderr, "fuzz_session: verdict %s\n",
              v.ShortDebugString().c_str());
    }
    Check(v.result() != vtpm_attest::v1::RESULT_UNSPECIFIED,
          "a verdict has a result");
    Check(!v.verdict_id().empty(), "a verdict has an id");
    Check(
        (v.result() == vtpm_attest::v1::RESULT_PASS) == (v.reasons_size() == 0),
        "a verdict has reasons exactly when it is not PASS");
  }
  if (session.done()) Check(verdict_sent, "a session ends with a verdict");
}

}  // namespace

// tpm2-tss logs every unmarshal failure and protobuf every string field
// with invalid UTF-8 to stderr; silence both (the verifier reports the
// failure itself) unless TSS2_LOG / VTPM_FUZZ_VERBOSE is set.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  setenv("TSS2_LOG", "all+NONE", /*overwrite=*/0);
  if (getenv("VTPM_FUZZ_VERBOSE") == nullptr) {
    google::protobuf::SetLogHandler(nullptr);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vtpm::fuzz::SessionFixture& fixture = GetFixture();
  auto records = vtpm::fuzz::SplitConversation(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  auto service = fixture.NewInput();
  auto session = service->NewSession("fuzz");
  for (const auto& record : records) {
    if (record.new_session) {
      session = service->NewSession("fuzz");
      continue;
    }
    if (session->done()) continue;  // the adapter closed this stream
    AgentMessage msg;
    if (!msg.ParseFromArray(record.payload.data(),
                            static_cast<int>(record.payload.size()))) {
      continue;
    }
    auto out = vtpm::fuzz::Deliver(*session, msg);
    CheckReplies(*session, out);
  }
  ERR_clear_error();
  return 0;
}
