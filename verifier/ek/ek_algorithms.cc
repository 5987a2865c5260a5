#include "verifier/ek/ek_algorithms.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/ossl.h"
#include "verifier/ek/x509_names.h"

namespace vtpm::verifier {
namespace {

using RsaPssParamsPtr =
    std::unique_ptr<RSA_PSS_PARAMS, OsslDeleter<RSA_PSS_PARAMS_free>>;
using X509AlgorPtr = std::unique_ptr<X509_ALGOR, OsslDeleter<X509_ALGOR_free>>;

struct Digest {
  int nid;
  const char* name;
  AlgorithmStrength strength;
};

// Digests with a known verdict; any other is refused.
constexpr Digest kDigests[] = {
    {NID_sha256, "SHA-256", AlgorithmStrength::kStrong},
    {NID_sha384, "SHA-384", AlgorithmStrength::kStrong},
    {NID_sha512, "SHA-512", AlgorithmStrength::kStrong},
    {NID_sha1, "SHA-1", AlgorithmStrength::kLegacy},
    {NID_md5, "MD5", AlgorithmStrength::kRefused},
    {NID_md4, "MD4", AlgorithmStrength::kRefused},
    {NID_md2, "MD2", AlgorithmStrength::kRefused},
    {NID_md5_sha1, "MD5+SHA-1", AlgorithmStrength::kRefused},
};

// Named curves accepted for EC keys (all of at least 256 bits).
constexpr int kStrongCurves[] = {
    NID_X9_62_prime256v1, NID_secp384r1,       NID_secp521r1,
    NID_brainpoolP256r1,  NID_brainpoolP384r1, NID_brainpoolP512r1,
};

// Dotted OID text (never a name), "?" when it cannot be printed.
std::string DottedOid(const ASN1_OBJECT* obj) {
  char buf[128];
  int n = obj == nullptr ? -1 : OBJ_obj2txt(buf, sizeof(buf), obj, 1);
  if (n <= 0) return "?";
  if (n >= static_cast<int>(sizeof(buf))) return "(long OID)";
  return std::string(buf, n);
}

// OpenSSL's long name of `nid`, else the dotted OID.
std::string AlgorithmName(const ASN1_OBJECT* obj, int nid) {
  const char* ln = nid == NID_undef ? nullptr : OBJ_nid2ln(nid);
  return ln != nullptr ? std::string(ln) : absl::StrCat("OID ", DottedOid(obj));
}

// The verdict on a digest, and its name ("SHA-224, not an accepted digest"
// for the refused ones without a verdict of their own).
AlgorithmUse JudgeDigest(int nid) {
  for (const Digest& d : kDigests) {
    if (d.nid == nid) return {d.strength, d.name};
  }
  const char* sn = nid == NID_undef ? nullptr : OBJ_nid2sn(nid);
  return {AlgorithmStrength::kRefused,
          absl::StrCat(sn != nullptr ? sn : "an unknown digest",
                       ", not an accepted digest")};
}

AlgorithmUse Refused(std::string what) {
  return {AlgorithmStrength::kRefused, std::move(what)};
}

// The hash of an MGF1 AlgorithmIdentifier parameter, or NID_undef.
int Mgf1Hash(const ASN1_TYPE* param) {
  if (param == nullptr || param->type != V_ASN1_SEQUENCE ||
      param->value.sequence == nullptr) {
    return NID_undef;
  }
  const ASN1_STRING* seq = param->value.sequence;
  const unsigned char* p = ASN1_STRING_get0_data(seq);
  const unsigned char* end = p + ASN1_STRING_length(seq);
  X509AlgorPtr hash(d2i_X509_ALGOR(nullptr, &p, ASN1_STRING_length(seq)));
  if (!hash || p != end) return NID_undef;
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, hash.get());
  return OBJ_obj2nid(oid);
}

// RSASSA-PSS-params (RFC 4055): hashAlgorithm and the MGF1 hash, SHA-1 when
// absent.
AlgorithmUse JudgePss(int ptype, const void* pval) {
  if (ptype != V_ASN1_SEQUENCE || pval == nullptr) {
    return Refused("RSASSA-PSS without parameters");
  }
  const auto* seq = static_cast<const ASN1_STRING*>(pval);
  const unsigned char* p = ASN1_STRING_get0_data(seq);
  const unsigned char* end = p + ASN1_STRING_length(seq);
  RsaPssParamsPtr pss(d2i_RSA_PSS_PARAMS(nullptr, &p, ASN1_STRING_length(seq)));
  if (!pss || p != end) {
    ERR_clear_error();
    return Refused("RSASSA-PSS with undecodable parameters");
  }
  int hash = NID_sha1;
  if (pss->hashAlgorithm != nullptr) {
    const ASN1_OBJECT* oid = nullptr;
    X509_ALGOR_get0(&oid, nullptr, nullptr, pss->hashAlgorithm);
    hash = OBJ_obj2nid(oid);
  }
  int mgf1_hash = NID_sha1;
  if (pss->maskGenAlgorithm != nullptr) {
    const ASN1_OBJECT* oid = nullptr;
    const void* param = nullptr;
    int param_type = 0;
    X509_ALGOR_get0(&oid, &param_type, &param, pss->maskGenAlgorithm);
    if (OBJ_obj2nid(oid) != NID_mgf1) {
      return Refused(absl::StrCat("RSASSA-PSS with mask generation function ",
                                  DottedOid(oid), " (only MGF1 is accepted)"));
    }
    mgf1_hash = Mgf1Hash(pss->maskGenAlgorithm->parameter);
    if (mgf1_hash == NID_undef) {
      ERR_clear_error();
      return Refused("RSASSA-PSS with an undecodable MGF1 hash");
    }
  }
  AlgorithmUse h = JudgeDigest(hash);
  AlgorithmUse m = JudgeDigest(mgf1_hash);
  return {std::max(h.strength, m.strength),
          absl::StrCat("RSASSA-PSS (", h.what, ", MGF1 with ", m.what, ")")};
}

AlgorithmUse JudgeRsaKey(const EVP_PKEY* key, int bits) {
  std::string what = absl::StrCat("an RSA-", bits, " key");
  BIGNUM* e_raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e_raw) != 1) {
    ERR_clear_error();
    return Refused(
        absl::StrCat(what, " whose public exponent does not decode"));
  }
  BignumPtr e(e_raw);
  if (!BN_is_odd(e.get()) || BN_num_bits(e.get()) < 2) {  // even, or 1
    char* dec = BN_bn2dec(e.get());
    std::string text = dec != nullptr ? dec : "?";
    OPENSSL_free(dec);
    return Refused(absl::StrCat(what, " with public exponent ", text));
  }
  if (bits >= 2048) return {AlgorithmStrength::kStrong, std::move(what)};
  if (bits >= 1024) return {AlgorithmStrength::kLegacy, std::move(what)};
  return Refused(std::move(what));
}

