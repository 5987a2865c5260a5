#include "tests/load/soft_tpm.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <tss2/tss2_mu.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/crypto/hmac.h"
#include "common/crypto/kdf.h"
#include "common/crypto/secret_bytes.h"
#include "common/hex.h"
#include "common/reason.h"
#include "common/status_macros.h"
#include "common/tpm_alg.h"
#include "common/tpm_public.h"

namespace vtpm::load {
namespace {

constexpr absl::string_view kIdentityLabel("IDENTITY\0", 9);
constexpr absl::string_view kStorageLabel("STORAGE\0", 8);
constexpr absl::string_view kIntegrityLabel("INTEGRITY\0", 10);
constexpr size_t kP256Bytes = 32;

using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OsslDeleter<ECDSA_SIG_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, OsslDeleter<X509_NAME_free>>;
using GeneralNamesPtr =
    std::unique_ptr<GENERAL_NAMES, OsslDeleter<GENERAL_NAMES_free>>;
using X509ExtPtr =
    std::unique_ptr<X509_EXTENSION, OsslDeleter<X509_EXTENSION_free>>;

absl::string_view View(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

absl::StatusOr<EvpPkeyPtr> NewP256Key() {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return OsslError("generating a P-256 key");
  return key;
}

// Big-endian coordinate `param` of an EC key, left-padded to 32 bytes.
absl::Status Coordinate(EVP_PKEY* key, const char* param,
                        TPM2B_ECC_PARAMETER* out) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &raw) != 1) {
    return OsslError(absl::StrCat("reading EC key ", param));
  }
  BignumPtr bn(raw);
  if (BN_bn2binpad(bn.get(), out->buffer, kP256Bytes) != kP256Bytes) {
    return OsslError("EC coordinate does not fit 32 bytes");
  }
  out->size = kP256Bytes;
  return absl::OkStatus();
}

absl::Status SetPoint(EVP_PKEY* key, TPMS_ECC_POINT* point) {
  RETURN_IF_ERROR(Coordinate(key, OSSL_PKEY_PARAM_EC_PUB_X, &point->x));
  return Coordinate(key, OSSL_PKEY_PARAM_EC_PUB_Y, &point->y);
}

// The EK public area of template L-2 with `key`'s point as unique.
absl::StatusOr<TPMT_PUBLIC> EkArea(EVP_PKEY* key) {
  TPMT_PUBLIC pub = {};
  pub.type = TPM2_ALG_ECC;
  pub.nameAlg = TPM2_ALG_SHA256;
  pub.objectAttributes = kEkTemplateAttributes;
  ASSIGN_OR_RETURN(std::string policy, HexDecode(kEkAuthPolicySha256Hex));
  pub.authPolicy.size = static_cast<UINT16>(policy.size());
  memcpy(pub.authPolicy.buffer, policy.data(), policy.size());
  TPMS_ECC_PARMS& ecc = pub.parameters.eccDetail;
  ecc.symmetric.algorithm = TPM2_ALG_AES;
  ecc.symmetric.keyBits.aes = 128;
  ecc.symmetric.mode.aes = TPM2_ALG_CFB;
  ecc.scheme.scheme = TPM2_ALG_NULL;
  ecc.curveID = TPM2_ECC_NIST_P256;
  ecc.kdf.scheme = TPM2_ALG_NULL;
  RETURN_IF_ERROR(SetPoint(key, &pub.unique.ecc));
  return pub;
}

// An ECC P-256 AK: restricted signing key, ECDSA-SHA256, nameAlg sha256.
absl::StatusOr<TPMT_PUBLIC> AkArea(EVP_PKEY* key) {
  TPMT_PUBLIC pub = {};
  pub.type = TPM2_ALG_ECC;
  pub.nameAlg = TPM2_ALG_SHA256;
  pub.objectAttributes = kAkAttributes;
  TPMS_ECC_PARMS& ecc = pub.parameters.eccDetail;
  ecc.symmetric.algorithm = TPM2_ALG_NULL;
  ecc.scheme.scheme = TPM2_ALG_ECDSA;
  ecc.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  ecc.curveID = TPM2_ECC_NIST_P256;
  ecc.kdf.scheme = TPM2_ALG_NULL;
  RETURN_IF_ERROR(SetPoint(key, &pub.unique.ecc));
  return pub;
}

