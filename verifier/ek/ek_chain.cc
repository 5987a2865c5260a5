#include "verifier/ek/ek_chain.h"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ossl.h"
#include "common/reason.h"
#include "verifier/ek/ek_profile.h"
#include "verifier/ek/x509_names.h"

namespace vtpm::verifier {
namespace {

using ::vtpm_attest::v1::ReasonCode;

// One platform's rejection. Higher `rank` = the path got further, so the
// reason says more about the certificate.
struct Attempt {
  std::string platform;
  ReasonCode code;
  int rank;
  std::string detail;
};

constexpr int kRankUnknownIssuer = 1;
constexpr int kRankUntrustedRoot = 2;
constexpr int kRankWrongCa = 3;
constexpr int kRankReachedAnchor = 4;

// A trusted certificate of `p` whose subject is `name`, or null.
X509* FindBySubject(const TrustStore::Platform& p, const X509_NAME* name) {
  if (name == nullptr) return nullptr;
  for (const auto* list : {&p.anchors, &p.intermediates}) {
    for (const X509Ptr& c : *list) {
      if (X509_NAME_cmp(X509_get_subject_name(c.get()), name) == 0) {
        return c.get();
      }
    }
  }
  return nullptr;
}

Attempt Classify(const TrustStore::Platform& p, X509_STORE_CTX* ctx) {
  int err = X509_STORE_CTX_get_error(ctx);
  int depth = X509_STORE_CTX_get_error_depth(ctx);
  X509* current = X509_STORE_CTX_get_current_cert(ctx);
  Attempt a{
      p.name, vtpm_attest::v1::EK_CERT_UNKNOWN_ISSUER, kRankReachedAnchor,
      absl::StrCat(X509_verify_cert_error_string(err), " at depth ", depth)};
  if (current != nullptr) {
    absl::StrAppend(&a.detail, " (\"",
                    NameToString(X509_get_subject_name(current)), "\")");
  }
  switch (err) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY: {
      const X509_NAME* issuer =
          current != nullptr ? X509_get_issuer_name(current) : nullptr;
      if (FindBySubject(p, issuer) != nullptr) {
        a.code = vtpm_attest::v1::EK_CERT_WRONG_CA;
        a.rank = kRankWrongCa;
        absl::StrAppend(&a.detail, ": the platform trusts a CA named \"",
                        NameToString(issuer),
                        "\" but it did not issue this certificate (another "
                        "CA with the same name)");
      } else {
        a.rank = kRankUnknownIssuer;
        absl::StrAppend(&a.detail,
                        ": no trusted or supplied certificate "
                        "named \"",
                        NameToString(issuer), "\"");
      }
      break;
    }
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      a.code = vtpm_attest::v1::EK_CERT_UNTRUSTED_ROOT;
      a.rank = kRankUntrustedRoot;
      break;
    case X509_V_ERR_CERT_HAS_EXPIRED:
      a.code = vtpm_attest::v1::EK_CERT_EXPIRED;
      break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      a.code = vtpm_attest::v1::EK_CERT_NOT_YET_VALID;
      break;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
      a.code = vtpm_attest::v1::EK_CERT_BAD_SIGNATURE;
      break;
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
      a.code = vtpm_attest::v1::EK_CERT_MALFORMED;
      break;
    case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
      if (current != nullptr) {
        absl::StrAppend(
            &a.detail, ": ",
            absl::StrJoin(UnsupportedCriticalExtensions(current), ", "));
      }
      if (depth == 0) a.code = vtpm_attest::v1::EK_CERT_PROFILE;
      break;
    default:
      // Not a CA, path length, chain too long, ...: the path is not one
      // that leads to a trusted anchor.
      break;
  }
  return a;
}

}  // namespace

absl::StatusOr<VerifiedChain> VerifyEkChain(
    const TrustStore& store, const std::vector<std::string>& platforms,
    X509* cert, STACK_OF(X509) * untrusted, std::optional<time_t> now) {
  std::vector<std::string> names =
      platforms.empty() ? store.platforms() : platforms;
  std::vector<Attempt> attempts;
  std::vector<std::string> absent;
  std::vector<std::string> seen;
  for (const std::string& name : names) {
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
    seen.push_back(name);
    const TrustStore::Platform* p = store.platform(name);
    if (p == nullptr) {
      absent.push_back(name);
      continue;
    }
    X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!ctx || !p->store ||
        X509_STORE_CTX_init(ctx.get(), p->store.get(), cert, untrusted) != 1) {
      return OsslError("X509_STORE_CTX_init");
    }
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    // X509_VERIFY_PARAM depth counts intermediates only.
    X509_VERIFY_PARAM_set_depth(param, kMaxChainLength - 2);
    if (now.has_value()) X509_VERIFY_PARAM_set_time(param, *now);
    int ok = X509_verify_cert(ctx.get());
    ERR_clear_error();
    if (ok == 1) {
      return VerifiedChain{name,
                           sk_X509_num(X509_STORE_CTX_get0_chain(ctx.get()))};
    }
    attempts.push_back(Classify(*p, ctx.get()));
  }

  std::string what = absl::StrCat(
      "EK certificate \"", NameToString(X509_get_subject_name(cert)),
      "\" issued by \"", NameToString(X509_get_issuer_name(cert)), "\"");
  std::string absent_text =
      absent.empty() ? ""
                     : absl::StrCat(" (platforms not in the trust store: ",
                                    absl::StrJoin(absent, ", "), ")");
  if (attempts.empty()) {
    return ReasonError(
        vtpm_attest::v1::EK_CERT_UNKNOWN_ISSUER,
        absl::StrCat(what, ": no trusted CAs to verify it with", absent_text));
  }
  const Attempt* best = &attempts.front();
  for (const Attempt& a : attempts) {
    if (a.rank > best->rank) best = &a;
  }
  std::vector<std::string> tried;
  for (const Attempt& a : attempts) {
    tried.push_back(absl::StrCat("platform ", a.platform, ": ", a.detail));
  }
  return ReasonError(
      best->code, absl::StrCat(what, " rejected; ", absl::StrJoin(tried, "; "),
                               absent_text));
}

}  // namespace vtpm::verifier
