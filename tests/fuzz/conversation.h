// What fuzz_session and its seed generator share: the input format (a
// recorded agent side of one or more conversations), the verifier the
// messages are fed to, and how they are delivered.
//
// Input format: records, each a 4-byte big-endian header and a payload.
//  - Header with the top bit set: start a new session (a new agent stream)
//    on the same service; the other bits are ignored, no payload follows.
//  - Otherwise the header is the payload's length (taken as the rest of the
//    input when larger) and the payload one vtpm_attest.v1.AgentMessage in
//    protobuf wire format. A payload that does not parse is skipped, as the
//    gRPC layer would refuse it.
// The first session starts implicitly. Within an input, sessions share one
// AttestationService, so a second session sees what the first stored (an
// activated AK, the last clock).
#ifndef VTPM_TESTS_FUZZ_CONVERSATION_H_
#define VTPM_TESTS_FUZZ_CONVERSATION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "verifier/service/attestation_service.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::fuzz {

inline constexpr uint32_t kNewSessionBit = 0x80000000u;

struct ConversationRecord {
  bool new_session = false;
  absl::string_view payload;  // points into the input
};

// Splits any input into records (never fails; a truncated header is
// dropped).
std::vector<ConversationRecord> SplitConversation(absl::string_view input);

// Appends one record to an input being built.
void AppendMessage(const vtpm_attest::v1::AgentMessage& msg, std::string* out);
void AppendNewSession(std::string* out);

// The seed the deterministic generator is reset to before every input.
inline constexpr uint64_t kConversationRandSeed = 0x7674706d66757a7aull;

// The verifier every input talks to. The parts that are costly or durable
// are made once per process: the trust store (loaded from
// `trust_dir`/<platform>/*.pem), the policy set (one policy, "default",
// requiring an EK certificate with the EK EKU and quoting sha256:0-7) and
// an SQLite store in a fresh temporary directory (removed when the fixture
// is destroyed).
class SessionFixture {
 public:
  static absl::StatusOr<std::unique_ptr<SessionFixture>> Create(
      const std::string& trust_dir);
  ~SessionFixture();

  // A new service for one input: the fixture's trust store and policies,
  // an InputScopedStore over the SQLite store and a fresh nonce store.
  // Resets the deterministic generator to kConversationRandSeed.
  std::unique_ptr<verifier::AttestationService> NewInput();

  // The policy every agent gets, as JSON.
  static const char* PolicyJson();

 private:
  SessionFixture() = default;
  verifier::TrustStore trust_;
  std::optional<verifier::PolicySet> policies_;
  std::unique_ptr<verifier::Store> sqlite_;
  std::string temp_dir_;
};

// Hands `msg` to `session` the way the gRPC adapter does and returns the
// verifier's replies, followed by the next round's QuoteRequest when the
// session wants one (daemon mode; the adapter would wait the interval).
// The verifier's randomness comes from DeterministicRand during the call.
std::vector<vtpm_attest::v1::VerifierMessage> Deliver(
    verifier::AttestationSession& session,
    const vtpm_attest::v1::AgentMessage& msg);

}  // namespace vtpm::fuzz

#endif  // VTPM_TESTS_FUZZ_CONVERSATION_H_