absl::StatusOr<std::string> Marshal2bPublic(const TPMT_PUBLIC& area) {
  TPM2B_PUBLIC pub = {};
  pub.publicArea = area;
  return MarshalPublic(pub);
}

absl::Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid,
                          const char* value) {
  X509ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OsslError(
        absl::StrCat("adding extension ", OBJ_nid2sn(nid), "=", value));
  }
  return absl::OkStatus();
}

absl::Status SetValidity(X509* cert, int64_t from_s, int64_t to_s) {
  if (X509_gmtime_adj(X509_getm_notBefore(cert), from_s) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert), to_s) == nullptr) {
    return OsslError("setting validity");
  }
  return absl::OkStatus();
}

absl::StatusOr<X509NamePtr> CnName(const std::string& cn) {
  X509NamePtr name(X509_NAME_new());
  if (!name || X509_NAME_add_entry_by_txt(
                   name.get(), "CN", MBSTRING_UTF8,
                   reinterpret_cast<const unsigned char*>(cn.data()),
                   static_cast<int>(cn.size()), -1, 0) != 1) {
    return OsslError("building a subject name");
  }
  return name;
}

// subjectAltName directoryName with the TCG TPM attributes, critical.
absl::Status AddTpmSan(X509* cert) {
  X509NamePtr dn(X509_NAME_new());
  if (!dn) return OsslError("X509_NAME_new");
  const std::pair<const char*, const char*> attrs[] = {
      {"2.23.133.2.1", "id:00001014"},
      {"2.23.133.2.2", "vtpm-load"},
      {"2.23.133.2.3", "id:20191023"}};
  for (const auto& [oid, value] : attrs) {
    if (X509_NAME_add_entry_by_txt(
            dn.get(), oid, MBSTRING_UTF8,
            reinterpret_cast<const unsigned char*>(value), -1, -1, 0) != 1) {
      return OsslError(absl::StrCat("SAN attribute ", oid));
    }
  }
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  GENERAL_NAME* gn = GENERAL_NAME_new();
  if (!names || gn == nullptr) return OsslError("GENERAL_NAME_new");
  GENERAL_NAME_set0_value(gn, GEN_DIRNAME, dn.release());
  if (sk_GENERAL_NAME_push(names.get(), gn) == 0) {
    GENERAL_NAME_free(gn);
    return OsslError("sk_GENERAL_NAME_push");
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 1,
                        X509V3_ADD_DEFAULT) != 1) {
    return OsslError("adding subjectAltName");
  }
  return absl::OkStatus();
}

// Deterministic PCR value: H_bank("vtpm-load-pcr" || seed || bank || index).
absl::StatusOr<std::string> SyntheticPcr(TPMI_ALG_HASH bank, uint64_t seed,
                                         uint32_t index) {
  std::string input =
      absl::StrCat("vtpm-load-pcr:", seed, ":", bank, ":", index);
  return Hash(bank, input);
}

}  // namespace

// --- SoftEkCa ---------------------------------------------------------------

