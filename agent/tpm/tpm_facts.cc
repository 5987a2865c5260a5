#include "agent/tpm/tpm_facts.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "agent/tpm/capability.h"
#include "common/status_macros.h"
#include "common/tpm_alg.h"

namespace vtpm::agent {
namespace {

// The four big-endian ASCII characters of a property value, NULs dropped
// and non-printables replaced.
std::string PropertyChars(uint32_t v) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    char c = static_cast<char>((v >> shift) & 0xff);
    if (c == '\0') continue;
    out.push_back(absl::ascii_isprint(static_cast<unsigned char>(c)) ? c : '?');
  }
  return out;
}

std::string TrimTrailing(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

absl::StatusOr<vtpm_attest::v1::TpmFacts> ReadTpmFacts(TpmContext& ctx) {
  ASSIGN_OR_RETURN(auto props, GetTpmProperties(ctx, TPM2_PT_FIXED,
                                                TPM2_PT_FIRMWARE_VERSION_2 -
                                                    TPM2_PT_FIXED + 1));
  auto need = [&](TPM2_PT pt, const char* name) -> absl::StatusOr<uint32_t> {
    auto it = props.find(pt);
    if (it == props.end()) {
      return absl::FailedPreconditionError(
          absl::StrFormat("the TPM does not report %s", name));
    }
    return it->second;
  };
  auto get = [&](TPM2_PT pt) -> uint32_t {
    auto it = props.find(pt);
    return it == props.end() ? 0 : it->second;
  };

  vtpm_attest::v1::TpmFacts facts;
  ASSIGN_OR_RETURN(uint32_t family,
                   need(TPM2_PT_FAMILY_INDICATOR, "TPM2_PT_FAMILY_INDICATOR"));
  facts.set_family(PropertyChars(family));
  facts.set_level(get(TPM2_PT_LEVEL));
  ASSIGN_OR_RETURN(uint32_t revision,
                   need(TPM2_PT_REVISION, "TPM2_PT_REVISION"));
  facts.set_revision(revision);
  ASSIGN_OR_RETURN(uint32_t manufacturer,
                   need(TPM2_PT_MANUFACTURER, "TPM2_PT_MANUFACTURER"));
  facts.set_manufacturer(TrimTrailing(PropertyChars(manufacturer)));
  std::string vendor;
  for (TPM2_PT pt : {TPM2_PT_VENDOR_STRING_1, TPM2_PT_VENDOR_STRING_2,
                     TPM2_PT_VENDOR_STRING_3, TPM2_PT_VENDOR_STRING_4}) {
    vendor += PropertyChars(get(pt));
  }
  facts.set_vendor(TrimTrailing(vendor));
  facts.set_firmware_version_1(get(TPM2_PT_FIRMWARE_VERSION_1));
  facts.set_firmware_version_2(get(TPM2_PT_FIRMWARE_VERSION_2));

  ASSIGN_OR_RETURN(TPML_PCR_SELECTION alloc, GetPcrAllocation(ctx));
  for (uint32_t i = 0; i < alloc.count && i < TPM2_NUM_PCR_BANKS; ++i) {
    const auto& bank = alloc.pcrSelections[i];
    bool any = false;
    for (uint8_t b = 0; b < bank.sizeofSelect && b < sizeof(bank.pcrSelect);
         ++b) {
      any |= bank.pcrSelect[b] != 0;
    }
    if (any) facts.add_pcr_banks(ToProto(bank.hash));
  }
  return facts;
}

}  // namespace vtpm::agent
