// Attacks through what the agent sends, end to end with the real agent, a
// real swtpm and the in-process verifier over TLS: PCR values the quote's
// signature does not cover, unknown fields, oversized Hellos, guest text
// with terminal control characters, TPM facts the guest claims, a VM UUID
// in another case, and a peer over its stream rate. Each fails with its
// own reason code, and nothing the peer has not proven is recorded.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/pcr_selection.h"
#include "tests/adversarial/attack_util.h"
#include "tests/e2e/e2e_fixture.h"
#include "verifier/store/store.h"

namespace vtpm::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
namespace v1 = vtpm_attest::v1;

constexpr char kVm[] = "1a2b0000-0000-4000-8000-000000000001";

class SessionInputTest : public E2eTest {
 protected:
  std::unique_ptr<verifier::Store> Store() {
    auto s = verifier::OpenStore(dir_.Sub("verifier.db"));
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }
  // Nothing was recorded about the EK the verdict names.
  void ExpectNothingRecorded(const v1::Verdict& v) {
    auto store = Store();
    ASSERT_NE(store, nullptr);
    auto id = store->GetIdentity(v.identity().ek_fingerprint());
    ASSERT_TRUE(id.ok());
    EXPECT_FALSE(id->has_value()) << "identity recorded before proof";
    verifier::VerdictQuery q;
    q.ek_fingerprint = v.identity().ek_fingerprint();
    auto stored = store->QueryVerdicts(q);
    ASSERT_TRUE(stored.ok());
    EXPECT_TRUE(stored->empty()) << "verdict stored before proof";
    auto evidence = store->GetFailedEvidence(v.verdict_id());
    ASSERT_TRUE(evidence.ok());
    EXPECT_FALSE(evidence->has_value()) << "raw evidence kept before proof";
  }
};

// Class 7: only what the signature covers is evidence.
TEST_F(SessionInputTest, PcrValuesBeyondTheSignedSelectionAreRefused) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  // The default policy quotes sha256:0-7. Add PCR 16 and a sha1 bank.
  for (int variant = 0; variant < 2; ++variant) {
    Tamper t;
    t.to_verifier = [variant](v1::AgentMessage* m) {
      if (!m->has_quote_response()) return;
      auto* q = m->mutable_quote_response();
      if (variant == 0) {
        (*q->mutable_pcrs(0)->mutable_values())[16] = std::string(32, '\x16');
      } else {
        auto* bank = q->add_pcrs();
        bank->set_hash(v1::HASH_ALGORITHM_SHA1);
        (*bank->mutable_values())[0] = std::string(20, '\x01');
      }
    };
    RunResult run = Run(*a, t);
    ASSERT_TRUE(run.verdict.has_value()) << run.status.error_message();
    EXPECT_THAT(Codes(*run.verdict), ElementsAre(v1::PCR_VALUES_UNQUOTED))
        << run.verdict->DebugString();
  }
  // A genuine verdict stores exactly the signed values.
  RunResult run = Run(*a);
  ASSERT_TRUE(run.verdict.has_value());
  ASSERT_EQ(run.verdict->result(), v1::RESULT_PASS);
  auto store = Store();
  verifier::VerdictQuery q;
  q.ek_fingerprint = run.verdict->identity().ek_fingerprint();
  auto stored = store->QueryVerdicts(q);
  ASSERT_TRUE(stored.ok());
  ASSERT_FALSE(stored->empty());
  for (const auto& v : *stored) {
    for (const auto& bank : v.evidence().quoted_pcrs()) {
      EXPECT_EQ(bank.hash(), v1::HASH_ALGORITHM_SHA256);
      for (const auto& [pcr, value] : bank.values()) EXPECT_LT(pcr, 8u);
    }
  }
}