absl::StatusOr<std::unique_ptr<SoftEkCa>> SoftEkCa::Create(
    const std::string& common_name) {
  std::unique_ptr<SoftEkCa> ca(new SoftEkCa());
  ASSIGN_OR_RETURN(ca->key_, NewP256Key());
  ca->cert_.reset(X509_new());
  X509* cert = ca->cert_.get();
  if (cert == nullptr || X509_set_version(cert, X509_VERSION_3) != 1 ||
      ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert), 1) != 1) {
    return OsslError("X509_new");
  }
  ASSIGN_OR_RETURN(X509NamePtr name, CnName(common_name));
  if (X509_set_subject_name(cert, name.get()) != 1 ||
      X509_set_issuer_name(cert, name.get()) != 1 ||
      X509_set_pubkey(cert, ca->key_.get()) != 1) {
    return OsslError("CA certificate fields");
  }
  RETURN_IF_ERROR(SetValidity(cert, -3600, 20LL * 365 * 86400));
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  RETURN_IF_ERROR(
      AddExtension(cert, &ctx, NID_basic_constraints, "critical,CA:TRUE"));
  RETURN_IF_ERROR(
      AddExtension(cert, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"));
  RETURN_IF_ERROR(AddExtension(cert, &ctx, NID_subject_key_identifier, "hash"));
  if (X509_sign(cert, ca->key_.get(), EVP_sha256()) == 0) {
    return OsslError("signing the CA certificate");
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return OsslError("PEM_write_bio_X509");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  ca->cert_pem_.assign(data, static_cast<size_t>(len));
  return ca;
}

absl::StatusOr<std::string> SoftEkCa::IssueEkCert(EVP_PKEY* ek_key,
                                                  const std::string& subject_cn,
                                                  uint64_t serial) const {
  X509Ptr owner(X509_new());
  X509* cert = owner.get();
  if (cert == nullptr || X509_set_version(cert, X509_VERSION_3) != 1 ||
      ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert), serial) != 1) {
    return OsslError("X509_new");
  }
  ASSIGN_OR_RETURN(X509NamePtr subject, CnName(subject_cn));
  if (X509_set_subject_name(cert, subject.get()) != 1 ||
      X509_set_issuer_name(cert, X509_get_subject_name(cert_.get())) != 1 ||
      X509_set_pubkey(cert, ek_key) != 1) {
    return OsslError("EK certificate fields");
  }
  RETURN_IF_ERROR(SetValidity(cert, -3600, 10LL * 365 * 86400));
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert_.get(), cert, nullptr, nullptr, 0);
  RETURN_IF_ERROR(
      AddExtension(cert, &ctx, NID_basic_constraints, "critical,CA:FALSE"));
  const bool rsa = EVP_PKEY_get_base_id(ek_key) == EVP_PKEY_RSA;
  RETURN_IF_ERROR(
      AddExtension(cert, &ctx, NID_key_usage,
                   rsa ? "critical,keyEncipherment" : "critical,keyAgreement"));
  RETURN_IF_ERROR(AddExtension(cert, &ctx, NID_ext_key_usage, "2.23.133.8.1"));
  RETURN_IF_ERROR(
      AddExtension(cert, &ctx, NID_authority_key_identifier, "keyid:always"));
  RETURN_IF_ERROR(AddTpmSan(cert));
  if (X509_sign(cert, key_.get(), EVP_sha256()) == 0) {
    return OsslError("signing the EK certificate");
  }
  return CertificateToDer(cert);
}

// --- SoftTpm ----------------------------------------------------------------

absl::StatusOr<std::unique_ptr<SoftTpm>> SoftTpm::Create(
    const SoftEkCa& ca, const SoftTpmOptions& options) {
  std::unique_ptr<SoftTpm> tpm(new SoftTpm());
  tpm->options_ = options;
  ASSIGN_OR_RETURN(tpm->ek_key_, NewP256Key());
  ASSIGN_OR_RETURN(tpm->ak_key_, NewP256Key());
  ASSIGN_OR_RETURN(tpm->ek_area_, EkArea(tpm->ek_key_.get()));
  ASSIGN_OR_RETURN(tpm->ak_area_, AkArea(tpm->ak_key_.get()));
  ASSIGN_OR_RETURN(tpm->ek_public_, Marshal2bPublic(tpm->ek_area_));
  ASSIGN_OR_RETURN(tpm->ak_public_, Marshal2bPublic(tpm->ak_area_));
  ASSIGN_OR_RETURN(tpm->ak_name_, ComputeName(tpm->ak_area_));
  ASSIGN_OR_RETURN(tpm->ek_cert_der_,
                   ca.IssueEkCert(tpm->ek_key_.get(), options.ek_cert_cn,
                                  options.ek_cert_serial));
  tpm->created_ = std::chrono::steady_clock::now();
  return tpm;
}

