#include "tests/fuzz/conversation.h"

#include <stdlib.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "tests/fuzz/deterministic_rand.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/scoped_store.h"
#include "verifier/store/store.h"

namespace vtpm::fuzz {

using vtpm_attest::v1::AgentMessage;
using vtpm_attest::v1::VerifierMessage;

std::vector<ConversationRecord> SplitConversation(absl::string_view input) {
  std::vector<ConversationRecord> out;
  FuzzInput in(input);
  while (in.remaining() >= 4) {
    uint32_t header = in.U32();
    ConversationRecord r;
    if (header & kNewSessionBit) {
      r.new_session = true;
    } else {
      r.payload = in.Bytes(header);
    }
    out.push_back(r);
  }
  return out;
}

void AppendMessage(const AgentMessage& msg, std::string* out) {
  std::string wire = msg.SerializeAsString();
  AppendUint(wire.size(), 4, out);
  out->append(wire);
}

void AppendNewSession(std::string* out) { AppendUint(kNewSessionBit, 4, out); }

const char* SessionFixture::PolicyJson() {
  return R"json({
  "name": "default",
  "tpmFamily": "2.0",
  "requireEkCertificate": true,
  "requireEkEku": true,
  "quotePcrs": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": [0, 1, 2, 3, 4, 5, 6, 7]}],
  "quoteIntervalSeconds": 300
})json";
}

absl::StatusOr<std::unique_ptr<SessionFixture>> SessionFixture::Create(
    const std::string& trust_dir) {
  std::unique_ptr<SessionFixture> f(new SessionFixture());
  ASSIGN_OR_RETURN(f->trust_, verifier::TrustStore::LoadDirectory(trust_dir));
  ASSIGN_OR_RETURN(verifier::Policy policy,
                   verifier::ParsePolicy(PolicyJson(), "fuzz", "default"));
  ASSIGN_OR_RETURN(f->policies_,
                   verifier::PolicySet::FromPolicies({std::move(policy)}));
  const char* tmp = getenv("TMPDIR");
  std::string tmpl = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp",
                                  "/vtpm-fuzz-session-XXXXXX");
  if (mkdtemp(tmpl.data()) == nullptr) {
    return absl::InternalError("mkdtemp " + tmpl + " failed");
  }
  f->temp_dir_ = tmpl;
  ASSIGN_OR_RETURN(f->sqlite_,
                   verifier::OpenStore(f->temp_dir_ + "/verifier.db"));
  return f;
}

SessionFixture::~SessionFixture() {
  sqlite_.reset();
  if (!temp_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(temp_dir_, ec);
  }
}

std::unique_ptr<verifier::AttestationService> SessionFixture::NewInput() {
  DeterministicRand::Reset(kConversationRandSeed);
  return std::make_unique<verifier::AttestationService>(
      trust_, verifier::FixedPolicies(*policies_),
      std::make_shared<InputScopedStore>(sqlite_.get()),
      verifier::ServiceOptions{});
}

std::vector<VerifierMessage> Deliver(verifier::AttestationSession& session,
                                     const AgentMessage& msg) {
  ScopedDeterministicRand rand;
  std::vector<VerifierMessage> out;
  session.OnMessage(msg, &out);
  if (session.WantsNextRound()) out.push_back(session.NextRound());
  return out;
}

}  // namespace vtpm::fuzz
