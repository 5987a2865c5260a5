// ParseEventLog: the legacy SHA-1 format (TCG_PCClientPCREvent records)
// and the crypto-agile format (a TCG_EfiSpecIdEvent header in a legacy
// record, then TCG_PCR_EVENT2 records), TCG PC Client Platform Firmware
// Profile 1.05, sections 10.2-10.4.
#include "common/eventlog/event_log.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/byte_reader.h"
#include "common/eventlog/malformed.h"
#include "common/pcr_selection.h"
#include "common/status_macros.h"
#include "common/tpm_alg.h"

namespace vtpm::eventlog {
namespace {

using internal::MalformedLogError;
using ::vtpm::ByteReader;

constexpr size_t kLegacyDigestSize = 20;
// Largest digest an unknown algorithm may declare (sizeof(TPMU_HA)).
constexpr size_t kMaxDigestSize = 64;
constexpr size_t kStartupLocalityEventSize = 17;

// One algorithm of the Spec ID header.
struct BankSpec {
  TPMI_ALG_HASH alg;
  uint16_t size;
};

// Where a record starts, for error messages (formatted only on error).
struct Site {
  enum Kind { kFirstRecord, kSpecIdHeader, kEvent };
  Kind kind;
  size_t index;  // for kEvent
  size_t offset;

  std::string Name() const {
    switch (kind) {
      case kFirstRecord:
        return "first record";
      case kSpecIdHeader:
        return "Spec ID header";
      case kEvent:
        break;
    }
    return absl::StrCat("event ", index);
  }
};

absl::Status Error(const Site& site, absl::string_view detail) {
  return MalformedLogError(
      absl::StrCat(site.Name(), " at offset ", site.offset, ": ", detail));
}

absl::Status Truncated(const Site& site, absl::string_view field, size_t need,
                       const ByteReader& r) {
  return Error(site, absl::StrCat("truncated in ", field, " (needs ", need,
                                  " bytes, ", r.remaining(), " left)"));
}

absl::Status ReadU32(ByteReader& r, const Site& site, absl::string_view field,
                     uint32_t* v) {
  if (!r.ReadU32(v)) return Truncated(site, field, 4, r);
  return absl::OkStatus();
}

absl::Status ReadBytes(ByteReader& r, const Site& site, absl::string_view field,
                       size_t n, absl::string_view* out) {
  if (!r.ReadBytes(n, out)) return Truncated(site, field, n, r);
  return absl::OkStatus();
}

// The event data size field and the data.
absl::Status ReadEventData(ByteReader& r, const Site& site,
                           const ParseLimits& limits, std::string* data) {
  uint32_t size;
  RETURN_IF_ERROR(ReadU32(r, site, "the event size", &size));
  if (size > limits.max_event_data_bytes) {
    return Error(site,
                 absl::StrCat("event size ", size, " exceeds the limit of ",
                              limits.max_event_data_bytes, " bytes"));
  }
  absl::string_view bytes;
  RETURN_IF_ERROR(ReadBytes(r, site, "the event data", size, &bytes));
  data->assign(bytes.data(), bytes.size());
  return absl::OkStatus();
}

// A TCG_PCClientPCREvent (legacy, SHA-1) record.
absl::Status ReadLegacyRecord(ByteReader& r, const Site& site,
                              const ParseLimits& limits, Event* ev) {
  ev->offset = r.position();
  RETURN_IF_ERROR(ReadU32(r, site, "the PCR index", &ev->pcr));
  RETURN_IF_ERROR(ReadU32(r, site, "the event type", &ev->type));
  absl::string_view digest;
  RETURN_IF_ERROR(
      ReadBytes(r, site, "the SHA-1 digest", kLegacyDigestSize, &digest));
  ev->digests.push_back(
      EventDigest{TPM2_ALG_SHA1, std::string(digest.data(), digest.size())});
  return ReadEventData(r, site, limits, &ev->data);
}

// A TCG_PCR_EVENT2 record with one digest per header bank.
absl::Status ReadAgileRecord(ByteReader& r, const Site& site,
                             const ParseLimits& limits,
                             const std::vector<BankSpec>& banks, Event* ev) {
  ev->offset = r.position();
  RETURN_IF_ERROR(ReadU32(r, site, "the PCR index", &ev->pcr));
  RETURN_IF_ERROR(ReadU32(r, site, "the event type", &ev->type));
  uint32_t count;
  RETURN_IF_ERROR(ReadU32(r, site, "the digest count", &count));
  if (count != banks.size()) {
    return Error(site, absl::StrCat("digest count ", count, " does not match ",
                                    "the ", banks.size(),
                                    " algorithm(s) of the Spec ID header"));
  }
  ev->digests.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    uint16_t alg;
    if (!r.ReadU16(&alg)) {
      return Truncated(site, absl::StrCat("the algorithm of digest ", i), 2, r);
    }
    auto spec = std::find_if(banks.begin(), banks.end(),
                             [&](const BankSpec& b) { return b.alg == alg; });
    if (spec == banks.end()) {
      return Error(
          site, absl::StrCat("digest ", i, " has algorithm ", HashAlgName(alg),
                             ", which the Spec ID header does not "
                             "list"));
    }
    if (ev->DigestFor(alg) != nullptr) {
      return Error(site, absl::StrCat("digest ", i, " repeats algorithm ",
                                      HashAlgName(alg)));
    }
    absl::string_view digest;
    if (!r.ReadBytes(spec->size, &digest)) {
      return Truncated(site, absl::StrCat("the ", HashAlgName(alg), " digest"),
                       spec->size, r);
    }
    ev->digests.push_back(
        EventDigest{alg, std::string(digest.data(), digest.size())});
  }
  return ReadEventData(r, site, limits, &ev->data);
}

bool IsAllZero(absl::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(),
                     [](char c) { return c == '\0'; });
}

