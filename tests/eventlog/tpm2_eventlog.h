// The second opinion: runs tpm2-tools' `tpm2_eventlog FILE` and reads the
// events and replayed PCRs out of its YAML output.
#ifndef VTPM_TESTS_EVENTLOG_TPM2_EVENTLOG_H_
#define VTPM_TESTS_EVENTLOG_TPM2_EVENTLOG_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace vtpm::testing {

struct ToolEvent {
  uint32_t pcr = 0;
  std::string type;  // "EV_SEPARATOR"
  // (algorithm name, lower-case hex digest) in the order printed; the
  // crypto-agile header's single legacy digest is listed as "sha1".
  std::vector<std::pair<std::string, std::string>> digests;
  uint32_t size = 0;  // EventSize
};

struct ToolLog {
  // Every record tpm2_eventlog prints, the crypto-agile header included.
  std::vector<ToolEvent> events;
  // The "pcrs:" section: bank name -> PCR -> lower-case hex.
  std::map<std::string, std::map<uint32_t, std::string>> pcrs;
};

// Runs tpm2_eventlog on `path`; fails if it exits non-zero.
absl::StatusOr<ToolLog> RunTpm2Eventlog(const std::string& path);

}  // namespace vtpm::testing

#endif  // VTPM_TESTS_EVENTLOG_TPM2_EVENTLOG_H_
