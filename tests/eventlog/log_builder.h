// Test utility: builds TCG PC Client event logs (crypto-agile or legacy
// SHA-1) from a list of events, computes the PCR values they replay to
// independently of vtpm::eventlog::Replay, and extends a real swtpm with
// the same digests (through tpm2-tools) so that its PCRs hold exactly what
// the log claims.
//
// Library target: vtpm_eventlog_builder (links vtpm_test_harness).
#ifndef VTPM_TESTS_EVENTLOG_LOG_BUILDER_H_
#define VTPM_TESTS_EVENTLOG_LOG_BUILDER_H_

#include <tss2/tss2_tpm2_types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/eventlog/event_log.h"
#include "common/pcr_selection.h"

namespace vtpm::testing {

class LogBuilder {
 public:
  // A crypto-agile log whose Spec ID Event03 header lists `banks` (known
  // hashes: sha1/sha256/sha384/sha512) in this order.
  explicit LogBuilder(std::vector<TPMI_ALG_HASH> banks = {TPM2_ALG_SHA256});
  // A legacy log: TCG_PCClientPCREvent records with SHA-1 digests, no
  // header.
  static LogBuilder Sha1Legacy();

  // Adds to the header an algorithm the parser does not know, with its
  // digest size (crypto-agile only). Every event then carries a filler
  // digest of that size for it (bytes of SHA-512(data), repeated); it is
  // left out of ExpectedPcrs() and never extended into a TPM.
  LogBuilder& AddUnknownBank(TPMI_ALG_HASH alg, uint16_t digest_size);
  // vendorInfo of the Spec ID header (at most 255 bytes).
  LogBuilder& SetVendorInfo(std::string vendor_info);

  // Adds a StartupLocality EV_NO_ACTION event (PCR 0) here: PCR 0 then
  // starts at 0...0`locality`. Call it before any PCR 0 event.
  LogBuilder& SetStartupLocality(uint8_t locality);
  // An H-CRTM boot: StartupLocality 4, then an EV_EFI_HCRTM_EVENT in PCR 0
  // with data "HCRTM" whose digests are H(`measured_data`) (what the TPM's
  // _TPM_Hash_Start/Data/End sequence extends). `measured_data` must be
  // printable text without NUL bytes (ExtendTpm hands it to
  // `swtpm_ioctl -h`). Call it before any PCR 0 event.
  LogBuilder& SetHcrtm(std::string measured_data);

  // An event whose digest in each bank is H_bank(`data`). For EV_NO_ACTION
  // the digests are all zero (as the spec requires).
  LogBuilder& AddEvent(uint32_t pcr, uint32_t type, absl::string_view data);
  // An event with the given digests (raw bytes), for events whose digest
  // is not the hash of their data (e.g. EV_EFI_BOOT_SERVICES_APPLICATION:
  // the Authenticode hash of the image). Banks missing from `digests` get
  // H_bank(`data`); algorithms not in the header are ignored. A digest of
  // the wrong size is written as given (for malformed-log tests).
  LogBuilder& AddEventWithDigests(
      uint32_t pcr, uint32_t type, absl::string_view data,
      const std::map<TPMI_ALG_HASH, std::string>& digests);

  bool legacy() const { return legacy_; }
  // Known banks, in header order ({sha1} for a legacy log).
  const std::vector<TPMI_ALG_HASH>& banks() const { return banks_; }
  // Events after the header (StartupLocality and H-CRTM events included),
  // i.e. ParsedLog.events.size() of the built log.
  size_t event_count() const { return events_.size(); }

  // The log's bytes.
  std::string Build() const;

  // What the log replays to, computed here (not by eventlog::Replay): for
  // every known bank, every PCR some non-EV_NO_ACTION event extends.
  vtpm::PcrValues ExpectedPcrs() const;

