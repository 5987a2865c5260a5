#include "verifier/ek/ek_profile.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ossl.h"
#include "common/reason.h"
#include "common/status_macros.h"

namespace vtpm::verifier {
namespace {

constexpr char kTpmManufacturerOid[] = "2.23.133.2.1";
constexpr char kTpmModelOid[] = "2.23.133.2.2";
constexpr char kTpmVersionOid[] = "2.23.133.2.3";

using GeneralNamesPtr =
    std::unique_ptr<GENERAL_NAMES, OsslDeleter<GENERAL_NAMES_free>>;
using EkuPtr =
    std::unique_ptr<EXTENDED_KEY_USAGE, OsslDeleter<EXTENDED_KEY_USAGE_free>>;

absl::Status ProfileError(absl::string_view message) {
  return ReasonError(vtpm_attest::v1::EK_CERT_PROFILE,
                     absl::StrCat("EK certificate profile: ", message));
}

// Dotted OID text (never the short name).
std::string OidText(const ASN1_OBJECT* obj) {
  char buf[128];
  int n = OBJ_obj2txt(buf, sizeof(buf), obj, /*no_name=*/1);
  if (n <= 0) return "?";
  if (n >= static_cast<int>(sizeof(buf))) return "(long OID)";
  return std::string(buf, n);
}

absl::Status CheckCriticalExtensions(X509* cert) {
  std::vector<std::string> oids = UnsupportedCriticalExtensions(cert);
  if (oids.empty()) return absl::OkStatus();
  return ProfileError(absl::StrCat("unsupported critical extension ",
                                   absl::StrJoin(oids, ", ")));
}

absl::Status CheckNotCa(X509* cert) {
  uint32_t flags = X509_get_extension_flags(cert);
  if (flags & EXFLAG_CA) return ProfileError("basicConstraints CA:TRUE");
  if ((flags & EXFLAG_KUSAGE) &&
      (X509_get_key_usage(cert) & KU_KEY_CERT_SIGN)) {
    return ProfileError("keyUsage includes keyCertSign");
  }
  return absl::OkStatus();
}

absl::Status CheckKeyUsage(X509* cert) {
  if (!(X509_get_extension_flags(cert) & EXFLAG_KUSAGE)) {
    return ProfileError("no keyUsage extension");
  }
  uint32_t ku = X509_get_key_usage(cert);
  EVP_PKEY* key = X509_get0_pubkey(cert);
  int type = key ? EVP_PKEY_get_base_id(key) : EVP_PKEY_NONE;
  if (type == EVP_PKEY_RSA) {
    if (!(ku & KU_KEY_ENCIPHERMENT)) {
      return ProfileError("RSA EK certificate keyUsage lacks keyEncipherment");
    }
  } else if (type == EVP_PKEY_EC) {
    if (!(ku & (KU_KEY_AGREEMENT | KU_KEY_ENCIPHERMENT))) {
      return ProfileError(
          "ECC EK certificate keyUsage lacks keyAgreement and "
          "keyEncipherment");
    }
  } else {
    ERR_clear_error();
    return ProfileError("public key is neither RSA nor EC");
  }
  return absl::OkStatus();
}

absl::Status CheckEku(X509* cert, bool require_eku) {
  int crit = 0;
  EkuPtr eku(static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(cert, NID_ext_key_usage, &crit, nullptr)));
  if (!eku) {
    ERR_clear_error();
    if (crit == -1) {
      if (require_eku) {
        return ProfileError(absl::StrCat("no extendedKeyUsage (",
                                         kEkCertificateEku, " required)"));
      }
      return absl::OkStatus();
    }
    return ProfileError("extendedKeyUsage is repeated or does not decode");
  }
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    if (OidText(sk_ASN1_OBJECT_value(eku.get(), i)) == kEkCertificateEku) {
      return absl::OkStatus();
    }
  }
  return ProfileError(absl::StrCat("extendedKeyUsage lacks ", kEkCertificateEku,
                                   " (tcg-kp-EKCertificate)"));
}

// Stores the value of one TPM attribute, refusing repeats and empties.
absl::Status TakeAttribute(const char* what, X509_NAME_ENTRY* entry,
                           std::string& out) {
  if (!out.empty()) {
    return ProfileError(absl::StrCat("subjectAltName repeats ", what));
  }
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
  if (len < 0) {
    ERR_clear_error();
    return ProfileError(
        absl::StrCat("subjectAltName ", what, " is not a decodable string"));
  }
  out.assign(reinterpret_cast<char*>(utf8), len);
  OPENSSL_free(utf8);
  if (out.empty()) {
    return ProfileError(absl::StrCat("subjectAltName ", what, " is empty"));
  }
  return absl::OkStatus();
}

absl::StatusOr<TpmSan> ParseSan(X509* cert) {
  int crit = 0;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, nullptr)));
  if (!names) {
    ERR_clear_error();
    if (crit == -1) return ProfileError("no subjectAltName");
    return ProfileError("subjectAltName is repeated or does not decode");
  }
  if (crit == 0 && X509_NAME_entry_count(X509_get_subject_name(cert)) == 0) {
    return ProfileError("subject is empty but subjectAltName is not critical");
  }
  TpmSan san;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (gn->type != GEN_DIRNAME) continue;
    X509_NAME* dn = gn->d.directoryName;
    for (int j = 0; j < X509_NAME_entry_count(dn); ++j) {
      X509_NAME_ENTRY* entry = X509_NAME_get_entry(dn, j);
      std::string oid = OidText(X509_NAME_ENTRY_get_object(entry));
      if (oid == kTpmManufacturerOid) {
        RETURN_IF_ERROR(
            TakeAttribute("tpmManufacturer", entry, san.manufacturer));
      } else if (oid == kTpmModelOid) {
        RETURN_IF_ERROR(TakeAttribute("tpmModel", entry, san.model));
      } else if (oid == kTpmVersionOid) {
        RETURN_IF_ERROR(TakeAttribute("tpmVersion", entry, san.version));
      }
    }
  }
  std::string missing;
  if (san.manufacturer.empty()) missing += " tpmManufacturer";
  if (san.model.empty()) missing += " tpmModel";
  if (san.version.empty()) missing += " tpmVersion";
  if (!missing.empty()) {
    return ProfileError(
        absl::StrCat("subjectAltName directoryName lacks", missing));
  }
  return san;
}

}  // namespace

std::vector<std::string> UnsupportedCriticalExtensions(X509* cert) {
  std::vector<std::string> oids;
  for (int i = 0; i < X509_get_ext_count(cert); ++i) {
    X509_EXTENSION* ext = X509_get_ext(cert, i);
    if (X509_EXTENSION_get_critical(ext) && !X509_supported_extension(ext)) {
      oids.push_back(OidText(X509_EXTENSION_get_object(ext)));
    }
  }
  return oids;
}

absl::StatusOr<TpmSan> CheckEkProfile(X509* cert, bool require_eku) {
  RETURN_IF_ERROR(CheckCriticalExtensions(cert));
  RETURN_IF_ERROR(CheckNotCa(cert));
  RETURN_IF_ERROR(CheckKeyUsage(cert));
  RETURN_IF_ERROR(CheckEku(cert, require_eku));
  return ParseSan(cert);
}

}  // namespace vtpm::verifier
