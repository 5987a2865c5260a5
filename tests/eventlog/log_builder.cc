#include "tests/eventlog/log_builder.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/hex.h"
#include "common/status_macros.h"
#include "common/tpm2tools/pcr_file.h"
#include "common/tpm_alg.h"
#include "tests/harness/process.h"

namespace vtpm::testing {
namespace {

using eventlog::EV_EFI_HCRTM_EVENT;
using eventlog::EV_NO_ACTION;

// tpm2_pcrextend arguments per invocation.
constexpr size_t kSpecsPerExtend = 24;

void PutU8(std::string* out, uint8_t v) {
  out->push_back(static_cast<char>(v));
}
void PutU16(std::string* out, uint16_t v) {
  PutU8(out, v & 0xff);
  PutU8(out, v >> 8);
}
void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) PutU8(out, (v >> (8 * i)) & 0xff);
}

std::string HashOrDie(TPMI_ALG_HASH alg, absl::string_view data) {
  // Known algorithms only: Hash() cannot fail for them.
  return *vtpm::Hash(alg, data);
}

std::string ToolsEnv(const std::string& tcti_or_tools_env) {
  if (absl::StartsWith(tcti_or_tools_env, "TPM2TOOLS_TCTI=")) {
    return tcti_or_tools_env;
  }
  return "TPM2TOOLS_TCTI=" + tcti_or_tools_env;
}

// The swtpm data socket named by "TPM2TOOLS_TCTI=swtpm:path=S[,...]".
absl::StatusOr<std::string> SwtpmSocket(const std::string& tools_env) {
  constexpr absl::string_view kPrefix = "TPM2TOOLS_TCTI=swtpm:path=";
  if (!absl::StartsWith(tools_env, kPrefix)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "resetting the TPM needs a swtpm unix-socket TCTI, not ", tools_env));
  }
  std::string path = tools_env.substr(kPrefix.size());
  return path.substr(0, path.find(','));
}

// Sends one raw TPM command over swtpm's data socket and returns the
// response code. (tpm2-tools' swtpm TCTI sets locality 0 for each command,
// so TPM2_Startup at another locality has to go around it.)
absl::StatusOr<uint32_t> RawCommand(const std::string& socket_path,
                                    const std::string& command) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket() failed");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    close(fd);
    return absl::InvalidArgumentError("socket path too long: " + socket_path);
  }
  socket_path.copy(addr.sun_path, socket_path.size());
  std::string response(4096, '\0');
  ssize_t got = -1;
  if (connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) ==
          0 &&
      write(fd, command.data(), command.size()) ==
          static_cast<ssize_t>(command.size())) {
    got = read(fd, response.data(), response.size());
  }
  close(fd);
  if (got < 10) {
    return absl::InternalError("no TPM response on " + socket_path);
  }
  uint32_t rc = 0;
  for (int i = 6; i < 10; ++i) {
    rc = (rc << 8) | static_cast<uint8_t>(response[i]);
  }
  return rc;
}

// TPM_Init, optionally the H-CRTM sequence over `hcrtm_data`, then
// TPM2_Startup(CLEAR) at `locality`.
absl::Status RestartTpm(const std::string& tools_env, uint8_t locality,
                        const std::optional<std::string>& hcrtm_data) {
  ASSIGN_OR_RETURN(std::string socket_path, SwtpmSocket(tools_env));
  std::string ctrl = socket_path + ".ctrl";
  RETURN_IF_ERROR(RunOrError({"swtpm_ioctl", "--unix", ctrl, "-i"}).status());
  if (hcrtm_data.has_value()) {
    RETURN_IF_ERROR(
        RunOrError({"swtpm_ioctl", "--unix", ctrl, "-h", *hcrtm_data})
            .status());
  }
  RETURN_IF_ERROR(
      RunOrError({"swtpm_ioctl", "--unix", ctrl, "-l", absl::StrCat(locality)})
          .status());
  // TPM2_Startup(TPM2_SU_CLEAR): tag 0x8001, size 12, cc 0x144, su 0.
  static const std::string kStartupClear(
      "\x80\x01\x00\x00\x00\x0c"
      "\x00\x00\x01\x44\x00\x00",
      12);
  ASSIGN_OR_RETURN(uint32_t rc, RawCommand(socket_path, kStartupClear));
  RETURN_IF_ERROR(
      RunOrError({"swtpm_ioctl", "--unix", ctrl, "-l", "0"}).status());
  if (rc != 0) {
    return absl::InternalError(absl::StrCat(
        "TPM2_Startup at locality ", locality, " returned 0x", absl::Hex(rc)));
  }
  return absl::OkStatus();
}

