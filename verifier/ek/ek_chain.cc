#include "verifier/ek/ek_chain.h"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/hex.h"
#include "common/ossl.h"
#include "common/reason.h"
#include "common/status_macros.h"
#include "verifier/ek/ek_algorithms.h"
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

// OpenSSL's reason for the current error, its depth and certificate.
std::string ErrorText(X509_STORE_CTX* ctx) {
  int err = X509_STORE_CTX_get_error(ctx);
  X509* current = X509_STORE_CTX_get_current_cert(ctx);
  std::string text =
      absl::StrCat(X509_verify_cert_error_string(err), " at depth ",
                   X509_STORE_CTX_get_error_depth(ctx));
  if (current != nullptr) {
    absl::StrAppend(&text, " (\"", NameToString(X509_get_subject_name(current)),
                    "\")");
  }
  return text;
}

// The errors of OpenSSL's security level (kAuthLevel).
bool IsAuthLevelError(int err) {
  return err == X509_V_ERR_CA_MD_TOO_WEAK ||
         err == X509_V_ERR_CA_KEY_TOO_SMALL ||
         err == X509_V_ERR_EE_KEY_TOO_SMALL ||
         err == X509_V_ERR_EC_KEY_EXPLICIT_PARAMS;
}

// OpenSSL's security-level complaints during one X509_verify_cert, reached
// through the X509_STORE_CTX's app data.
struct AuthLevelLog {
  std::vector<std::string> complaints;
};

// Verify callback: records a security-level complaint and lets validation
// go on, so that the whole path is built and checked (its algorithms are
// judged afterwards, with the legacy roots: JudgeAlgorithms). Every other
// error stops validation, as without a callback.
int RecordAuthLevel(int ok, X509_STORE_CTX* ctx) {
  if (ok) return ok;
  auto* log = static_cast<AuthLevelLog*>(X509_STORE_CTX_get_app_data(ctx));
  if (log == nullptr || !IsAuthLevelError(X509_STORE_CTX_get_error(ctx))) {
    return 0;
  }
  log->complaints.push_back(ErrorText(ctx));
  return 1;
}