// Fixed fields of a record: what an all-zero fill must at least cover to
// be told from a truncated event (see ParseEventLog's contract).
constexpr size_t kAgileFixedFields = 12;  // pcr, type, digest count
constexpr size_t kLegacyFixedFields = 4 + 4 + kLegacyDigestSize + 4;

// Fill after the last event: the rest of the buffer is all 0xFF, or all
// 0x00 and at least `min_zero_fill` bytes.
bool IsFill(absl::string_view rest, size_t min_zero_fill) {
  if (rest.empty()) return false;
  char c = rest[0];
  if (c == '\0' && rest.size() < min_zero_fill) return false;
  if (c != '\0' && c != '\xff') return false;
  return std::all_of(rest.begin(), rest.end(), [c](char x) { return x == c; });
}

bool IsSpecIdEvent03(const Event& ev) {
  return ev.type == EV_NO_ACTION &&
         absl::string_view(ev.data).substr(0, kSpecIdEvent03Signature.size()) ==
             kSpecIdEvent03Signature;
}

// The TCG_EfiSpecIdEvent in the header record's data.
absl::StatusOr<std::vector<BankSpec>> ParseSpecId(const Event& header,
                                                  const Site& site,
                                                  const ParseLimits& limits) {
  if (header.pcr != 0) {
    return Error(site, absl::StrCat("PCR index ", header.pcr, " (must be 0)"));
  }
  if (!IsAllZero(header.digests[0].digest)) {
    return Error(site, "digest is not all zero");
  }
  ByteReader r(header.data);
  absl::string_view skip;
  // signature[16], platformClass (4), specVersionMinor, specVersionMajor,
  // specErrata, uintnSize (1 each).
  if (!r.ReadBytes(kSpecIdEvent03Signature.size() + 4 + 4, &skip)) {
    return Error(site, "TCG_EfiSpecIdEvent truncated before the algorithms");
  }
  uint32_t count;
  if (!r.ReadU32(&count)) {
    return Error(site, "TCG_EfiSpecIdEvent truncated in numberOfAlgorithms");
  }
  if (count == 0) return Error(site, "Spec ID header lists no algorithms");
  if (count > limits.max_banks) {
    return Error(site, absl::StrCat("Spec ID header lists ", count,
                                    " algorithms, more than the limit of ",
                                    limits.max_banks));
  }
  std::vector<BankSpec> banks;
  for (uint32_t i = 0; i < count; ++i) {
    BankSpec b;
    if (!r.ReadU16(&b.alg) || !r.ReadU16(&b.size)) {
      return Error(site, absl::StrCat("TCG_EfiSpecIdEvent truncated in "
                                      "algorithm ",
                                      i));
    }
    size_t known = DigestSize(b.alg);
    if (known != 0 && b.size != known) {
      return Error(site, absl::StrCat("Spec ID header gives ",
                                      HashAlgName(b.alg), " a digest size of ",
                                      b.size, " (must be ", known, ")"));
    }
    if (known == 0 && (b.size == 0 || b.size > kMaxDigestSize)) {
      return Error(
          site, absl::StrCat("Spec ID header gives unknown algorithm ",
                             HashAlgName(b.alg), " a digest size of ", b.size,
                             " (must be 1..", kMaxDigestSize, ")"));
    }
    for (const BankSpec& prev : banks) {
      if (prev.alg == b.alg) {
        return Error(site, absl::StrCat("Spec ID header lists ",
                                        HashAlgName(b.alg), " twice"));
      }
    }
    banks.push_back(b);
  }
  uint8_t vendor_size;
  if (!r.ReadU8(&vendor_size) || !r.ReadBytes(vendor_size, &skip)) {
    return Error(site, "TCG_EfiSpecIdEvent truncated in vendorInfo");
  }
  if (r.remaining() != 0) {
    return Error(site, absl::StrCat(r.remaining(),
                                    " bytes after TCG_EfiSpecIdEvent in the "
                                    "header's event data"));
  }
  return banks;
}

// Checks an event and adds it to `log`; tracks the StartupLocality rules.
class EventSink {
 public:
  explicit EventSink(const ParseLimits& limits) : limits_(limits) {}

