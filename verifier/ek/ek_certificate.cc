#include "verifier/ek/ek_certificate.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "absl/strings/str_cat.h"
#include "common/ossl.h"
#include "common/reason.h"
#include "common/status_macros.h"
#include "common/tpm_public.h"
#include "verifier/ek/ek_chain.h"
#include "verifier/ek/ek_public_check.h"
#include "verifier/ek/x509_names.h"

namespace vtpm::verifier {
namespace {

absl::Status Malformed(absl::string_view what, absl::string_view message) {
  return ReasonError(vtpm_attest::v1::EK_CERT_MALFORMED,
                     absl::StrCat(what, ": ", message));
}

// Check 1 for one certificate. `what` names it in errors.
absl::StatusOr<X509Ptr> ParseCertificate(absl::string_view der,
                                         absl::string_view what) {
  if (der.empty()) return Malformed(what, "empty");
  if (der.size() > kMaxCertificateSize) {
    return Malformed(what,
                     absl::StrCat(der.size(), " bytes exceeds the limit of ",
                                  kMaxCertificateSize));
  }
  auto cert = ParseDerCertificate(der);
  if (!cert.ok()) return Malformed(what, cert.status().message());
  if (X509_get_extension_flags(cert->get()) & EXFLAG_INVALID) {
    ERR_clear_error();
    return Malformed(what, "an extension does not decode or is repeated");
  }
  if (X509_get0_pubkey(cert->get()) == nullptr) {
    ERR_clear_error();
    return Malformed(what, "public key does not decode");
  }
  return std::move(*cert);
}

absl::StatusOr<X509StackPtr> ParseChain(
    const std::vector<std::string>& chain_der) {
  if (chain_der.size() > kMaxUntrustedChain) {
    return Malformed(
        "EK certificate chain",
        absl::StrCat(chain_der.size(), " certificates exceeds the limit of ",
                     kMaxUntrustedChain));
  }
  X509StackPtr stack(sk_X509_new_null());
  if (!stack) return OsslError("sk_X509_new_null");
  for (size_t i = 0; i < chain_der.size(); ++i) {
    ASSIGN_OR_RETURN(
        X509Ptr cert,
        ParseCertificate(chain_der[i],
                         absl::StrCat("EK chain certificate #", i + 1)));
    if (sk_X509_push(stack.get(), cert.get()) <= 0) {
      return OsslError("sk_X509_push");
    }
    cert.release();  // owned by the stack
  }
  return stack;
}

absl::Status CheckKeyBinding(X509* cert, const TPMT_PUBLIC& ek) {
  auto match = PublicMatchesEvp(ek, X509_get0_pubkey(cert));
  ERR_clear_error();
  if (!match.ok()) {
    return ReasonError(
        vtpm_attest::v1::EK_PUBLIC_INVALID,
        absl::StrCat("EK public key is unusable: ", match.status().message()));
  }
  if (!*match) {
    return ReasonError(
        vtpm_attest::v1::EK_KEY_MISMATCH,
        absl::StrCat("the public key of EK certificate \"",
                     NameToString(X509_get_subject_name(cert)),
                     "\" is not the EK public key the agent presented"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<VerifiedEkCert> VerifyEkCertificate(
    const TrustStore& store, const EkCertOptions& options,
    absl::string_view cert_der,
    const std::vector<std::string>& untrusted_chain_der,
    const TPMT_PUBLIC& ek) {
  ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(cert_der, "EK certificate"));
  ASSIGN_OR_RETURN(X509StackPtr chain, ParseChain(untrusted_chain_der));
  RETURN_IF_ERROR(CheckEkPublicArea(ek));
  ASSIGN_OR_RETURN(
      VerifiedChain path,
      VerifyEkChain(store, options.platforms, cert.get(), chain.get(),
                    options.now, options.legacy_roots));
  ASSIGN_OR_RETURN(TpmSan san, CheckEkProfile(cert.get(), options.require_eku));
  RETURN_IF_ERROR(CheckKeyBinding(cert.get(), ek));
  auto fingerprint = PublicKeyFingerprint(X509_get0_pubkey(cert.get()));
  RETURN_IF_ERROR_CTX(fingerprint, "EK fingerprint");

  VerifiedEkCert out;
  out.platform = std::move(path.platform);
  out.chain_length = path.chain_length;
  out.fingerprint = std::move(*fingerprint);
  out.subject = NameToString(X509_get_subject_name(cert.get()));
  out.issuer = NameToString(X509_get_issuer_name(cert.get()));
  out.san = std::move(san);
  out.weak_algorithms = std::move(path.weak_algorithms);
  return out;
}

}  // namespace vtpm::verifier