// Class 9: unknown fields are refused in every message, and are never
// stored as raw evidence.
TEST_F(SessionInputTest, UnknownFieldsAreRefused) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  Tamper in_hello;
  in_hello.hello = [](v1::Hello* h) {
    auto* tpm = h->mutable_tpm();
    tpm->GetReflection()->MutableUnknownFields(tpm)->AddLengthDelimited(
        4242, std::string(1000, 'x'));
  };
  RunResult run = Run(*a, in_hello);
  ASSERT_TRUE(run.verdict.has_value()) << run.status.error_message();
  EXPECT_THAT(Codes(*run.verdict),
              ElementsAre(v1::MALFORMED_MESSAGE, v1::UNAUTHENTICATED_ATTEMPT));
  EXPECT_THAT(run.verdict->reasons(0).message(), HasSubstr("hello.tpm"));
  ExpectNothingRecorded(*run.verdict);

  // In the quote response of a peer that proved possession by activation:
  // a FAIL on its record, its evidence kept without the unknown bytes.
  Tamper in_quote;
  in_quote.to_verifier = [](v1::AgentMessage* m) {
    if (!m->has_quote_response()) return;
    auto* q = m->mutable_quote_response();
    q->GetReflection()->MutableUnknownFields(q)->AddLengthDelimited(
        77, std::string(100000, 'y'));
  };
  run = Run(*a, in_quote);
  ASSERT_TRUE(run.verdict.has_value());
  EXPECT_THAT(Codes(*run.verdict), ElementsAre(v1::MALFORMED_MESSAGE));
  auto evidence = Store()->GetFailedEvidence(run.verdict->verdict_id());
  ASSERT_TRUE(evidence.ok() && evidence->has_value());
  EXPECT_LT((*evidence)->quote_response.size(), 100000u);
}

// Class 9: the Hello as a whole is bounded, far below gRPC's 4 MiB.
TEST_F(SessionInputTest, OversizedHelloIsRefusedAndNotKept) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  Tamper t;
  t.hello = [](v1::Hello* h) {
    for (int i = 0; i < 8; ++i) {
      h->mutable_ek()->add_chain_certificates(std::string(16 << 10, '\x30'));
    }
  };
  RunResult run = Run(*a, t);
  ASSERT_TRUE(run.verdict.has_value()) << run.status.error_message();
  EXPECT_THAT(Codes(*run.verdict),
              ElementsAre(v1::OVERSIZED_MESSAGE, v1::UNAUTHENTICATED_ATTEMPT));
  EXPECT_THAT(run.verdict->reasons(0).message(), HasSubstr("(whole message)"));
  ExpectNothingRecorded(*run.verdict);
}

// Class 10: guest text is validated where it enters.
TEST_F(SessionInputTest, GuestTextWithControlCharactersIsRefused) {
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  const std::vector<std::function<void(v1::Hello*)>> hostile = {
      [](v1::Hello* h) { h->mutable_host()->set_hostname("vm\r\x1b[2KPASS"); },
      [](v1::Hello* h) {
        (*h->mutable_labels())["image"] = "\x1b]0;pwned\x07";
      },
      [](v1::Hello* h) {
        (*h->mutable_labels())["t"] = "\x1b]52;c;cm0gLXJmIH4K\x07";
      },
      [](v1::Hello* h) { (*h->mutable_labels())["a\rb"] = "v"; },
  };
  for (const auto& mutate : hostile) {
    Tamper t;
    t.hello = mutate;
    RunResult run = Run(*a, t);
    ASSERT_TRUE(run.verdict.has_value()) << run.status.error_message();
    EXPECT_THAT(Codes(*run.verdict),
                ElementsAre(v1::INVALID_TEXT, v1::UNAUTHENTICATED_ATTEMPT));
    ExpectNothingRecorded(*run.verdict);
    for (char c : run.verdict->reasons(0).message()) {
      EXPECT_TRUE(c >= 0x20 && c < 0x7f) << run.verdict->reasons(0).message();
    }
  }
}

