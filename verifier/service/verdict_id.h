// Verdict ids: 32 hex digits, the first 12 the creation time in
// milliseconds since the Unix epoch, the rest random (like a UUIDv7).
// Time-ordered ids keep the database's verdict_id index appending at its
// end instead of touching a random page per verdict; 80 random bits keep
// them unique across replicas.
#ifndef VTPM_VERIFIER_SERVICE_VERDICT_ID_H_
#define VTPM_VERIFIER_SERVICE_VERDICT_ID_H_

#include <string>

namespace vtpm::verifier {

std::string NewVerdictId();

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_SERVICE_VERDICT_ID_H_