struct Extend {
  uint32_t pcr;
  std::vector<std::pair<TPMI_ALG_HASH, std::string>> digests;
};

// Runs tpm2_pcrextend over `extends`, in order, a batch per invocation.
absl::Status ExtendAll(const std::string& tools_env,
                       const std::vector<Extend>& extends) {
  std::vector<std::string> argv;
  auto flush = [&]() -> absl::Status {
    if (argv.empty()) return absl::OkStatus();
    argv.insert(argv.begin(), "tpm2_pcrextend");
    absl::Status s = RunOrError(argv, {tools_env}).status();
    argv.clear();
    return s;
  };
  for (const Extend& e : extends) {
    std::vector<std::string> parts;
    for (const auto& [alg, digest] : e.digests) {
      parts.push_back(absl::StrCat(HashAlgName(alg), "=", HexEncode(digest)));
    }
    if (parts.empty()) continue;
    argv.push_back(absl::StrCat(e.pcr, ":", absl::StrJoin(parts, ",")));
    if (argv.size() == kSpecsPerExtend) RETURN_IF_ERROR(flush());
  }
  return flush();
}

}  // namespace

LogBuilder::LogBuilder(std::vector<TPMI_ALG_HASH> banks)
    : LogBuilder(false, std::move(banks)) {}

LogBuilder::LogBuilder(bool legacy, std::vector<TPMI_ALG_HASH> banks)
    : legacy_(legacy), banks_(std::move(banks)) {}

LogBuilder LogBuilder::Sha1Legacy() {
  return LogBuilder(true, {TPM2_ALG_SHA1});
}

LogBuilder& LogBuilder::AddUnknownBank(TPMI_ALG_HASH alg,
                                       uint16_t digest_size) {
  unknown_banks_.emplace_back(alg, digest_size);
  return *this;
}

LogBuilder& LogBuilder::SetVendorInfo(std::string vendor_info) {
  vendor_info_ = std::move(vendor_info);
  return *this;
}

LogBuilder& LogBuilder::SetStartupLocality(uint8_t locality) {
  startup_locality_ = locality;
  std::string data(eventlog::kStartupLocalitySignature);
  data.push_back(static_cast<char>(locality));
  return AddEvent(0, EV_NO_ACTION, data);
}

LogBuilder& LogBuilder::SetHcrtm(std::string measured_data) {
  SetStartupLocality(4);
  std::map<TPMI_ALG_HASH, std::string> digests;
  for (TPMI_ALG_HASH alg : banks_) {
    digests[alg] = HashOrDie(alg, measured_data);
  }
  hcrtm_data_ = std::move(measured_data);
  return AddEventWithDigests(0, EV_EFI_HCRTM_EVENT, "HCRTM", digests);
}

std::string LogBuilder::FillerDigest(absl::string_view data,
                                     uint16_t size) const {
  std::string seed = HashOrDie(TPM2_ALG_SHA512, data);
  std::string out;
  while (out.size() < size) out += seed;
  out.resize(size);
  return out;
}

LogBuilder& LogBuilder::AddEvent(uint32_t pcr, uint32_t type,
                                 absl::string_view data) {
  return AddEventWithDigests(pcr, type, data, {});
}