  // Whether another event may be added.
  absl::Status CheckRoom(const Site& site, const ParsedLog& log) const {
    if (log.events.size() >= limits_.max_events) {
      return Error(site, absl::StrCat("more than ", limits_.max_events,
                                      " events (limit)"));
    }
    return absl::OkStatus();
  }

  absl::Status Add(const Site& site, Event ev, ParsedLog* log) {
    if (ev.pcr >= static_cast<uint32_t>(kMaxPcrs)) {
      return Error(site, absl::StrCat("PCR index ", ev.pcr, " (must be < ",
                                      kMaxPcrs, ")"));
    }
    if (ev.type == EV_NO_ACTION) {
      RETURN_IF_ERROR(CheckNoAction(site, ev, log));
    } else if (ev.pcr == 0) {
      pcr0_extended_ = true;
    }
    log->events.push_back(std::move(ev));
    return absl::OkStatus();
  }

 private:
  absl::Status CheckNoAction(const Site& site, const Event& ev,
                             ParsedLog* log) {
    // PFP 10.4.1 asks for zero digests in EV_NO_ACTION events; they extend
    // nothing, so non-zero ones are accepted (and ignored by Replay).
    absl::string_view data = ev.data;
    if (data.substr(0, kStartupLocalitySignature.size()) !=
        kStartupLocalitySignature) {
      return absl::OkStatus();
    }
    if (data.size() != kStartupLocalityEventSize) {
      return Error(site, absl::StrCat("StartupLocality event has ", data.size(),
                                      " bytes of data (must be ",
                                      kStartupLocalityEventSize, ")"));
    }
    if (ev.pcr != 0) {
      return Error(site, absl::StrCat("StartupLocality event in PCR ", ev.pcr,
                                      " (must be 0)"));
    }
    if (log->startup_locality.has_value()) {
      return Error(site, "second StartupLocality event");
    }
    if (pcr0_extended_) {
      return Error(site,
                   "StartupLocality event after an event that extends PCR 0");
    }
    uint8_t locality = static_cast<uint8_t>(data[16]);
    if (locality != 0 && locality != 3 && locality != 4) {
      return Error(site, absl::StrCat("StartupLocality ", locality,
                                      " (must be 0, 3 or 4)"));
    }
    log->startup_locality = locality;
    return absl::OkStatus();
  }

  const ParseLimits& limits_;
  bool pcr0_extended_ = false;
};

Site EventSite(size_t index, size_t offset) {
  return Site{Site::kEvent, index, offset};
}

}  // namespace

absl::StatusOr<ParsedLog> ParseEventLog(absl::string_view bytes,
                                        const ParseLimits& limits) {
  if (bytes.empty()) return MalformedLogError("empty event log");
  if (bytes.size() > limits.max_log_bytes) {
    return MalformedLogError(absl::StrCat("event log is ", bytes.size(),
                                          " bytes, more than the limit of ",
                                          limits.max_log_bytes));
  }
  ByteReader r(bytes);
  ParsedLog log;
  EventSink sink(limits);

  Event first;
  RETURN_IF_ERROR(
      ReadLegacyRecord(r, Site{Site::kFirstRecord, 0, 0}, limits, &first));

  if (IsSpecIdEvent03(first)) {
    Site header_site{Site::kSpecIdHeader, 0, 0};
    ASSIGN_OR_RETURN(std::vector<BankSpec> banks,
                     ParseSpecId(first, header_site, limits));
    log.format = LogFormat::kCryptoAgile;
    for (const BankSpec& b : banks) log.banks.push_back(b.alg);
    while (r.remaining() > 0 && !IsFill(r.Rest(), kAgileFixedFields)) {
      Site site = EventSite(log.events.size(), r.position());
      RETURN_IF_ERROR(sink.CheckRoom(site, log));
      Event ev;
      ev.index = static_cast<uint32_t>(log.events.size());
      RETURN_IF_ERROR(ReadAgileRecord(r, site, limits, banks, &ev));
      RETURN_IF_ERROR(sink.Add(site, std::move(ev), &log));
    }
    return log;
  }

  log.format = LogFormat::kSha1Legacy;
  log.banks = {TPM2_ALG_SHA1};
  first.index = 0;
  RETURN_IF_ERROR(sink.CheckRoom(EventSite(0, 0), log));
  RETURN_IF_ERROR(sink.Add(EventSite(0, 0), std::move(first), &log));
  while (r.remaining() > 0 && !IsFill(r.Rest(), kLegacyFixedFields)) {
    Site site = EventSite(log.events.size(), r.position());
    RETURN_IF_ERROR(sink.CheckRoom(site, log));
    Event ev;
    ev.index = static_cast<uint32_t>(log.events.size());
    RETURN_IF_ERROR(ReadLegacyRecord(r, site, limits, &ev));
    RETURN_IF_ERROR(sink.Add(site, std::move(ev), &log));
  }
  return log;
}

}  // namespace vtpm::eventlog
