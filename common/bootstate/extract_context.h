// Internal to the boot-state extraction (boot_state.cc and the *_events.cc
// decoders): where decoders put what they find.
#ifndef VTPM_COMMON_BOOTSTATE_EXTRACT_CONTEXT_H_
#define VTPM_COMMON_BOOTSTATE_EXTRACT_CONTEXT_H_

#include <cstdint>
#include <map>
#include <set>
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

  // Records that `e`'s digest was recomputed from its data and that the
  // data is of a kind understood for its PCR: its EventSummary gets
  // DIGEST_BASIS_RECOMPUTED (every other verified event is OPAQUE).
  void MarkRecomputed(const eventlog::Event& e);
  bool IsRecomputed(uint32_t event_index) const;

  // `what` (e.g. "the GRUB kernel command line") is measured once per
  // boot: the second and later events that measure it are each an
  // EVENTLOG_REPEATED_MEASUREMENT finding naming the first event too.
  // Returns false for such a repeat.
  bool MeasuredOnce(const std::string& what, const eventlog::Event& e);

 private:
  const ExtractOptions& options_;
  Extraction* out_;
  std::set<uint32_t> recomputed_;
  std::map<std::string, std::string> first_measured_;  // what -> EventLabel
};

// "event 12 (PCR 4, EV_EFI_ACTION)".
std::string EventLabel(const eventlog::Event& e);

// Every digest of `e` as bank name -> lower-case hex.
void FillDigests(const eventlog::Event& e,
                 google::protobuf::Map<std::string, std::string>* out);

}  // namespace vtpm::bootstate::internal

#endif  // VTPM_COMMON_BOOTSTATE_EXTRACT_CONTEXT_H_