// Class 5: policy judges the manufacturer the EK certificate certifies,
// not the one the guest reports.
TEST_F(SessionInputTest, ClaimedTpmManufacturerIsNotJudged) {
  WritePolicy(R"json({"name": "hw", "allowedTpmManufacturers": ["IFX"]})json");
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  Tamper claim_ifx;
  claim_ifx.hello = [](v1::Hello* h) {
    h->mutable_tpm()->set_manufacturer("IFX");
    h->mutable_tpm()->set_vendor("SLB9670");
  };
  RunResult run = Run(*a, claim_ifx);
  ASSERT_TRUE(run.verdict.has_value()) << run.status.error_message();
  EXPECT_THAT(Codes(*run.verdict), ElementsAre(v1::POLICY_TPM_MANUFACTURER));
  EXPECT_THAT(run.verdict->reasons(0).message(), HasSubstr("id:00001014"));

  // The policy names what the certificate says; the guest claims anything.
  WritePolicy(R"json({"name": "swtpm",
      "allowedTpmManufacturers": ["id:00001014"],
      "allowedTpmModels": ["id:00001014:swtpm"]})json");
  verifier_.reset();
  StartVerifier();
  Tamper claim_other;
  claim_other.hello = [](v1::Hello* h) {
    h->mutable_tpm()->set_manufacturer("XYZ");
    h->mutable_tpm()->set_vendor("nothing");
  };
  run = Run(*a, claim_other);
  ASSERT_TRUE(run.verdict.has_value());
  EXPECT_EQ(run.verdict->result(), v1::RESULT_PASS)
      << run.verdict->DebugString();
}

// Class 3: the VM UUID's case cannot dodge the identity rules.
TEST_F(SessionInputTest, VmUuidInAnotherCaseIsTheSameVm) {
  StartVerifier();
  SetVmUuid(kVm);
  auto first = MakeAttestor(*tpm_);
  ASSERT_NE(first, nullptr);
  ASSERT_EQ(Run(*first).verdict->result(), v1::RESULT_PASS);
  auto other_tpm = Swtpm::Start(dir_.Sub("tpm2"), *ca_);
  ASSERT_TRUE(other_tpm.ok()) << other_tpm.status();
  auto clone = MakeAttestor(**other_tpm, agent::AkAlgorithm::kEccP256,
                            agent::EkAlgorithm::kAuto, "clone-state");
  ASSERT_NE(clone, nullptr);
  Tamper upper;
  upper.hello = [](v1::Hello* h) {
    h->mutable_host()->set_vm_uuid(absl::AsciiStrToUpper(kVm));
  };
  RunResult run = Run(*clone, upper);
  ASSERT_TRUE(run.verdict.has_value());
  EXPECT_THAT(Codes(*run.verdict), ElementsAre(v1::EK_CHANGED));
  EXPECT_EQ(run.verdict->identity().vm_uuid(), kVm);
}

// Class 9: a peer over its stream rate gets its own reason, and nothing
// is recorded.
TEST_F(SessionInputTest, PeerOverItsStreamRateIsRateLimited) {
  StartVerifier([](verifier::VerifierConfig* c) {
    c->service.peer_limits.streams_per_second_per_peer = 0.01;
    c->service.peer_limits.stream_burst_per_peer = 1;
  });
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(Run(*a).verdict->result(), v1::RESULT_PASS);
  RunResult run = Run(*a);
  ASSERT_TRUE(run.verdict.has_value()) << run.status.error_message();
  EXPECT_THAT(Codes(*run.verdict),
              ElementsAre(v1::RATE_LIMITED, v1::UNAUTHENTICATED_ATTEMPT));
  EXPECT_THAT(run.verdict->reasons(0).message(),
              HasSubstr("127.0.0.1 opens streams faster"));
  // The earlier PASS is the only verdict on record.
  verifier::VerdictQuery q;
  auto stored = Store()->QueryVerdicts(q);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->size(), 1u);
}

// Class 9, at the transport: a connection that never completes its TLS
// handshake is closed after 10 s instead of holding a descriptor for gRPC's
// default of 120 s.
TEST_F(SessionInputTest, SilentConnectionIsClosedAfterTheHandshakeTimeout) {
  StartVerifier();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(verifier_->port()));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  timeval tv = {30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  auto start = std::chrono::steady_clock::now();
  char buf[64];
  ssize_t n = read(fd, buf, sizeof(buf));
  double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  close(fd);
  EXPECT_LE(n, 0) << "the verifier sent bytes to a silent client";
  EXPECT_GE(waited, 5.0);
  EXPECT_LT(waited, 20.0) << "the silent connection was kept";
}

}  // namespace
}  // namespace vtpm::testing