  // Extends the TPM behind `tcti_or_tools_env` ("TPM2TOOLS_TCTI=swtpm:..."
  // as Swtpm::tools_env() gives it, or a bare TCTI string) with every
  // extending event's digests, in log order, through `tpm2_pcrextend`, so
  // that its PCRs equal ExpectedPcrs() in every bank it has active (digests
  // of banks the TPM has not allocated are ignored by the TPM). The TPM must
  // be fresh: its PCRs at their reset values.
  //
  // When the log sets a start value for PCR 0 (SetStartupLocality(3) or
  // SetHcrtm) and extends PCR 0, the TPM is first reset the way a platform
  // would do it: TPM_Init through swtpm's control socket ("<socket>.ctrl";
  // the TCTI must be "swtpm:path=<socket>"), the H-CRTM sequence
  // (`swtpm_ioctl -h`) for SetHcrtm, and TPM2_Startup(CLEAR) sent at
  // locality 3 for SetStartupLocality(3). This resets every PCR and drops
  // everything loaded in the TPM. SetStartupLocality(4) without SetHcrtm
  // cannot be reproduced and is an error (FailedPrecondition).
  absl::Status ExtendTpm(const std::string& tcti_or_tools_env) const;

 private:
  struct BuiltEvent {
    uint32_t pcr;
    uint32_t type;
    std::string data;
    std::map<TPMI_ALG_HASH, std::string> digests;  // every header bank
  };

  LogBuilder(bool legacy, std::vector<TPMI_ALG_HASH> banks);
  std::string FillerDigest(absl::string_view data, uint16_t size) const;

  bool legacy_;
  std::vector<TPMI_ALG_HASH> banks_;
  std::vector<std::pair<TPMI_ALG_HASH, uint16_t>> unknown_banks_;
  std::string vendor_info_;
  std::optional<uint8_t> startup_locality_;
  std::optional<std::string> hcrtm_data_;
  std::vector<BuiltEvent> events_;
};

// Extends the TPM behind `tcti_or_tools_env` with the digests of every
// extending event of `log` (e.g. a real OVMF log), in log order, for the
// log's known banks, so that a fresh swtpm holds the PCRs the log replays
// to. A log with StartupLocality 3 that extends PCR 0 resets the TPM first
// and starts it at locality 3, as LogBuilder::ExtendTpm does. PCR 0 of a
// log with StartupLocality 4 (H-CRTM) cannot be reproduced (the H-CRTM
// digest is the hash of data the log does not contain): its events are
// skipped. Returns the PCRs skipped (empty or {0}).
//
// The OVMF 2022.11 logs in tests/data/eventlogs have no StartupLocality
// event (PCR 0 starts at zero), so every PCR they touch, 0 included, is
// reproduced exactly; the TPM's other PCRs stay at their reset values (the
// guest's PCR 10 holds IMA measurements, which no firmware log covers).
absl::StatusOr<std::set<uint32_t>> ExtendTpmWithLog(
    const eventlog::ParsedLog& log, const std::string& tcti_or_tools_env);

// Reads PCRs `selection` (tpm2-tools form, e.g. "sha256:0-23") from the TPM
// with `tpm2_pcrread -o` and returns their values.
absl::StatusOr<vtpm::PcrValues> ReadTpmPcrs(
    const std::string& tcti_or_tools_env, const std::string& selection);

// A log with a realistic event mix (CRTM version, firmware blobs, Secure
// Boot variables with db/dbx-sized data, boot variables, separators, boot
// applications with device paths, EFI actions, grub commands in PCR 8 and
// kernel/initrd in PCR 9) of `num_events` events (at least 33) in `banks`:
// about 70 bytes of event data per event on average, 42 KB for 300 events
// with sha256 + sha1. Deterministic.
LogBuilder MakeRealisticLog(std::vector<TPMI_ALG_HASH> banks,
                            size_t num_events);

}  // namespace vtpm::testing

#endif  // VTPM_TESTS_EVENTLOG_LOG_BUILDER_H_
