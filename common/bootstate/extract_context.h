// Internal to the boot-state extraction (boot_state.cc and the *_events.cc
// decoders): where decoders put what they find.
#ifndef VTPM_COMMON_BOOTSTATE_EXTRACT_CONTEXT_H_
#define VTPM_COMMON_BOOTSTATE_EXTRACT_CONTEXT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "common/bootstate/boot_state.h"
#include "common/eventlog/event_log.h"
#include "google/protobuf/map.h"

namespace vtpm::bootstate::internal {

class ExtractContext {
 public:
  ExtractContext(const ExtractOptions& options, Extraction* out)
      : options_(options), out_(out) {}

  vtpm_attest::v1::BootState& state() { return out_->state; }
  const ExtractOptions& options() const { return options_; }

  // Adds a note (once; repeated identical notes are dropped).
  void Note(std::string note);
  // Adds a finding about `e`; the message is prefixed with EventLabel(e).
  void Find(vtpm_attest::v1::ReasonCode code, const eventlog::Event& e,
            absl::string_view message);
  // Records that the log needs `quirk` at `e` (may be null for whole-log
  // quirks): listed in quirks_used (once) with a note when the options
  // allow it, else a POLICY_QUIRK finding naming the quirk and the event.
  void NeedQuirk(const char* quirk, const eventlog::Event* e,
                 absl::string_view detail);

 private:
  const ExtractOptions& options_;
  Extraction* out_;
};

// "event 12 (PCR 4, EV_EFI_ACTION)".
std::string EventLabel(const eventlog::Event& e);

// Every digest of `e` as bank name -> lower-case hex.
void FillDigests(const eventlog::Event& e,
                 google::protobuf::Map<std::string, std::string>* out);

}  // namespace vtpm::bootstate::internal

#endif  // VTPM_COMMON_BOOTSTATE_EXTRACT_CONTEXT_H_
