#include "common/bootstate/efi_signature_list.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/byte_reader.h"
#include "common/bootstate/guid.h"
#include "common/hex.h"
#include "common/ossl.h"
#include "common/tpm_alg.h"

namespace vtpm::bootstate {
namespace {

constexpr size_t kListHeaderSize = 28;
constexpr size_t kGuidSize = 16;

std::string Sha256Hex(absl::string_view data) {
  auto h = Hash(TPM2_ALG_SHA256, data);
  return h.ok() ? HexEncode(*h) : "";
}

std::string NameToString(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
    ERR_clear_error();
    return "";
  }
  char* p = nullptr;
  long n = BIO_get_mem_data(bio.get(), &p);
  return n > 0 ? std::string(p, static_cast<size_t>(n)) : "";
}

// Fills subject and issuer from DER; false when `der` is not exactly one
// certificate.
bool FillFromCertificate(absl::string_view der, SignatureEntry* e) {
  auto cert = ParseDerCertificate(der);
  if (!cert.ok()) return false;
  e->set_subject(NameToString(X509_get_subject_name(cert->get())));
  e->set_issuer(NameToString(X509_get_issuer_name(cert->get())));
  return true;
}

}  // namespace

SignatureEntry DecodeSignature(absl::string_view type_guid,
                               absl::string_view owner_guid,
                               absl::string_view data, std::string* problem) {
  SignatureEntry e;
  e.set_owner(std::string(owner_guid));
  if (type_guid == kCertX509Guid) {
    e.set_type(SignatureEntry::TYPE_X509);
    e.set_sha256(Sha256Hex(data));
    if (!FillFromCertificate(data, &e) && problem != nullptr) {
      *problem = absl::StrCat("X.509 signature of ", data.size(),
                              " bytes is not one DER certificate");
    }
  } else if (type_guid == kCertSha256Guid) {
    e.set_type(SignatureEntry::TYPE_SHA256);
    if (data.size() == 32) {
      e.set_sha256(HexEncode(data));
    } else {
      e.set_sha256(Sha256Hex(data));
      if (problem != nullptr) {
        *problem = absl::StrCat("SHA-256 signature has ", data.size(),
                                " bytes, not 32");
      }
    }
  } else {
    e.set_type(SignatureEntry::TYPE_OTHER);
    e.set_signature_type(std::string(type_guid));
  }
  return e;
}

absl::Status WalkSignatureLists(
    absl::string_view bytes,
    absl::FunctionRef<void(absl::string_view type_guid,
                           absl::string_view owner_raw, absl::string_view data,
                           size_t index)>
        visit) {
  ByteReader r(bytes);
  size_t index = 0;
  while (!r.empty()) {
    const size_t list_offset = r.position();
    absl::string_view type_raw;
    uint32_t list_size = 0, header_size = 0, sig_size = 0;
    if (!r.ReadBytes(kGuidSize, &type_raw) || !r.ReadU32(&list_size) ||
        !r.ReadU32(&header_size) || !r.ReadU32(&sig_size)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "EFI_SIGNATURE_LIST at offset ", list_offset, ": truncated header (",
          bytes.size() - list_offset, " bytes left)"));
    }
    const size_t body_left = r.remaining();
    if (list_size < kListHeaderSize ||
        list_size - kListHeaderSize > body_left) {
      return absl::InvalidArgumentError(
          absl::StrCat("EFI_SIGNATURE_LIST at offset ", list_offset,
                       ": SignatureListSize ", list_size, " does not fit the ",
                       body_left + kListHeaderSize, " bytes left"));
    }
    const size_t body_size = list_size - kListHeaderSize;
    if (header_size > body_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("EFI_SIGNATURE_LIST at offset ", list_offset,
                       ": SignatureHeaderSize ", header_size,
                       " exceeds the list body of ", body_size, " bytes"));
    }
    const size_t sigs_size = body_size - header_size;
    if (sig_size < kGuidSize || sigs_size % sig_size != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "EFI_SIGNATURE_LIST at offset ", list_offset, ": SignatureSize ",
          sig_size, " does not divide the ", sigs_size, " signature bytes"));
    }
    r.Skip(header_size);  // vendor-specific header: never a signature
    const std::string type = GuidToString(type_raw);
    for (size_t i = 0; i < sigs_size / sig_size; ++i, ++index) {
      absl::string_view owner, data;
      r.ReadBytes(kGuidSize, &owner);
      r.ReadBytes(sig_size - kGuidSize, &data);
      visit(type, owner, data, index);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SignatureEntry>> ParseSignatureLists(
    absl::string_view bytes, std::vector<std::string>* problems) {
  std::vector<SignatureEntry> out;
  absl::Status st = WalkSignatureLists(bytes, [&](absl::string_view type,
                                                  absl::string_view owner,
                                                  absl::string_view data,
                                                  size_t index) {
    std::string problem;
    out.push_back(DecodeSignature(type, GuidToString(owner), data, &problem));
    if (!problem.empty() && problems != nullptr) {
      problems->push_back(absl::StrCat("signature ", index, ": ", problem));
    }
  });
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<size_t> CountSignatures(absl::string_view bytes) {
  size_t n = 0;
  absl::Status st =
      WalkSignatureLists(bytes, [&](absl::string_view, absl::string_view,
                                    absl::string_view, size_t) { ++n; });
  if (!st.ok()) return st;
  return n;
}

absl::StatusOr<SignatureEntry> ParseAuthoritySignature(absl::string_view data,
                                                       bool* bare_certificate) {
  *bare_certificate = false;
  if (data.size() == kGuidSize + 32) {
    return DecodeSignature(kCertSha256Guid, GuidToString(data.substr(0, 16)),
                           data.substr(kGuidSize), nullptr);
  }
  if (data.size() > kGuidSize) {
    std::string problem;
    SignatureEntry e =
        DecodeSignature(kCertX509Guid, GuidToString(data.substr(0, kGuidSize)),
                        data.substr(kGuidSize), &problem);
    if (problem.empty()) return e;
  }
  std::string problem;
  SignatureEntry bare = DecodeSignature(kCertX509Guid, "", data, &problem);
  if (problem.empty()) {
    *bare_certificate = true;
    return bare;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("authority of ", data.size(),
                   " bytes is neither an EFI_SIGNATURE_DATA (owner GUID + DER "
                   "certificate or SHA-256) nor a bare DER certificate"));
}

}  // namespace vtpm::bootstate