AlgorithmUse JudgeEcKey(const EVP_PKEY* key, int bits) {
  int explicit_params = 0;
  if (EVP_PKEY_get_int_param(key,
                             OSSL_PKEY_PARAM_EC_DECODED_FROM_EXPLICIT_PARAMS,
                             &explicit_params) != 1 ||
      explicit_params != 0) {
    ERR_clear_error();
    return Refused(absl::StrCat("an EC key with explicit curve parameters (",
                                bits, " bits)"));
  }
  char group[80];
  size_t len = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof(group), &len) != 1) {
    ERR_clear_error();
    return Refused(
        absl::StrCat("an EC key without a named curve (", bits, " bits)"));
  }
  int nid = OBJ_sn2nid(group);
  if (nid == NID_undef) nid = OBJ_ln2nid(group);
  const char* nist = nid == NID_undef ? nullptr : EC_curve_nid2nist(nid);
  std::string what = absl::StrCat(
      "an EC key on ", nist != nullptr ? nist : group, " (", bits, " bits)");
  if (std::find(std::begin(kStrongCurves), std::end(kStrongCurves), nid) !=
      std::end(kStrongCurves)) {
    return {AlgorithmStrength::kStrong, std::move(what)};
  }
  return Refused(std::move(what));
}

// "EK certificate \"CN=x\"", "root CA \"CN=y\"", ... for depth `depth` of a
// path of `n` certificates.
std::string Describe(const X509* cert, int depth, int n) {
  const char* role = depth == 0       ? "EK certificate"
                     : depth == n - 1 ? "root CA"
                                      : "intermediate CA";
  std::string subject = NameToString(X509_get_subject_name(cert));
  if (subject.empty()) return absl::StrCat(role, " (empty subject)");
  return absl::StrCat(role, " \"", subject, "\"");
}

}  // namespace

