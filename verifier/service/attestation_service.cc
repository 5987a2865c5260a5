#include "verifier/service/attestation_service.h"

#include <openssl/rand.h>
#include <tss2/tss2_mu.h>

#include <map>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/crypto/make_credential.h"
#include "common/hex.h"
#include "common/ossl.h"
#include "common/reason.h"
#include "common/status_macros.h"
#include "common/tpm_alg.h"
#include "common/tpm_public.h"
#include "common/tpm_vendor.h"
#include "verifier/ek/ek_certificate.h"
#include "verifier/policy/boot_evidence.h"
#include "verifier/quote/quote_verifier.h"
#include "verifier/service/hello_checks.h"
#include "verifier/service/limits.h"
#include "verifier/service/message_checks.h"
#include "verifier/service/verdict_id.h"

namespace vtpm::verifier {
namespace {

using vtpm_attest::v1::AgentMessage;
using vtpm_attest::v1::Reason;
using vtpm_attest::v1::VerifierMessage;

constexpr size_t kCredentialBytes = 32;

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                 static_cast<int>(n)) != 1) {
    // RAND_bytes fails only when the DRBG cannot be seeded; never hand out
    // a predictable value.
    abort();
  }
  return out;
}

// Size limits on a quote response, before anything is parsed.
absl::Status CheckQuoteSizes(const vtpm_attest::v1::QuoteResponse& q) {
  auto limit = [](absl::string_view field, size_t size, size_t max) {
    if (size <= max) return absl::OkStatus();
    return ReasonError(vtpm_attest::v1::OVERSIZED_MESSAGE,
                       absl::StrFormat("QuoteResponse.%s is %d bytes; the "
                                       "limit is %d",
                                       field, size, max));
  };
  RETURN_IF_ERROR(limit("attest", q.attest().size(), kMaxAttestBytes));
  RETURN_IF_ERROR(limit("signature", q.signature().size(), kMaxSignatureBytes));
  RETURN_IF_ERROR(limit("event_log", q.event_log().size(), kMaxEventLogBytes));
  RETURN_IF_ERROR(limit("pcrs (banks)", q.pcrs_size(), kMaxQuoteBanks));
  for (const auto& bank : q.pcrs()) {
    RETURN_IF_ERROR(
        limit("pcrs[].values (count)", bank.values_size(), kMaxPcrsPerBank));
  }
  return absl::OkStatus();
}

// True when the trace shows the signature verified and the quote carries
// the expected nonce: only the holder of the AK's TPM can have signed it.
bool SignedOverNonce(const std::vector<QuoteCheckResult>& trace) {
  for (const auto& c : trace) {
    if (c.check == QuoteCheck::kNonce) return c.status.ok();
  }
  return false;
}

