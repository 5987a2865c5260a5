// Load-time validation of the policy fields that judge identity, freshness
// and boot state (everything ParsePolicy checks beyond the PCR fields).
#ifndef VTPM_VERIFIER_POLICY_POLICY_VALIDATE_H_
#define VTPM_VERIFIER_POLICY_POLICY_VALIDATE_H_

#include <string>

#include "absl/status/status.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::verifier {

// Checks, in field order, and rewrites to canonical form:
//   acceptedBanks           known banks, each once; every quotePcrs and
//                           pcrValues bank must be accepted
//   allowedTpmManufacturers 1-4 printable ASCII characters (trimmed)
//   pinnedEks               keys canonical UUIDs, values 64 hex (both
//                           lower-cased; two keys equal after that: error)
//   legacyEkRoots           SHA-256 digests in hex (lower-cased, "0x"
//                           dropped)
//   allowedQuirks           names from kKnownQuirks
//   boot.requiredDb, forbiddenDb, requiredDbx, allowedBootApplications,
//   allowedDrivers, allowedInitrds, allowedKernels, allowedBootFiles,
//   allowedKernelCmdlineSha256
//                           SHA-256 digests in hex (lower-cased, "0x"
//                           dropped)
//   boot.osExtendedPcrs     PCRs 0-23, each once
//   boot.allowedKernelCmdlines  compile as RE2
//   boot.minimumFirmwareVersion parses (firmware_version.h)
//   boot.extraEventTypes    EV_* names from KnownEventTypeNames()
// and, last, that the PCRs a boot rule reads are quoted wherever an
// unquoted PCR would let the rule pass unjudged: PCR 4 for
// allowedBootApplications, 2 for allowedDrivers, 7 for requireSecureBoot
// and forbiddenDb, 12-14 for the Windows rules.
// The first problem is returned as InvalidArgument "SOURCE: field PATH:
// WHY", PATH in the JSON spelling (e.g. "boot.requiredDb[2]").
absl::Status ValidateExtendedFields(vtpm_attest::v1::Policy* policy,
                                    const std::string& source);

// True for the canonical 8-4-4-4-12 hex form, either case.
bool IsUuid(const std::string& s);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_POLICY_POLICY_VALIDATE_H_