absl::StatusOr<std::string> SoftTpm::ActivateCredential(
    absl::string_view credential_blob,
    absl::string_view encrypted_secret) const {
  // TPM2B_ENCRYPTED_SECRET whose buffer is a marshalled TPMS_ECC_POINT.
  TPM2B_ENCRYPTED_SECRET secret = {};
  size_t off = 0;
  if (Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(
          reinterpret_cast<const uint8_t*>(encrypted_secret.data()),
          encrypted_secret.size(), &off, &secret) != TSS2_RC_SUCCESS ||
      off != encrypted_secret.size()) {
    return absl::InvalidArgumentError(
        "encrypted secret is not one TPM2B_ENCRYPTED_SECRET");
  }
  TPMT_PUBLIC ephemeral = {};
  ephemeral.type = TPM2_ALG_ECC;
  ephemeral.nameAlg = TPM2_ALG_SHA256;
  ephemeral.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  ephemeral.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
  ephemeral.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
  ephemeral.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  off = 0;
  if (Tss2_MU_TPMS_ECC_POINT_Unmarshal(secret.secret, secret.size, &off,
                                       &ephemeral.unique.ecc) !=
          TSS2_RC_SUCCESS ||
      off != secret.size) {
    return absl::InvalidArgumentError(
        "encrypted secret is not one TPMS_ECC_POINT");
  }
  auto peer = PublicToEvp(ephemeral);  // rejects points off the curve
  if (!peer.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ephemeral point: ", peer.status().message()));
  }

  // Z = x(d_EK * Q), padded to the coordinate size.
  EvpPkeyCtxPtr derive(
      EVP_PKEY_CTX_new_from_pkey(nullptr, ek_key_.get(), nullptr));
  size_t z_len = 0;
  if (!derive || EVP_PKEY_derive_init(derive.get()) != 1 ||
      EVP_PKEY_derive_set_peer(derive.get(), peer->get()) != 1 ||
      EVP_PKEY_derive(derive.get(), nullptr, &z_len) != 1) {
    return OsslError("ECDH with the ephemeral point");
  }
  SecretBytes z(z_len);
  if (EVP_PKEY_derive(derive.get(), z.data(), &z_len) != 1 ||
      z_len != kP256Bytes) {
    return OsslError("ECDH with the ephemeral point");
  }
  const TPMS_ECC_POINT& q = ephemeral.unique.ecc;
  const TPMS_ECC_POINT& ek = ek_area_.unique.ecc;
  ASSIGN_OR_RETURN(
      SecretBytes seed,
      KdfE(TPM2_ALG_SHA256, AsStringView(z), kIdentityLabel,
           View(q.x.buffer, q.x.size), View(ek.x.buffer, ek.x.size), 256));

  // TPM2B_ID_OBJECT = size || TPM2B_DIGEST(outerHMAC) || encIdentity.
  TPM2B_ID_OBJECT id = {};
  off = 0;
  if (Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(
          reinterpret_cast<const uint8_t*>(credential_blob.data()),
          credential_blob.size(), &off, &id) != TSS2_RC_SUCCESS ||
      off != credential_blob.size()) {
    return absl::InvalidArgumentError(
        "credential blob is not one TPM2B_ID_OBJECT");
  }
  TPM2B_DIGEST outer_hmac = {};
  off = 0;
  if (Tss2_MU_TPM2B_DIGEST_Unmarshal(id.credential, id.size, &off,
                                     &outer_hmac) != TSS2_RC_SUCCESS ||
      outer_hmac.size != 32 || off >= id.size) {
    return absl::InvalidArgumentError(
        "credential blob: outer HMAC is not a SHA-256 TPM2B_DIGEST followed "
        "by encIdentity");
  }
  absl::string_view enc_identity = View(id.credential + off, id.size - off);

  ASSIGN_OR_RETURN(
      SecretBytes hmac_key,
      KdfA(TPM2_ALG_SHA256, AsStringView(seed), kIntegrityLabel, "", "", 256));
  ASSIGN_OR_RETURN(
      std::string expected_hmac,
      Hmac(TPM2_ALG_SHA256, AsStringView(hmac_key), {enc_identity, ak_name_}));
  if (!ConstantTimeEquals(expected_hmac,
                          View(outer_hmac.buffer, outer_hmac.size))) {
    return ReasonError(vtpm_attest::v1::ACTIVATION_FAILED,
                       "credential integrity check failed (TPM_RC_INTEGRITY): "
                       "made for another EK or another object name");
  }

  ASSIGN_OR_RETURN(SecretBytes sym_key,
                   KdfA(TPM2_ALG_SHA256, AsStringView(seed), kStorageLabel,
                        ak_name_, "", 128));
  const unsigned char iv[16] = {};
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  SecretBytes plain(enc_identity.size() + 16);
  int len = 0, final_len = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_cfb128(), nullptr,
                         sym_key.data(), iv) != 1 ||
      EVP_DecryptUpdate(ctx.get(), plain.data(), &len,
                        reinterpret_cast<const uint8_t*>(enc_identity.data()),
                        static_cast<int>(enc_identity.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), plain.data() + len, &final_len) != 1) {
    return OsslError("AES-CFB decryption of the credential");
  }
  plain.resize(len + final_len);
  if (plain.size() < 2) {
    return absl::InvalidArgumentError("encIdentity shorter than a TPM2B size");
  }
  size_t size = (static_cast<size_t>(plain[0]) << 8) | plain[1];
  if (size != plain.size() - 2) {
    return absl::InvalidArgumentError(
        absl::StrFormat("decrypted TPM2B_DIGEST claims %d bytes, has %d", size,
                        plain.size() - 2));
  }
  return std::string(plain.begin() + 2, plain.end());
}