Attempt Classify(const TrustStore::Platform& p, X509_STORE_CTX* ctx) {
  int err = X509_STORE_CTX_get_error(ctx);
  int depth = X509_STORE_CTX_get_error_depth(ctx);
  X509* current = X509_STORE_CTX_get_current_cert(ctx);
  Attempt a{p.name, vtpm_attest::v1::EK_CERT_UNKNOWN_ISSUER, kRankReachedAnchor,
            ErrorText(ctx)};
  if (IsAuthLevelError(err)) {
    // Not reached while RecordAuthLevel is the callback; kept so that the
    // security level can never surface as another reason.
    a.code = vtpm_attest::v1::EK_CERT_WEAK_ALGORITHM;
    return a;
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

// The last certificate of `path` when it is one of `p`'s anchors, else null.
X509* AnchorOf(const TrustStore::Platform& p, STACK_OF(X509) * path) {
  int n = path == nullptr ? 0 : sk_X509_num(path);
  if (n == 0) return nullptr;
  X509* top = sk_X509_value(path, n - 1);
  for (const X509Ptr& anchor : p.anchors) {
    if (X509_cmp(anchor.get(), top) == 0) return top;
  }
  return nullptr;
}

bool IsLegacyRoot(const std::string& sha256,
                  const std::set<std::string>& legacy_roots) {
  if (sha256.empty()) return false;
  return std::any_of(
      legacy_roots.begin(), legacy_roots.end(),
      [&](const std::string& r) { return absl::EqualsIgnoreCase(r, sha256); });
}

// The algorithms of a path that ends at `anchor`.
struct PathAlgorithms {
  // Set when the path is refused: "weak algorithm: ..." naming each
  // refused use.
  std::string refusal;
  // Legacy uses admitted by a legacy root.
  std::vector<std::string> admitted;
};

PathAlgorithms JudgeAlgorithms(STACK_OF(X509) * path, X509* anchor,
                               const std::set<std::string>& legacy_roots,
                               const AuthLevelLog& log) {
  std::vector<WeakAlgorithm> weak = FindWeakAlgorithms(path);
  std::string sha256 = CertificateSha256(anchor);
  bool legacy_root = IsLegacyRoot(sha256, legacy_roots);
  PathAlgorithms out;
  std::vector<std::string> refused;
  bool legacy_refused = false;
  for (WeakAlgorithm& w : weak) {
    if (w.strength == AlgorithmStrength::kRefused) {
      refused.push_back(absl::StrCat(w.sentence, ", never accepted"));
    } else if (!legacy_root) {
      refused.push_back(absl::StrCat(
          w.sentence, ", accepted only under a root listed in legacyEkRoots"));
      legacy_refused = true;
    } else {
      out.admitted.push_back(std::move(w.sentence));
    }
  }
  if (weak.empty() && !log.complaints.empty()) {
    // OpenSSL objects to something the explicit check does not: fail closed.
    refused.push_back(absl::StrCat("OpenSSL security level ", kAuthLevel, ": ",
                                   absl::StrJoin(log.complaints, ", ")));
  }
  if (!refused.empty()) {
    out.refusal =
        absl::StrCat("weak algorithm: ", absl::StrJoin(refused, "; "));
    if (legacy_refused) {
      absl::StrAppend(&out.refusal, " (the path's root \"",
                      NameToString(X509_get_subject_name(anchor)),
                      "\" has SHA-256 ", sha256, ")");
    }
    out.admitted.clear();
  }
  return out;
}

struct ShallowX509StackDeleter {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};
// A stack that does not own its certificates.
using ShallowX509Stack =
    std::unique_ptr<STACK_OF(X509), ShallowX509StackDeleter>;

// `untrusted` strongest first (CertificateStrength), otherwise in order; the
// certificates stay owned by `untrusted`.
absl::StatusOr<ShallowX509Stack> StrongestFirst(STACK_OF(X509) * untrusted) {
  ShallowX509Stack out(sk_X509_new_null());
  if (!out) return OsslError("sk_X509_new_null");
  int n = untrusted == nullptr ? 0 : sk_X509_num(untrusted);
  std::vector<AlgorithmStrength> strength(n);
  for (int i = 0; i < n; ++i) {
    strength[i] = CertificateStrength(sk_X509_value(untrusted, i));
  }
  for (AlgorithmStrength s :
       {AlgorithmStrength::kStrong, AlgorithmStrength::kLegacy,
        AlgorithmStrength::kRefused}) {
    for (int i = 0; i < n; ++i) {
      if (strength[i] == s &&
          sk_X509_push(out.get(), sk_X509_value(untrusted, i)) <= 0) {
        return OsslError("sk_X509_push");
      }
    }
  }
  return out;
}

}  // namespace

std::string CertificateSha256(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (cert == nullptr || X509_digest(cert, EVP_sha256(), md, &len) != 1) {
    ERR_clear_error();
    return "";
  }
  return HexEncode(absl::string_view(reinterpret_cast<const char*>(md), len));
}

absl::StatusOr<VerifiedChain> VerifyEkChain(
    const TrustStore& store, const std::vector<std::string>& platforms,
    X509* cert, STACK_OF(X509) * untrusted, std::optional<time_t> now,
    const std::set<std::string>& legacy_roots) {
  std::vector<std::string> names =
      platforms.empty() ? store.platforms() : platforms;
  ASSIGN_OR_RETURN(ShallowX509Stack ordered, StrongestFirst(untrusted));
  std::vector<Attempt> attempts;
  std::vector<std::string> absent;
  std::vector<std::string> seen;
  std::optional<VerifiedChain> with_legacy;  // first accepted legacy path
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
        X509_STORE_CTX_init(ctx.get(), p->store.get(), cert, ordered.get()) !=
            1) {
      return OsslError("X509_STORE_CTX_init");
    }
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    // X509_VERIFY_PARAM depth counts intermediates only.
    X509_VERIFY_PARAM_set_depth(param, kMaxChainLength - 2);
    if (now.has_value()) X509_VERIFY_PARAM_set_time(param, *now);
    X509_VERIFY_PARAM_set_auth_level(param, kAuthLevel);
    AuthLevelLog log;
    X509_STORE_CTX_set_app_data(ctx.get(), &log);
    X509_STORE_CTX_set_verify_cb(ctx.get(), RecordAuthLevel);
    int ok = X509_verify_cert(ctx.get());
    ERR_clear_error();

    STACK_OF(X509)* path = X509_STORE_CTX_get0_chain(ctx.get());
    X509* anchor = AnchorOf(*p, path);
    if (anchor != nullptr) {
      PathAlgorithms algorithms =
          JudgeAlgorithms(path, anchor, legacy_roots, log);
      if (!algorithms.refusal.empty()) {
        attempts.push_back({name, vtpm_attest::v1::EK_CERT_WEAK_ALGORITHM,
                            kRankReachedAnchor, algorithms.refusal});
        continue;
      }
      if (ok == 1) {
        VerifiedChain v{name, sk_X509_num(path),
                        std::move(algorithms.admitted)};
        if (v.weak_algorithms.empty()) return v;
        if (!with_legacy.has_value()) with_legacy = std::move(v);
        continue;
      }
    } else if (ok == 1) {
      // Cannot happen without X509_V_FLAG_PARTIAL_CHAIN; fail closed.
      attempts.push_back({name, vtpm_attest::v1::EK_CERT_UNKNOWN_ISSUER,
                          kRankUnknownIssuer,
                          "the path does not end at a trust anchor of the "
                          "platform"});
      continue;
    }
    attempts.push_back(Classify(*p, ctx.get()));
  }
  if (with_legacy.has_value()) return *std::move(with_legacy);

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