LogBuilder& LogBuilder::AddEventWithDigests(
    uint32_t pcr, uint32_t type, absl::string_view data,
    const std::map<TPMI_ALG_HASH, std::string>& digests) {
  BuiltEvent ev{pcr, type, std::string(data), {}};
  for (TPMI_ALG_HASH alg : banks_) {
    auto it = digests.find(alg);
    if (it != digests.end()) {
      ev.digests[alg] = it->second;
    } else if (type == EV_NO_ACTION) {
      ev.digests[alg] = std::string(DigestSize(alg), '\0');
    } else {
      ev.digests[alg] = HashOrDie(alg, data);
    }
  }
  for (const auto& [alg, size] : unknown_banks_) {
    ev.digests[alg] = type == EV_NO_ACTION ? std::string(size, '\0')
                                           : FillerDigest(data, size);
  }
  events_.push_back(std::move(ev));
  return *this;
}

std::string LogBuilder::Build() const {
  std::string out;
  if (!legacy_) {
    // TCG_EfiSpecIdEvent in a legacy EV_NO_ACTION record.
    std::string spec(eventlog::kSpecIdEvent03Signature);
    PutU32(&spec, 0);  // platformClass: client
    PutU8(&spec, 0);   // specVersionMinor
    PutU8(&spec, 2);   // specVersionMajor
    PutU8(&spec, 0);   // specErrata
    PutU8(&spec, 2);   // uintnSize: UINT64
    PutU32(&spec, static_cast<uint32_t>(banks_.size() + unknown_banks_.size()));
    for (TPMI_ALG_HASH alg : banks_) {
      PutU16(&spec, alg);
      PutU16(&spec, static_cast<uint16_t>(DigestSize(alg)));
    }
    for (const auto& [alg, size] : unknown_banks_) {
      PutU16(&spec, alg);
      PutU16(&spec, size);
    }
    PutU8(&spec, static_cast<uint8_t>(vendor_info_.size()));
    spec += vendor_info_;
    PutU32(&out, 0);
    PutU32(&out, EV_NO_ACTION);
    out.append(20, '\0');
    PutU32(&out, static_cast<uint32_t>(spec.size()));
    out += spec;
  }
  for (const BuiltEvent& ev : events_) {
    PutU32(&out, ev.pcr);
    PutU32(&out, ev.type);
    if (legacy_) {
      out += ev.digests.at(TPM2_ALG_SHA1);
    } else {
      PutU32(&out, static_cast<uint32_t>(ev.digests.size()));
      auto put = [&](TPMI_ALG_HASH alg) {
        PutU16(&out, alg);
        out += ev.digests.at(alg);
      };
      for (TPMI_ALG_HASH alg : banks_) put(alg);
      for (const auto& [alg, size] : unknown_banks_) put(alg);
    }
    PutU32(&out, static_cast<uint32_t>(ev.data.size()));
    out += ev.data;
  }
  return out;
}

vtpm::PcrValues LogBuilder::ExpectedPcrs() const {
  vtpm::PcrValues out;
  for (TPMI_ALG_HASH alg : banks_) {
    std::map<uint32_t, std::string>& values = out[alg];
    for (const BuiltEvent& ev : events_) {
      if (ev.type == EV_NO_ACTION) continue;
      if (!values.count(ev.pcr)) {
        std::string init(DigestSize(alg), '\0');
        if (ev.pcr == 0 && startup_locality_.has_value()) {
          init.back() = static_cast<char>(*startup_locality_);
        }
        values[ev.pcr] = init;
      }
      values[ev.pcr] = HashOrDie(alg, values[ev.pcr] + ev.digests.at(alg));
    }
  }
  return out;
}

