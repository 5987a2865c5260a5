// EFI signature databases (UEFI spec 32.4.1): the EFI_SIGNATURE_LIST
// sequence that PK, KEK, db, dbx and shim's MokList hold, and the single
// EFI_SIGNATURE_DATA of an EV_EFI_VARIABLE_AUTHORITY event.
//   EFI_SIGNATURE_LIST: EFI_GUID SignatureType; UINT32 SignatureListSize;
//     UINT32 SignatureHeaderSize; UINT32 SignatureSize;
//     UINT8 SignatureHeader[SignatureHeaderSize];
//     EFI_SIGNATURE_DATA Signatures[...] (each SignatureSize bytes)
//   EFI_SIGNATURE_DATA: EFI_GUID SignatureOwner; UINT8 SignatureData[].
#ifndef VTPM_COMMON_BOOTSTATE_EFI_SIGNATURE_LIST_H_
#define VTPM_COMMON_BOOTSTATE_EFI_SIGNATURE_LIST_H_

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::bootstate {

using ::vtpm_attest::v1::SignatureEntry;

// Decodes one signature of list type `type_guid` (GuidToString form):
// X.509 (subject and issuer in RFC 2253, sha256 = SHA-256 of the DER),
// SHA-256 (sha256 = the 32-byte hash in hex) or anything else (TYPE_OTHER
// with signature_type set). Never fails: an X.509 signature whose data is
// not one DER certificate, or a SHA-256 signature that is not 32 bytes,
// keeps its type and the SHA-256 of its bytes, and `*problem` (if not
// null) says what is wrong; `*problem` is left alone otherwise.
SignatureEntry DecodeSignature(absl::string_view type_guid,
                               absl::string_view owner_guid,
                               absl::string_view data, std::string* problem);

// Parses a whole signature database (zero or more EFI_SIGNATURE_LISTs).
// Fails (InvalidArgument, naming the list's offset) when a list's sizes
// are inconsistent: SignatureListSize smaller than its header or larger
// than the bytes left, SignatureSize below 16 (the owner GUID), or a
// signature area that is not a whole number of signatures. The vendor
// SignatureHeader is skipped. Problems with single signatures (see
// DecodeSignature) are appended to `problems` (may be null), prefixed
// with the signature's position.
absl::StatusOr<std::vector<SignatureEntry>> ParseSignatureLists(
    absl::string_view bytes, std::vector<std::string>* problems);

// Visits every signature of a signature database in order, with the
// same size checks and errors as ParseSignatureLists, decoding nothing.
absl::Status WalkSignatureLists(
    absl::string_view bytes,
    absl::FunctionRef<void(absl::string_view type_guid,
                           absl::string_view owner_raw, absl::string_view data,
                           size_t index)>
        visit);

// The number of signatures in a signature database (no certificate is
// decoded: for descriptions).
absl::StatusOr<size_t> CountSignatures(absl::string_view bytes);

// Parses the VariableData of an EV_EFI_VARIABLE_AUTHORITY event: one
// EFI_SIGNATURE_DATA whose type is not recorded in the event. 48 bytes
// (owner + 32) are taken as a SHA-256 hash; otherwise the data after the
// owner must be one DER certificate. Old shims (before 15.3, rhboot/shim
// #237) logged the bare certificate without the owner GUID; that form is
// accepted too (owner left empty) and `*bare_certificate` is set. Fails when
// neither form decodes.
absl::StatusOr<SignatureEntry> ParseAuthoritySignature(absl::string_view data,
                                                       bool* bare_certificate);

}  // namespace vtpm::bootstate

#endif  // VTPM_COMMON_BOOTSTATE_EFI_SIGNATURE_LIST_H_
