#include "common/bootstate/wbcl.h"

#include "absl/strings/str_cat.h"
#include "common/byte_reader.h"
#include "common/bootstate/ucs2.h"
#include "common/hex.h"

namespace vtpm::bootstate {
namespace {

constexpr int kMaxDepth = 16;

// A little-endian integer of 1-8 bytes; nullopt for other sizes.
std::optional<uint64_t> SmallInt(absl::string_view data) {
  if (data.empty() || data.size() > 8) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    v |= static_cast<uint64_t>(static_cast<uint8_t>(data[i])) << (8 * i);
  }
  return v;
}

struct Module {
  std::string path;
  std::string authenticode;
};

absl::Status DecodeSequence(absl::string_view data, size_t base, int depth,
                            WbclState* state, Module* module) {
  if (depth > kMaxDepth) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SIPA containers nest deeper than ", kMaxDepth, " at offset ", base));
  }
  ByteReader r(data);
  while (!r.empty()) {
    const size_t offset = base + r.position();
    uint32_t type = 0, size = 0;
    absl::string_view body;
    if (!r.ReadU32(&type) || !r.ReadU32(&size) || !r.ReadBytes(size, &body)) {
      return absl::InvalidArgumentError(
          absl::StrCat("SIPA event at offset ", offset, " runs past its ",
                       data.size(), "-byte container"));
    }
    state->seen = true;
    const size_t body_offset = offset + 8;
    if ((type & kSipaContainerMask) == kSipaContainer) {
      if (type == kSipaLoadedModuleAggregation) {
        Module m;
        absl::Status s =
            DecodeSequence(body, body_offset, depth + 1, state, &m);
        if (!m.path.empty()) {
          state->loaded_modules.push_back(m.path);
        } else if (!m.authenticode.empty()) {
          state->loaded_modules.push_back(
              absl::StrCat("authenticode:", m.authenticode));
        }
        if (!s.ok()) return s;
      } else {
        if (absl::Status s =
                DecodeSequence(body, body_offset, depth + 1, state, module);
            !s.ok()) {
          return s;
        }
      }
      continue;
    }
    std::optional<uint64_t> value = SmallInt(body);
    bool set = value.has_value() && *value != 0;
    switch (type) {
      case kSipaBootCounter:
        if (value.has_value()) state->boot_counter = *value;
        break;
      case kSipaBitlockerUnlock:
        state->bitlocker_unlocked |= set;
        break;
      case kSipaTestSigning:
        state->test_signing |= set;
        break;
      case kSipaBootDebugging:
        state->boot_debugging |= set;
        break;
      case kSipaOsKernelDebug:
        state->kernel_debugging |= set;
        break;
      case kSipaHypervisorDebug:
        state->hypervisor_debugging |= set;
        break;
      case kSipaSafeMode:
        state->safe_mode |= set;
        break;
      case kSipaWinPe:
        state->winpe |= set;
        break;
      case kSipaCodeIntegrity:
        state->code_integrity = state->code_integrity.value_or(true) && set;
        break;
      case kSipaFilePath:
        if (module != nullptr) {
          module->path = ToDisplayString(Utf16LeToUtf8(body));
        }
        break;
      case kSipaAuthenticodeHash:
        if (module != nullptr) module->authenticode = HexEncode(body);
        break;
      default:
        break;  // covered by the event digest; nothing to decode
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status DecodeWbclEvent(absl::string_view data, WbclState* state) {
  return DecodeSequence(data, 0, 0, state, nullptr);
}

void WbclToProto(const WbclState& state,
                 vtpm_attest::v1::WindowsBootState* out) {
  out->set_boot_counter(state.boot_counter.value_or(0));
  out->set_bitlocker_unlocked(state.bitlocker_unlocked);
  out->set_test_signing(state.test_signing);
  out->set_boot_debugging(state.boot_debugging);
  out->set_kernel_debugging(state.kernel_debugging);
  out->set_debugging(state.boot_debugging || state.kernel_debugging ||
                     state.hypervisor_debugging);
  out->set_code_integrity_enabled(state.code_integrity.value_or(false));
  out->set_safe_mode(state.safe_mode);
  out->set_winpe(state.winpe);
  for (const auto& m : state.loaded_modules) out->add_loaded_modules(m);
}

std::string EncodeSipaEvent(uint32_t type, absl::string_view data) {
  std::string out;
  auto put32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  };
  put32(type);
  put32(static_cast<uint32_t>(data.size()));
  absl::StrAppend(&out, data);
  return out;
}

}  // namespace vtpm::bootstate