// PCR_VALUES_UNQUOTED when `sent` holds a value outside `signed_values`
// (the quote's selection): another PCR, or a whole bank.
absl::Status CheckOnlyQuotedPcrs(const PcrValues& sent,
                                 const PcrValues& signed_values) {
  for (const auto& [bank, values] : sent) {
    auto covered = signed_values.find(bank);
    for (const auto& [pcr, value] : values) {
      if (covered == signed_values.end() || covered->second.count(pcr) == 0) {
        return ReasonError(
            vtpm_attest::v1::PCR_VALUES_UNQUOTED,
            absl::StrCat("QuoteResponse.pcrs holds ", HashAlgName(bank), ":",
                         pcr,
                         ", which the quote's signed selection does "
                         "not cover: only signed values are evidence"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

PolicySource FixedPolicies(PolicySet policies) {
  auto set = std::make_shared<const PolicySet>(std::move(policies));
  return [set] { return set; };
}

AttestationService::AttestationService(TrustStore trust, PolicySource policies,
                                       std::shared_ptr<Store> store,
                                       ServiceOptions options,
                                       ServiceObserver* observer)
    : trust_(std::move(trust)),
      policies_(std::move(policies)),
      store_(std::move(store)),
      options_(options),
      observer_(observer),
      nonces_(absl::Seconds(options.nonce_ttl.count())),
      peers_(options.peer_limits),
      prepared_aks_(options.prepared_ak_cache_size) {}

AttestationService::~AttestationService() = default;

std::unique_ptr<AttestationSession> AttestationService::NewSession(
    std::string peer) {
  return std::make_unique<AttestationSession>(this, std::move(peer));
}

AttestationSession::AttestationSession(AttestationService* service,
                                       std::string peer)
    : service_(service),
      peer_(std::move(peer)),
      peer_address_(PeerAddress(peer_)),
      session_key_(absl::StrCat("session-", service->next_session_++)) {}

void AttestationSession::Start(std::vector<VerifierMessage>* out) {
  if (started_) return;
  started_ = true;
  auto ticket = service_->peers_.Admit(peer_address_);
  if (!ticket.ok()) {
    Fail(ticket.status(), out);
    return;
  }
  ticket_ = *std::move(ticket);
}

std::chrono::seconds AttestationSession::quote_interval() const {
  uint32_t s = policy_ != nullptr ? policy_->quote_interval_seconds() : 0;
  if (s == 0) s = service_->options_.default_quote_interval_seconds;
  return std::chrono::seconds(s);
}

std::chrono::milliseconds AttestationSession::NextRoundDelay() const {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  double j = std::clamp(service_->options_.quote_interval_jitter, 0.0, 0.5);
  std::uniform_real_distribution<double> factor(1.0 - j, 1.0 + j);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(quote_interval());
  return std::chrono::milliseconds(
      static_cast<int64_t>(static_cast<double>(ms.count()) * factor(rng)));
}

int64_t AttestationSession::NextDueUnix() const {
  if (!daemon_) return 0;
  auto due = 2 * quote_interval() + service_->options_.stale_grace;
  return absl::ToUnixSeconds(absl::Now()) + due.count();
}

void AttestationSession::OnMessage(const AgentMessage& msg,
                                   std::vector<VerifierMessage>* out) {
  if (!started_) Start(out);
  if (state_ == State::kDone) return;
  received_at_ = absl::Now();
  absl::Status status = CheckNoUnknownFields(msg);
  if (!status.ok()) {
    Fail(status, out);
    return;
  }
  switch (msg.msg_case()) {
    case AgentMessage::kHello:
      status = state_ == State::kAwaitHello
                   ? HandleHello(msg.hello(), out)
                   : ReasonError(vtpm_attest::v1::PROTOCOL_VIOLATION,
                                 "second Hello on one stream");
      break;
    case AgentMessage::kActivationAnswer:
      status = state_ == State::kAwaitActivation
                   ? HandleActivation(msg.activation_answer(), out)
                   : ReasonError(vtpm_attest::v1::PROTOCOL_VIOLATION,
                                 "ActivationAnswer without a challenge");
      break;
    case AgentMessage::kQuoteResponse:
      if (state_ == State::kAwaitQuote) {
        current_quote_ = &msg.quote_response();
        status = HandleQuote(msg.quote_response(), out);
        if (!status.ok()) Fail(status, out);
        current_quote_ = nullptr;
        return;
      }
      status = ReasonError(vtpm_attest::v1::PROTOCOL_VIOLATION,
                           "QuoteResponse without a QuoteRequest");
      break;
    case AgentMessage::kError: {
      // The agent's words: shown, so printable and short.
      std::string text =
          PrintableText(msg.error().message(), kMaxAgentErrorBytes);
      std::string code =
          vtpm_attest::v1::ReasonCode_IsValid(msg.error().code())
              ? vtpm_attest::v1::ReasonCode_Name(msg.error().code())
              : absl::StrCat("code ", msg.error().code());
      status = ReasonError(vtpm_attest::v1::AGENT_ERROR,
                           absl::StrCat("agent reported ", code, ": ", text));
      if (msg.error().code() == vtpm_attest::v1::ACTIVATION_FAILED &&
          state_ == State::kAwaitActivation) {
        status = ReasonError(vtpm_attest::v1::ACTIVATION_FAILED,
                             absl::StrCat("the agent's TPM could not activate "
                                          "the credential: ",
                                          text));
      }
      break;
    }
    default:
      status =
          ReasonError(vtpm_attest::v1::MALFORMED_MESSAGE, "empty AgentMessage");
  }
  if (!status.ok()) Fail(status, out);
}

absl::Status AttestationSession::HandleHello(
    const vtpm_attest::v1::Hello& hello, std::vector<VerifierMessage>* out) {
  // 1. Sizes, before anything is parsed or kept; then every string the
  //    guest supplies, in its character set.
  RETURN_IF_ERROR(CheckHelloSizes(hello));
  RETURN_IF_ERROR(CheckHelloText(hello));
  hello_ = hello;
  hello_.mutable_host()->set_vm_uuid(
      absl::AsciiStrToLower(hello.host().vm_uuid()));
  daemon_ = hello.mode() == vtpm_attest::v1::Hello::MODE_DAEMON;

  // 2. The policy that applies to this agent.
  std::map<std::string, std::string> labels(hello.labels().begin(),
                                            hello.labels().end());
  policies_ = service_->policies_();
  if (policies_ == nullptr) {
    return ReasonError(vtpm_attest::v1::INTERNAL_ERROR, "no policies loaded");
  }
  ASSIGN_OR_RETURN(policy_, policies_->Select(labels));

  // 3. The EK public area is a well-formed EK.
  ASSIGN_OR_RETURN(ek_public_, ParseEkPublic(hello.ek().public_area()));
  ASSIGN_OR_RETURN(EvpPkeyPtr ek_key, PublicToEvp(ek_public_));
  ASSIGN_OR_RETURN(ek_fingerprint_, PublicKeyFingerprint(ek_key.get()));

  // 4. The EK certificate chains to a trusted platform CA and certifies
  //    exactly this EK.
  if (hello.ek().certificate().empty()) {
    if (policy_->require_ek_certificate()) {
      return ReasonError(vtpm_attest::v1::EK_CERT_MISSING,
                         absl::StrCat("policy ", policy_->name(),
                                      " requires an EK certificate and the "
                                      "TPM has none"));
    }
  } else {
    EkCertOptions opts;
    opts.platforms.assign(policy_->trust_platforms().begin(),
                          policy_->trust_platforms().end());
    opts.require_eku = policy_->require_ek_eku();
    opts.legacy_roots.insert(policy_->legacy_ek_roots().begin(),
                             policy_->legacy_ek_roots().end());
    std::vector<std::string> chain(hello.ek().chain_certificates().begin(),
                                   hello.ek().chain_certificates().end());
    auto verified = VerifyEkCertificate(
        service_->trust_, opts, hello.ek().certificate(), chain, ek_public_);
    if (!verified.ok()) {
      return WithContext(verified.status(), "EK certificate");
    }
    ek_cert_ = *std::move(verified);
    for (const std::string& weak : ek_cert_->weak_algorithms) {
      Reason r;
      r.set_code(vtpm_attest::v1::EK_CERT_WEAK_ALGORITHM);
      r.set_message(absl::StrCat("accepted because policy ", policy_->name(),
                                 " lists the root in legacyEkRoots: ", weak));
      findings_.push_back(std::move(r));
    }
  }

  // 5. The AK is a restricted signing key whose name is what it claims.
  ASSIGN_OR_RETURN(ak_public_, VerifyAkPublic(hello.ak()));
  ASSIGN_OR_RETURN(prepared_ak_, service_->prepared_aks_.Get(
                                     hello.ak().public_area(), ak_public_));

  // 6. What the fleet knows of this EK and VM (read only: everything so
  //    far is public data that anyone may replay). The identity rules are
  //    judged once the peer proves it holds the TPM (7 or 8).
  RETURN_IF_ERROR(PlanIdentity());

  // 7. Proof of possession: a quote by the AK already proven on this EK
  //    (check 8), or credential activation for any other AK.
  if (known_.has_value() && !force_activation_) clock_ = known_->clock;
  if (known_.has_value() && !force_activation_ && !known_->ak_name.empty() &&
      ConstantTimeEquals(known_->ak_name, hello.ak().name())) {
    out->push_back(MakeQuoteRequest());
    state_ = State::kAwaitQuote;
    return absl::OkStatus();
  }
  expected_secret_ = RandomBytes(kCredentialBytes);
  auto challenge =
      MakeCredential(ek_public_, hello.ak().name(), expected_secret_);
  if (!challenge.ok()) {
    return ReasonError(vtpm_attest::v1::EK_PUBLIC_INVALID,
                       absl::StrCat("cannot make a credential for this EK: ",
                                    challenge.status().message()));
  }
  VerifierMessage m;
  m.mutable_credential_challenge()->set_credential_blob(
      challenge->credential_blob);
  m.mutable_credential_challenge()->set_encrypted_secret(
      challenge->encrypted_secret);
  out->push_back(std::move(m));
  state_ = State::kAwaitActivation;
  return absl::OkStatus();
}

absl::Status AttestationSession::HandleActivation(
    const vtpm_attest::v1::ActivationAnswer& answer,
    std::vector<VerifierMessage>* out) {
  if (answer.secret().size() > kMaxSecretBytes) {
    return ReasonError(vtpm_attest::v1::OVERSIZED_MESSAGE,
                       "ActivationAnswer.secret is too long");
  }
  if (!ConstantTimeEquals(answer.secret(), expected_secret_)) {
    if (service_->observer_ != nullptr)
      service_->observer_->OnActivation(false);
    return ReasonError(vtpm_attest::v1::ACTIVATION_FAILED,
                       "the secret returned by credential activation is "
                       "wrong: the AK is not on the TPM of this EK");
  }
  expected_secret_.clear();
  if (service_->observer_ != nullptr) service_->observer_->OnActivation(true);
  // Only the TPM holding this EK could release the secret, and only for an
  // AK of that name loaded on it.
  MarkProven();
  RETURN_IF_ERROR(JudgeAndRecordIdentity(/*activated_ak=*/true));
  out->push_back(MakeQuoteRequest());
  state_ = State::kAwaitQuote;
  return absl::OkStatus();
}

VerifierMessage AttestationSession::MakeQuoteRequest() {
  nonce_ = service_->nonces_.Issue(session_key_);
  nonce_issued_at_ = absl::Now();
  VerifierMessage m;
  auto* req = m.mutable_quote_request();
  req->set_nonce(nonce_);
  vtpm::ToProto(QuoteSelection(*policy_), req->mutable_selection());
  req->set_include_event_log(PolicyNeedsEventLog(*policy_));
  return m;
}

VerifierMessage AttestationSession::NextRound() {
  state_ = State::kAwaitQuote;
  return MakeQuoteRequest();
}

absl::Status AttestationSession::ClassifyNonceFailure(
    const std::string& attest, const absl::Status& mismatch) {
  TPMS_ATTEST parsed = {};
  size_t offset = 0;
  if (Tss2_MU_TPMS_ATTEST_Unmarshal(
          reinterpret_cast<const uint8_t*>(attest.data()), attest.size(),
          &offset, &parsed) != TSS2_RC_SUCCESS) {
    return mismatch;
  }
  std::string quoted(reinterpret_cast<const char*>(parsed.extraData.buffer),
                     parsed.extraData.size);
  absl::Status s = service_->nonces_.Consume(session_key_, quoted);
  return s.ok() ? mismatch : s;
}

absl::Status AttestationSession::HandleQuote(
    const vtpm_attest::v1::QuoteResponse& q,
    std::vector<VerifierMessage>* out) {
  RETURN_IF_ERROR(CheckQuoteSizes(q));
  auto pcrs = vtpm::PcrValuesFromProto(q.pcrs());
  if (!pcrs.ok()) {
    return ReasonError(
        vtpm_attest::v1::MALFORMED_MESSAGE,
        absl::StrCat("QuoteResponse.pcrs: ", pcrs.status().message()));
  }
  QuoteEvidence evidence{q.attest(), q.signature(), *std::move(pcrs)};
  QuoteExpectation expect;
  expect.ak = ak_public_;
  expect.prepared_ak = prepared_ak_;
  expect.nonce = nonce_;
  expect.selection = QuoteSelection(*policy_);
  if (clock_.has_value()) {
    TPMS_CLOCK_INFO c = {};
    c.clock = clock_->clock;
    c.resetCount = clock_->reset_count;
    c.restartCount = clock_->restart_count;
    expect.previous_clock = c;
  }
  std::vector<QuoteCheckResult> trace;
  auto verified = VerifyQuote(evidence, expect, &trace);
  if (!proven_ && SignedOverNonce(trace)) {
    // The enrolled AK signed this stream's nonce: the peer holds the TPM.
    // (Checks after the nonce, PCRs and clock, judge what it holds.)
    MarkProven();
    RETURN_IF_ERROR(JudgeAndRecordIdentity(/*activated_ak=*/false));
  }
  if (!verified.ok()) {
    if (ReasonOf(verified.status()) == vtpm_attest::v1::NONCE_MISMATCH) {
      return ClassifyNonceFailure(q.attest(), verified.status());
    }
    return verified.status();
  }
  // The nonce is single use: consuming it fails if it expired meanwhile or
  // was already used.
  RETURN_IF_ERROR(service_->nonces_.Consume(session_key_, nonce_));
  // Only what the signature covers is evidence: values of other PCRs or
  // banks are refused, never stored or shown.
  RETURN_IF_ERROR(CheckOnlyQuotedPcrs(evidence.pcrs, verified->pcrs));
  ClockState clock{verified->clock.clock, verified->clock.resetCount,
                   verified->clock.restartCount};
  vtpm_attest::v1::EvidenceSummary summary;
  vtpm::PcrValuesToProto(verified->pcrs, summary.mutable_quoted_pcrs());
  summary.set_clock(clock.clock);
  summary.set_reset_count(clock.reset_count);
  summary.set_restart_count(clock.restart_count);
  summary.set_clock_safe(verified->clock.safe == TPM2_YES);
  // A higher reset count is a reboot: a new boot session, judged afresh
  // against the policy like any other.
  summary.set_new_boot_session(clock_.has_value() &&
                               clock.reset_count > clock_->reset_count);
  summary.set_ak_name(HexEncode(hello_.ak().name()));
  if (!q.event_log().empty()) {
    auto digest = Hash(TPM2_ALG_SHA256, q.event_log());
    if (digest.ok()) summary.set_event_log_sha256(HexEncode(*digest));
  }
  clock_ = clock;

  PolicyInput input;
  if (ek_cert_.has_value()) {
    input.tpm.manufacturer = TpmManufacturerCode(ek_cert_->san.manufacturer);
    input.tpm.model = ek_cert_->san.model;
    input.tpm.version = ek_cert_->san.version;
    input.tpm.certified = true;
  }
  input.tpm.family = "2.0";
  input.tpm.firmware_version = verified->firmware_version;
  input.pcrs = &verified->pcrs;
  input.ek_fingerprint = ek_fingerprint_;
  input.reported.vm_uuid = hello_.host().vm_uuid();
  input.reported.hostname = hello_.host().hostname();
  input.reported.tpm_interface = hello_.tpm().interface();
  input.reported.tpm = &hello_.tpm();
  input.evidence_age = absl::Now() - nonce_issued_at_;

  // The event log: replayed against the quoted PCRs, then only the events
  // of matching PCRs describe the boot.
  std::vector<Reason> reasons;
  std::optional<VerifiedBoot> boot;
  if (!q.event_log().empty()) {
    auto vb = VerifyEventLog(q.event_log(), verified->pcrs,
                             ExtractOptionsForPolicy(*policy_));
    if (vb.ok()) {
      boot = *std::move(vb);
      reasons = FindingsToReasons(boot->findings);
      input.boot = &boot->state;
    } else {
      reasons.push_back(ToReason(vb.status()));
    }
  }
  for (auto& r : EvaluatePolicy(*policy_, input)) {
    // A log that was sent but failed verification is not "missing": its
    // own reason is already on the verdict.
    if (r.code() == vtpm_attest::v1::EVENTLOG_MISSING &&
        !q.event_log().empty()) {
      continue;
    }
    reasons.push_back(std::move(r));
  }
  vtpm_attest::v1::BootState state;
  if (boot.has_value()) {
    state = std::move(boot->state);
    // Decoded events are for rule messages; verdicts keep the summary.
    state.clear_events();
  }
  EmitVerdict(std::move(reasons), out, boot.has_value() ? &state : nullptr,
              &summary, clock);
  return absl::OkStatus();
}

}  // namespace vtpm::verifier