absl::Status LogBuilder::ExtendTpm(const std::string& tcti_or_tools_env) const {
  const std::string env = ToolsEnv(tcti_or_tools_env);
  bool extends_pcr0 = false;
  for (const BuiltEvent& ev : events_) {
    if (ev.type != EV_NO_ACTION && ev.pcr == 0) extends_pcr0 = true;
  }
  const uint8_t locality = startup_locality_.value_or(0);
  bool skip_hcrtm_event = false;
  if (extends_pcr0 && hcrtm_data_.has_value()) {
    RETURN_IF_ERROR_CTX(RestartTpm(env, 0, hcrtm_data_), "H-CRTM start");
    skip_hcrtm_event = true;  // _TPM_Hash_End extended it
  } else if (extends_pcr0 && locality == 3) {
    RETURN_IF_ERROR_CTX(RestartTpm(env, 3, std::nullopt),
                        "start at locality 3");
  } else if (extends_pcr0 && locality == 4) {
    return absl::FailedPreconditionError(
        "StartupLocality 4 without SetHcrtm: PCR 0's start cannot be "
        "reproduced on a TPM");
  }
  std::vector<Extend> extends;
  for (const BuiltEvent& ev : events_) {
    if (ev.type == EV_NO_ACTION) continue;
    if (skip_hcrtm_event && ev.type == EV_EFI_HCRTM_EVENT && ev.pcr == 0) {
      skip_hcrtm_event = false;
      continue;
    }
    Extend e{ev.pcr, {}};
    for (TPMI_ALG_HASH alg : banks_)
      e.digests.emplace_back(alg, ev.digests.at(alg));
    extends.push_back(std::move(e));
  }
  return ExtendAll(env, extends);
}

absl::StatusOr<std::set<uint32_t>> ExtendTpmWithLog(
    const eventlog::ParsedLog& log, const std::string& tcti_or_tools_env) {
  const std::string env = ToolsEnv(tcti_or_tools_env);
  bool extends_pcr0 = false;
  for (const eventlog::Event& ev : log.events) {
    if (ev.type != EV_NO_ACTION && ev.pcr == 0) extends_pcr0 = true;
  }
  std::set<uint32_t> skipped;
  const uint8_t locality = log.startup_locality.value_or(0);
  if (extends_pcr0 && locality == 3) {
    RETURN_IF_ERROR_CTX(RestartTpm(env, 3, std::nullopt),
                        "start at locality 3");
  } else if (extends_pcr0 && locality == 4) {
    skipped.insert(0);
  }
  std::vector<Extend> extends;
  for (const eventlog::Event& ev : log.events) {
    if (ev.type == EV_NO_ACTION || skipped.count(ev.pcr)) continue;
    Extend e{ev.pcr, {}};
    for (TPMI_ALG_HASH alg : log.banks) {
      if (DigestSize(alg) == 0) continue;
      const std::string* digest = ev.DigestFor(alg);
      if (digest == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "event ", ev.index, " has no ", HashAlgName(alg), " digest"));
      }
      e.digests.emplace_back(alg, *digest);
    }
    extends.push_back(std::move(e));
  }
  RETURN_IF_ERROR(ExtendAll(env, extends));
  return skipped;
}

absl::StatusOr<vtpm::PcrValues> ReadTpmPcrs(
    const std::string& tcti_or_tools_env, const std::string& selection) {
  ASSIGN_OR_RETURN(vtpm::PcrSelection sel, vtpm::ParsePcrSelection(selection));
  // tpm2_pcrread takes no ranges: list every PCR.
  std::vector<std::string> banks;
  for (const vtpm::PcrBankSelection& bank : sel) {
    std::vector<int> pcrs;
    for (int i = 0; i < vtpm::kMaxPcrs; ++i) {
      if (bank.pcrs.test(i)) pcrs.push_back(i);
    }
    banks.push_back(
        absl::StrCat(HashAlgName(bank.hash), ":", absl::StrJoin(pcrs, ",")));
  }
  TempDir dir;
  std::string path = dir.Sub("pcrs.bin");
  RETURN_IF_ERROR(
      RunOrError({"tpm2_pcrread", absl::StrJoin(banks, "+"), "-o", path},
                 {ToolsEnv(tcti_or_tools_env)})
          .status());
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  return tpm2tools::ParseRawPcrValues(bytes, sel);
}

}  // namespace vtpm::testing