void SoftTpm::SetPcrValue(TPMI_ALG_HASH hash, uint32_t index,
                          std::string value) {
  if (value.empty()) {
    overrides_[hash].erase(index);
  } else {
    overrides_[hash][index] = std::move(value);
  }
}

absl::StatusOr<std::string> SoftTpm::PcrValue(TPMI_ALG_HASH hash,
                                              uint32_t index) const {
  if (index >= static_cast<uint32_t>(kMaxPcrs)) {
    return absl::InvalidArgumentError(absl::StrCat("PCR ", index));
  }
  if (DigestSize(hash) == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("no PCR bank ", HashAlgName(hash)));
  }
  auto bank = overrides_.find(hash);
  if (bank != overrides_.end()) {
    auto v = bank->second.find(index);
    if (v != bank->second.end()) return v->second;
  }
  return SyntheticPcr(
      hash,
      index < 8 ? options_.image_seed : options_.machine_seed + (1ULL << 63),
      index);
}

TPMS_CLOCK_INFO SoftTpm::clock() const {
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - created_)
                     .count();
  int64_t now = elapsed + clock_offset_ms_;
  TPMS_CLOCK_INFO info = {};
  info.clock = std::max<uint64_t>(now < 0 ? 0 : static_cast<uint64_t>(now),
                                  last_clock_ + 1);
  info.resetCount = reset_count_;
  info.restartCount = restart_count_;
  info.safe = TPM2_YES;
  return info;
}

void SoftTpm::Reboot() {
  ++reset_count_;
  restart_count_ = 0;
}

void SoftTpm::SetCounters(uint32_t reset_count, uint32_t restart_count) {
  reset_count_ = reset_count;
  restart_count_ = restart_count;
}

void SoftTpm::AdjustClock(int64_t delta_ms) {
  clock_offset_ms_ += delta_ms;
  if (delta_ms < 0) {
    // Let the clock really go back (a restored snapshot).
    uint64_t back = static_cast<uint64_t>(-delta_ms);
    last_clock_ = last_clock_ > back ? last_clock_ - back : 0;
  }
}

