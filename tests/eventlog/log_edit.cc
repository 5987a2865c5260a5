#include "tests/eventlog/log_edit.h"

#include <gtest/gtest.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "common/eventlog/replay.h"
#include "common/hex.h"
#include "common/tpm_alg.h"
#include "tests/eventlog/log_builder.h"

namespace vtpm::testing {
namespace {

namespace ev = ::vtpm::eventlog;

std::string Utf16WithNul(absl::string_view ascii) {
  std::string out;
  for (char c : ascii) {
    out.push_back(c);
    out.push_back('\0');
  }
  out.append(2, '\0');
  return out;
}

// EFI_GLOBAL_VARIABLE 8be4df61-93ca-11d2-aa0d-00e098032b8c, as stored.
constexpr char kGlobalGuid[] =
    "\x61\xdf\xe4\x8b\xca\x93\xd2\x11\xaa\x0d\x00\xe0\x98\x03\x2b\x8c";

void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

}  // namespace

EditedLog EditLog(const ev::ParsedLog& log,
                  const std::function<void(std::vector<ev::Event>&)>& edit) {
  std::vector<ev::Event> events = log.events;
  edit(events);
  LogBuilder b(log.banks);
  for (const ev::Event& e : events) {
    std::map<TPMI_ALG_HASH, std::string> digests;
    for (const auto& d : e.digests) digests[d.alg] = d.digest;
    b.AddEventWithDigests(e.pcr, e.type, e.data, digests);
  }
  EditedLog out;
  out.bytes = b.Build();
  auto parsed = ev::ParseEventLog(out.bytes);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  if (parsed.ok()) out.parsed = *std::move(parsed);
  auto replayed = ev::Replay(out.parsed);
  EXPECT_TRUE(replayed.ok()) << replayed.status();
  if (replayed.ok()) out.pcrs = *std::move(replayed);
  return out;
}

ev::Event NewEventHashing(const ev::ParsedLog& log, uint32_t pcr, uint32_t type,
                          absl::string_view data,
                          absl::string_view digest_data) {
  ev::Event e;
  e.pcr = pcr;
  e.type = type;
  e.data = std::string(data);
  for (TPMI_ALG_HASH bank : log.banks) {
    auto h = vtpm::Hash(bank, digest_data);
    if (h.ok()) e.digests.push_back({bank, *h});
  }
  return e;
}

ev::Event NewEvent(const ev::ParsedLog& log, uint32_t pcr, uint32_t type,
                   absl::string_view data) {
  return NewEventHashing(log, pcr, type, data, data);
}

ev::Event NewEventWithSha256(uint32_t pcr, uint32_t type,
                             absl::string_view data,
                             const std::string& sha256) {
  ev::Event e;
  e.pcr = pcr;
  e.type = type;
  e.data = std::string(data);
  e.digests.push_back({TPM2_ALG_SHA256, sha256});
  return e;
}

size_t PositionOf(const std::vector<ev::Event>& events, uint32_t index) {
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].index == index) return i;
  }
  ADD_FAILURE() << "no event with index " << index;
  return events.size();
}

size_t FindEvent(const std::vector<ev::Event>& events, uint32_t pcr,
                 uint32_t type, absl::string_view data) {
  for (size_t i = 0; i < events.size(); ++i) {
    const ev::Event& e = events[i];
    if (e.pcr == pcr && e.type == type && (data.empty() || e.data == data)) {
      return i;
    }
  }
  return events.size();
}

std::string PcrText(const vtpm::PcrValues& pcrs) {
  std::string out;
  for (const auto& [bank, values] : pcrs) {
    for (const auto& [pcr, value] : values) {
      absl::StrAppend(&out, HashAlgName(bank), ":", pcr, " ", HexEncode(value),
                      "\n");
    }
  }
  return out;
}

ev::Event GrubEvent(const ev::ParsedLog& log, absl::string_view prefix,
                    absl::string_view text) {
  std::string data = absl::StrCat(prefix, text);
  data.push_back('\0');
  return NewEventHashing(log, 8, ev::EV_IPL, data, text);
}

std::vector<ev::Event> UkiSectionEvents(const ev::ParsedLog& log,
                                        absl::string_view name,
                                        absl::string_view contents) {
  std::string ascii(name);
  ascii.push_back('\0');
  std::string utf16 = Utf16WithNul(name);
  return {NewEventHashing(log, 11, ev::EV_IPL, utf16, ascii),
          NewEventHashing(log, 11, ev::EV_IPL, utf16, contents)};
}

ev::Event EfiGlobalVariableEvent(const ev::ParsedLog& log, uint32_t type,
                                 absl::string_view name,
                                 absl::string_view value) {
  std::string data(kGlobalGuid, 16);
  PutU64(&data, name.size());
  PutU64(&data, value.size());
  std::string utf16 = Utf16WithNul(name);
  data.append(utf16.substr(0, utf16.size() - 2));
  data.append(value.data(), value.size());
  return NewEvent(log, 7, type, data);
}

}  // namespace vtpm::testing
