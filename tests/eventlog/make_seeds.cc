// Writes the LogBuilder-made seeds of the fuzz_event_log corpus:
//   eventlog_make_seeds tests/fuzz/corpus/fuzz_event_log
// (the three real OVMF logs are copied there as seed-ovmf-*).
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "tests/eventlog/log_builder.h"
#include "tests/harness/process.h"

namespace {

using ::vtpm::testing::LogBuilder;
using ::vtpm::testing::MakeRealisticLog;
using namespace ::vtpm::eventlog;  // NOLINT: event types

std::vector<std::pair<std::string, std::string>> Seeds() {
  std::vector<std::pair<std::string, std::string>> seeds;
  LogBuilder legacy = LogBuilder::Sha1Legacy();
  legacy.SetStartupLocality(3)
      .AddEvent(0, EV_S_CRTM_VERSION, std::string(2, '\0'))
      .AddEvent(0, EV_POST_CODE, "POST CODE")
      .AddEvent(4, EV_EFI_ACTION, "Calling EFI Application from Boot Option")
      .AddEvent(1, EV_NO_ACTION, "no action")
      .AddEvent(7, EV_SEPARATOR, std::string(4, '\0'));
  seeds.emplace_back("seed-legacy-sha1", legacy.Build());

  LogBuilder all = MakeRealisticLog(
      {TPM2_ALG_SHA1, TPM2_ALG_SHA256, TPM2_ALG_SHA384, TPM2_ALG_SHA512}, 40);
  seeds.emplace_back("seed-agile-4banks", all.Build());

  LogBuilder hcrtm({TPM2_ALG_SHA256, TPM2_ALG_SHA1});
  hcrtm.SetHcrtm("h-crtm")
      .AddEvent(0, EV_S_CRTM_VERSION, "v")
      .AddEvent(7, EV_SEPARATOR, std::string(4, '\0'));
  seeds.emplace_back("seed-hcrtm", hcrtm.Build());

  LogBuilder unknown({TPM2_ALG_SHA256});
  unknown.AddUnknownBank(TPM2_ALG_SM3_256, 32)
      .SetVendorInfo("vendor")
      .SetStartupLocality(3)
      .AddEvent(0, EV_S_CRTM_VERSION, "v")
      .AddEvent(8, EV_IPL, "grub_cmd: linux /vmlinuz");
  seeds.emplace_back("seed-unknown-bank-fill",
                     unknown.Build() + std::string(64, '\xff'));

  seeds.emplace_back("seed-header-only", LogBuilder({TPM2_ALG_SHA384}).Build());
  return seeds;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  for (const auto& [name, bytes] : Seeds()) {
    absl::Status s =
        vtpm::testing::WriteFile(std::string(argv[1]) + "/" + name, bytes);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
      return 1;
    }
  }
  return 0;
}