absl::StatusOr<SoftTpm::Quote> SoftTpm::MakeQuote(
    absl::string_view nonce, const PcrSelection& selection) {
  TPMS_ATTEST attest = {};
  if (nonce.size() > sizeof(attest.extraData.buffer)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("nonce of %d bytes exceeds TPM2B_DATA", nonce.size()));
  }
  if (selection.empty()) {
    return absl::InvalidArgumentError("empty PCR selection");
  }
  Quote out;
  for (const PcrBankSelection& bank : selection) {
    for (uint32_t i = 0; i < static_cast<uint32_t>(kMaxPcrs); ++i) {
      if (!bank.pcrs.test(i)) continue;
      ASSIGN_OR_RETURN(out.pcrs[bank.hash][i], PcrValue(bank.hash, i));
    }
  }
  attest.magic = TPM2_GENERATED_VALUE;
  attest.type = TPM2_ST_ATTEST_QUOTE;
  attest.qualifiedSigner.size = static_cast<UINT16>(ak_name_.size());
  memcpy(attest.qualifiedSigner.name, ak_name_.data(), ak_name_.size());
  attest.extraData.size = static_cast<UINT16>(nonce.size());
  memcpy(attest.extraData.buffer, nonce.data(), nonce.size());
  attest.clockInfo = clock();
  last_clock_ = attest.clockInfo.clock;
  attest.firmwareVersion = options_.firmware_version;
  attest.attested.quote.pcrSelect = ToTpml(selection);
  ASSIGN_OR_RETURN(std::string digest,
                   ComputePcrDigest(selection, out.pcrs, TPM2_ALG_SHA256));
  attest.attested.quote.pcrDigest.size = static_cast<UINT16>(digest.size());
  memcpy(attest.attested.quote.pcrDigest.buffer, digest.data(), digest.size());

  uint8_t buf[sizeof(TPMS_ATTEST) + 16];
  size_t off = 0;
  TSS2_RC rc = Tss2_MU_TPMS_ATTEST_Marshal(&attest, buf, sizeof(buf), &off);
  if (rc != TSS2_RC_SUCCESS) {
    return absl::InternalError(
        absl::StrFormat("TPMS_ATTEST marshal failed (rc 0x%x)", rc));
  }
  out.attest.assign(reinterpret_cast<char*>(buf), off);

  // ECDSA-SHA256 over the attestation.
  EvpMdCtxPtr md(EVP_MD_CTX_new());
  unsigned char der[80];
  size_t der_len = sizeof(der);
  if (!md ||
      EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr,
                         ak_key_.get()) != 1 ||
      EVP_DigestSign(md.get(), der, &der_len, buf, off) != 1) {
    return OsslError("ECDSA signing of the quote");
  }
  const unsigned char* p = der;
  EcdsaSigPtr ecdsa(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
  if (!ecdsa) return OsslError("d2i_ECDSA_SIG");
  TPMT_SIGNATURE sig = {};
  sig.sigAlg = TPM2_ALG_ECDSA;
  sig.signature.ecdsa.hash = TPM2_ALG_SHA256;
  TPM2B_ECC_PARAMETER& r = sig.signature.ecdsa.signatureR;
  TPM2B_ECC_PARAMETER& s = sig.signature.ecdsa.signatureS;
  if (BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa.get()), r.buffer, kP256Bytes) !=
          kP256Bytes ||
      BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa.get()), s.buffer, kP256Bytes) !=
          kP256Bytes) {
    return OsslError("ECDSA r/s");
  }
  r.size = s.size = kP256Bytes;
  uint8_t sig_buf[sizeof(TPMT_SIGNATURE)];
  off = 0;
  rc = Tss2_MU_TPMT_SIGNATURE_Marshal(&sig, sig_buf, sizeof(sig_buf), &off);
  if (rc != TSS2_RC_SUCCESS) {
    return absl::InternalError(
        absl::StrFormat("TPMT_SIGNATURE marshal failed (rc 0x%x)", rc));
  }
  out.signature.assign(reinterpret_cast<char*>(sig_buf), off);
  return out;
}

absl::StatusOr<vtpm_attest::v1::QuoteResponse> SoftTpm::Answer(
    const vtpm_attest::v1::QuoteRequest& request) {
  ASSIGN_OR_RETURN(PcrSelection selection, FromProto(request.selection()));
  ASSIGN_OR_RETURN(Quote quote, MakeQuote(request.nonce(), selection));
  vtpm_attest::v1::QuoteResponse response;
  response.set_attest(std::move(quote.attest));
  response.set_signature(std::move(quote.signature));
  PcrValuesToProto(quote.pcrs, response.mutable_pcrs());
  return response;
}

}  // namespace vtpm::load
