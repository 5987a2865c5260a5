// Test helpers shared by the boot-state tests: the real OVMF logs of
// tests/data/eventlogs with their guest PCR values, and extraction with
// gtest expectations on failure.
#ifndef VTPM_TESTS_BOOTSTATE_TEST_LOGS_H_
#define VTPM_TESTS_BOOTSTATE_TEST_LOGS_H_

#include <functional>
#include <set>
#include <string>

#include "common/bootstate/boot_state.h"
#include "common/eventlog/event_log.h"
#include "common/eventlog/replay.h"
#include "common/pcr_selection.h"

namespace vtpm::bootstate::testing {

inline constexpr char kShim[] = "ovmf-shim-secboot-crb";
inline constexpr char kUki[] = "ovmf-uki-plain-crb";
inline constexpr char kDirect[] = "ovmf-direct-plain-crb";

// tests/data/eventlogs/<name>.
std::string FixtureDir(const std::string& name);

// The parsed binary_bios_measurements of fixture `name`.
eventlog::ParsedLog LoadLog(const std::string& name);

// The sha256 PCR values read in the guest, restricted to `pcrs` (all when
// empty).
PcrValues FixturePcrs(const std::string& name,
                      const std::set<uint32_t>& pcrs = {});

// MatchQuotedPcrs, expected to succeed.
eventlog::ReplayMatch Match(const eventlog::ParsedLog& log,
                            const PcrValues& quoted);

// Every PCR the log touches verified (matched against its own replay).
eventlog::ReplayMatch MatchOwnReplay(const eventlog::ParsedLog& log);

// ExtractBootState, expected to succeed.
Extraction Extract(const eventlog::ParsedLog& log,
                   const eventlog::ReplayMatch& match,
                   const ExtractOptions& options = {});

// Extracts from fixture `name` matched against its guest PCR values.
Extraction ExtractFixture(const std::string& name,
                          const ExtractOptions& options = {});

// Parses `bytes` and extracts with every touched PCR verified.
Extraction ExtractBytes(const std::string& bytes,
                        const ExtractOptions& options = {});

// The number of findings with `code` whose message contains `text`.
int CountFindings(const Extraction& x, vtpm_attest::v1::ReasonCode code,
                  const std::string& text = "");

// Every finding, one per line, for failure messages.
std::string FindingsText(const Extraction& x);

// True when a note contains `text`.
bool HasNote(const vtpm_attest::v1::BootState& st, const std::string& text);

// Lower-case hex SHA-256.
std::string Sha256Hex(const std::string& data);

}  // namespace vtpm::bootstate::testing

#endif  // VTPM_TESTS_BOOTSTATE_TEST_LOGS_H_
