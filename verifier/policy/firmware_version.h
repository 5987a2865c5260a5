// Firmware version strings (EV_S_CRTM_VERSION) as comparable numbers, for
// boot.minimumFirmwareVersion.
//
// A version is the sequence of the decimal numbers in the string, read left
// to right: every maximal run of ASCII digits is one component, everything
// else separates. "2.7.1" is (2, 7, 1); "edk2-stable202211" is (2, 202211);
// "1.00" is (1, 0). Two versions compare component by component as
// numbers, a missing component counting as 0, so "2.10" > "2.9" and
// "1.0" == "1". Versions of different vendors' schemes compare without
// meaning: a minimum only makes sense for one firmware family.
#ifndef VTPM_VERIFIER_POLICY_FIRMWARE_VERSION_H_
#define VTPM_VERIFIER_POLICY_FIRMWARE_VERSION_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vtpm::verifier {

using FirmwareVersion = std::vector<uint64_t>;

// The components of `text`. InvalidArgument when it holds no digit or a
// component has more than 18 digits.
absl::StatusOr<FirmwareVersion> ParseFirmwareVersion(absl::string_view text);

// <0, 0 or >0 as a is older than, equal to or newer than b.
int CompareFirmwareVersions(const FirmwareVersion& a, const FirmwareVersion& b);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_POLICY_FIRMWARE_VERSION_H_
