// Checks on the agent's Hello that do not need the trust store: sizes and
// the attestation key's public area and name.
#ifndef VTPM_VERIFIER_SERVICE_HELLO_CHECKS_H_
#define VTPM_VERIFIER_SERVICE_HELLO_CHECKS_H_

#include <tss2/tss2_tpm2_types.h>

#include <string>

#include "absl/status/statusor.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::verifier {

// The whole message (kMaxHelloBytes), every field and every count of a
// repeated field within its limit (limits.h); OVERSIZED_MESSAGE otherwise.
absl::Status CheckHelloSizes(const vtpm_attest::v1::Hello& hello);

// Every string the guest supplies, in its documented character set
// (docs/THREAT-MODEL.md, "Guest text"); INVALID_TEXT naming the field
// (with the value escaped) otherwise:
//   labels: keys [A-Za-z0-9][A-Za-z0-9._/-]* (1-63 bytes), values printable
//     ASCII (0x20-0x7e, up to 256 bytes);
//   host.hostname: [A-Za-z0-9._-]*, not starting with '-' or '.' (253);
//   host.vm_uuid: empty or 8-4-4-4-12 hex digits, either case;
//   host.machine_id: hex digits, '-', '{', '}';
//   host.os: [a-z0-9-]*; agent_version, host.os_version, tpm.family,
//     tpm.manufacturer, tpm.vendor: printable ASCII.
// Run after CheckHelloSizes.
absl::Status CheckHelloText(const vtpm_attest::v1::Hello& hello);

// `text` cut to `max_bytes` ("..." appended when cut) with every byte
// outside printable ASCII, and the backslash, as \xNN: guest text that a
// message quotes.
std::string PrintableText(absl::string_view text, size_t max_bytes);

// True for 36 characters in 8-4-4-4-12 hex form (either case).
bool IsCanonicalUuid(absl::string_view s);

// Parses the AK public area and checks, in order:
//  1. it unmarshals exactly (MALFORMED_MESSAGE);
//  2. it is a restricted signing key bound to its TPM: fixedTPM,
//     fixedParent, sensitiveDataOrigin, restricted, sign, not decrypt
//     (AK_INVALID);
//  3. it is RSA or ECC with a name algorithm of SHA-256 or stronger
//     (AK_INVALID);
//  4. the name the agent claims equals nameAlg || H(public area)
//     (AK_NAME_MISMATCH).
// Returns the verified public area.
absl::StatusOr<TPMT_PUBLIC> VerifyAkPublic(
    const vtpm_attest::v1::AttestationKey& ak);

// Parses the EK public area (MALFORMED_MESSAGE) and checks it is a
// restricted decryption key that cannot sign, fixed to its TPM
// (EK_PUBLIC_INVALID).
absl::StatusOr<TPMT_PUBLIC> ParseEkPublic(absl::string_view tpm2b_public);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_SERVICE_HELLO_CHECKS_H_