AlgorithmUse ClassifySignature(const X509* cert) {
  const X509_ALGOR* alg = nullptr;
  X509_get0_signature(nullptr, &alg, cert);
  if (alg == nullptr) return Refused("no signature algorithm");
  const ASN1_OBJECT* oid = nullptr;
  int ptype = 0;
  const void* pval = nullptr;
  X509_ALGOR_get0(&oid, &ptype, &pval, alg);
  int sig_nid = OBJ_obj2nid(oid);
  std::string name = AlgorithmName(oid, sig_nid);
  if (sig_nid == NID_rsassaPss) return JudgePss(ptype, pval);
  int md_nid = NID_undef;
  int pk_nid = NID_undef;
  if (sig_nid == NID_undef ||
      OBJ_find_sigid_algs(sig_nid, &md_nid, &pk_nid) != 1) {
    return Refused(absl::StrCat(name,
                                " (not a signature algorithm OpenSSL "
                                "knows)"));
  }
  if (pk_nid != NID_rsaEncryption && pk_nid != NID_X9_62_id_ecPublicKey) {
    return Refused(
        absl::StrCat(name, " (only RSA and ECDSA signatures are accepted)"));
  }
  AlgorithmUse digest = JudgeDigest(md_nid);
  return {digest.strength, absl::StrCat(name, " (", digest.what, ")")};
}

AlgorithmUse ClassifyKey(const EVP_PKEY* key) {
  if (key == nullptr) return Refused("no decodable public key");
  int type = EVP_PKEY_get_base_id(key);
  int bits = EVP_PKEY_get_bits(key);
  if (type == EVP_PKEY_RSA || type == EVP_PKEY_RSA_PSS) {
    return JudgeRsaKey(key, bits);
  }
  if (type == EVP_PKEY_EC) return JudgeEcKey(key, bits);
  const char* sn = type == NID_undef ? nullptr : OBJ_nid2sn(type);
  return Refused(absl::StrCat("a key of type ", sn != nullptr ? sn : "unknown",
                              " (only RSA and EC keys are accepted)"));
}

AlgorithmStrength CertificateStrength(const X509* cert) {
  return std::max(ClassifySignature(cert).strength,
                  ClassifyKey(X509_get0_pubkey(cert)).strength);
}

std::vector<WeakAlgorithm> FindWeakAlgorithms(const STACK_OF(X509) * chain) {
  std::vector<WeakAlgorithm> out;
  int n = chain == nullptr ? 0 : sk_X509_num(chain);
  for (int i = 0; i < n; ++i) {
    const X509* cert = sk_X509_value(chain, i);
    if (i < n - 1) {
      AlgorithmUse sig = ClassifySignature(cert);
      if (sig.strength != AlgorithmStrength::kStrong) {
        out.push_back(
            {sig.strength, i,
             absl::StrCat(Describe(cert, i, n), " is signed with ", sig.what)});
      }
    }
    AlgorithmUse key = ClassifyKey(X509_get0_pubkey(cert));
    if (key.strength != AlgorithmStrength::kStrong) {
      out.push_back({key.strength, i,
                     absl::StrCat(Describe(cert, i, n), " has ", key.what)});
    }
  }
  ERR_clear_error();
  return out;
}

}  // namespace vtpm::verifier
