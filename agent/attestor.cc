#include "agent/attestor.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/tpm/quote.h"
#include "agent/tpm/tpm_facts.h"
#include "agent/version.h"
#include "common/pcr_selection.h"
#include "common/reason.h"
#include "common/status_macros.h"
#include "common/tpm_public.h"

namespace vtpm::agent {

using vtpm_attest::v1::AgentMessage;
using vtpm_attest::v1::VerifierMessage;

absl::StatusOr<TpmContext> OpenTpm(const std::string& tcti,
                                   const Platform& platform) {
  if (!tcti.empty()) return TpmContext::Open(tcti);
  std::vector<std::string> errors;
  for (const auto& t : platform.DefaultTctis()) {
    auto ctx = TpmContext::Open(t);
    if (ctx.ok()) return ctx;
    errors.push_back(absl::StrCat(t, ": ", ctx.status().message()));
  }
  return absl::UnavailableError(
      absl::StrCat("no TPM found (", absl::StrJoin(errors, "; "), ")"));
}

absl::StatusOr<std::unique_ptr<Attestor>> Attestor::Create(
    const AttestorOptions& options, const Platform& platform) {
  std::unique_ptr<Attestor> a(new Attestor(options, platform));
  auto tpm = OpenTpm(options.tcti, platform);
  if (!tpm.ok()) return tpm.status();
  a->tpm_.emplace(*std::move(tpm));
  auto ek = LoadEk(*a->tpm_, options.ek_algorithm);
  if (!ek.ok()) return WithContext(ek.status(), "loading the EK");
  a->ek_.emplace(*std::move(ek));
  auto ak = LoadOrCreateAk(*a->tpm_, *a->ek_, options.state_dir,
                           options.ak_algorithm);
  if (!ak.ok()) return WithContext(ak.status(), "loading the AK");
  a->ak_.emplace(*std::move(ak));
  return a;
}

absl::StatusOr<AgentMessage> Attestor::MakeHello(
    vtpm_attest::v1::Hello::Mode mode) {
  AgentMessage m;
  auto* h = m.mutable_hello();
  h->set_agent_version(kAgentVersion);
  h->set_mode(mode);
  ASSIGN_OR_RETURN(*h->mutable_host(), platform_.ReadHostFacts());
  ASSIGN_OR_RETURN(*h->mutable_tpm(), ReadTpmFacts(*tpm_));
  auto iface = platform_.DetectTpmInterface();
  if (iface == vtpm_attest::v1::TPM_INTERFACE_UNSPECIFIED) {
    iface = options_.interface_override;
  }
  h->mutable_tpm()->set_interface(iface);
  auto* ek = h->mutable_ek();
  ASSIGN_OR_RETURN(*ek->mutable_public_area(), MarshalPublic(ek_->pub));
  ek->set_certificate_nv_index(ek_->cert_nv_index);
  ek->set_certificate(ek_->cert_der);
  for (const auto& c : ek_->chain_der) ek->add_chain_certificates(c);
  ek->set_persistent_handle(ek_->persistent_handle);
  ASSIGN_OR_RETURN(*h->mutable_ak()->mutable_public_area(),
                   MarshalPublic(ak_->pub));
  h->mutable_ak()->set_name(ak_->name);
  for (const auto& [k, v] : options_.labels) (*h->mutable_labels())[k] = v;
  return m;
}

std::optional<AgentMessage> Attestor::Handle(const VerifierMessage& msg) {
  switch (msg.msg_case()) {
    case VerifierMessage::kCredentialChallenge:
      return Activate(msg.credential_challenge());
    case VerifierMessage::kQuoteRequest:
      return AnswerQuote(msg.quote_request());
    default:
      return std::nullopt;
  }
}

AgentMessage Attestor::Activate(const vtpm_attest::v1::CredentialChallenge& c) {
  AgentMessage m;
  auto secret = ActivateCredential(*tpm_, *ek_, *ak_, c.credential_blob(),
                                   c.encrypted_secret());
  if (!secret.ok()) {
    m.mutable_error()->set_code(vtpm_attest::v1::ACTIVATION_FAILED);
    m.mutable_error()->set_message(std::string(secret.status().message()));
    return m;
  }
  m.mutable_activation_answer()->set_secret(*secret);
  return m;
}

AgentMessage Attestor::AnswerQuote(const vtpm_attest::v1::QuoteRequest& q) {
  AgentMessage m;
  auto fail = [&](const absl::Status& s) {
    m.mutable_error()->set_code(vtpm_attest::v1::AGENT_ERROR);
    m.mutable_error()->set_message(std::string(s.message()));
    return m;
  };
  auto sel = vtpm::FromProto(q.selection());
  if (!sel.ok()) return fail(WithContext(sel.status(), "PCR selection"));
  auto quote = Quote(*tpm_, *ak_, q.nonce(), *sel);
  if (!quote.ok()) return fail(WithContext(quote.status(), "TPM2_Quote"));
  auto* r = m.mutable_quote_response();
  r->set_attest(quote->attest);
  r->set_signature(quote->signature);
  vtpm::PcrValuesToProto(quote->pcrs, r->mutable_pcrs());
  if (q.include_event_log()) {
    auto log = platform_.ReadEventLog();
    if (log.ok()) r->set_event_log(*std::move(log));
  }
  return m;
}

}  // namespace vtpm::agent
