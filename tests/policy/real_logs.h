// The real OVMF event logs of tests/data/eventlogs and their PCR values.
#ifndef VTPM_TESTS_POLICY_REAL_LOGS_H_
#define VTPM_TESTS_POLICY_REAL_LOGS_H_

#include <string>

namespace vtpm::testing {

inline constexpr const char* kRealLogs[] = {
    "ovmf-direct-plain-crb", "ovmf-uki-plain-crb", "ovmf-shim-secboot-crb"};

// Paths of a fixture's log and PCR file.
inline std::string RealLogPath(const std::string& source_dir,
                               const std::string& name) {
  return source_dir + "/tests/data/eventlogs/" + name +
         "/binary_bios_measurements";
}
inline std::string RealPcrsPath(const std::string& source_dir,
                                const std::string& name) {
  return source_dir + "/tests/data/eventlogs/" + name + "/pcrs-sha256.txt";
}

}  // namespace vtpm::testing

#endif  // VTPM_TESTS_POLICY_REAL_LOGS_H_
