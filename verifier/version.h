// The verifier's version, reported in metrics (vtpm_attest_build_info).
#ifndef VTPM_VERIFIER_VERSION_H_
#define VTPM_VERIFIER_VERSION_H_

namespace vtpm::verifier {

inline constexpr char kVerifierVersion[] = "0.2.0";

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_VERSION_H_
