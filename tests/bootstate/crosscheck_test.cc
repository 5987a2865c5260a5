// Second opinions on the real OVMF logs: the device paths of boot
// applications against tpm2_eventlog's output (tpm2-tools 5.4), and the
// Secure Boot databases against efitools' sig-list-to-certs and the
// openssl command line.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/bootstate/device_path.h"
#include "common/hex.h"
#include "tests/bootstate/efi_builders.h"
#include "tests/bootstate/test_logs.h"
#include "tests/harness/process.h"

namespace vtpm::bootstate {
namespace {

using testing::FixtureDir;
using testing::kDirect;
using testing::kShim;
using testing::kUki;
using ::vtpm::testing::RunCommand;
using ::vtpm::testing::RunOrError;
using ::vtpm::testing::TempDir;

// What tpm2_eventlog prints for one event, as far as needed here.
struct ToolEvent {
  int num = -1;  // EventNum (the crypto-agile header is 0)
  std::string type;
  std::string unicode_name;
  std::string variable_data;  // hex
  std::string device_path;    // hex
};

std::vector<ToolEvent> RunTpm2Eventlog(const std::string& name) {
  auto out = RunOrError(
      {"tpm2_eventlog", FixtureDir(name) + "/binary_bios_measurements"});
  EXPECT_TRUE(out.ok()) << out.status();
  std::vector<ToolEvent> events;
  for (absl::string_view line : absl::StrSplit(out.value_or(""), '\n')) {
    line = absl::StripAsciiWhitespace(line);
    auto value = [&](absl::string_view key, std::string* v) {
      if (!absl::ConsumePrefix(&line, key)) return false;
      std::string s(absl::StripAsciiWhitespace(line));
      if (s.size() >= 2 && (s[0] == '"' || s[0] == '\'')) {
        s = s.substr(1, s.size() - 2);
      }
      *v = s;
      return true;
    };
    std::string v;
    if (value("- EventNum:", &v)) {
      events.emplace_back();
      EXPECT_TRUE(absl::SimpleAtoi(v, &events.back().num));
    } else if (events.empty()) {
      continue;
    } else if (value("EventType:", &v)) {
      events.back().type = v;
    } else if (value("UnicodeName:", &v)) {
      events.back().unicode_name = v;
    } else if (value("VariableData:", &v)) {
      events.back().variable_data = v;
    } else if (value("DevicePath:", &v)) {
      events.back().device_path = v;
    }
  }
  return events;
}

std::string HexOfUtf16(absl::string_view ascii) {
  return HexEncode(testing::Utf16(ascii));
}

TEST(CrossCheckTest, BootApplicationDevicePathsMatchTpm2Eventlog) {
  for (const char* name : {kShim, kUki, kDirect}) {
    SCOPED_TRACE(name);
    ExtractOptions options;
    options.allowed_quirks = {"qemu-direct-kernel-boot"};
    Extraction x = testing::ExtractFixture(name, options);
    std::vector<ToolEvent> tool;
    for (ToolEvent& e : RunTpm2Eventlog(name)) {
      if (e.type == "EV_EFI_BOOT_SERVICES_APPLICATION") tool.push_back(e);
    }
    ASSERT_FALSE(tool.empty());
    ASSERT_EQ(x.state.boot_applications_size(), static_cast<int>(tool.size()));
    for (size_t i = 0; i < tool.size(); ++i) {
      const auto& app = x.state.boot_applications(static_cast<int>(i));
      EXPECT_EQ(static_cast<int>(app.event_index()), tool[i].num - 1);
      auto raw = HexDecode(tool[i].device_path);
      ASSERT_TRUE(raw.ok()) << raw.status();
      EXPECT_EQ(app.device_path(), DevicePathToText(*raw).text);
      // The last node's file name, as UTF-16, is in the tool's bytes.
      std::string last = app.device_path();
      last = last.substr(last.find_last_of("/\\") + 1);
      if (!last.empty() && last.back() != ')') {
        EXPECT_TRUE(absl::StrContains(tool[i].device_path, HexOfUtf16(last)))
            << last;
      }
    }
  }
}

// efitools' sig-list-to-certs splits an EFI_SIGNATURE_LIST file into
// PREFIX-N.der / PREFIX-N.hash and prints each entry's owner GUID.
TEST(CrossCheckTest, SignatureDatabasesMatchEfitools) {
  auto which = RunCommand({"sh", "-c", "command -v sig-list-to-certs"});
  if (!which.ok() || which->exit_code != 0) {
    GTEST_SKIP() << "sig-list-to-certs (Debian package efitools) is not "
                    "installed";
  }
  Extraction x = testing::ExtractFixture(kShim);
  TempDir dir;
  int checked = 0;
  for (const ToolEvent& e : RunTpm2Eventlog(kShim)) {
    if (e.type != "EV_EFI_VARIABLE_DRIVER_CONFIG") continue;
    const google::protobuf::RepeatedPtrField<vtpm_attest::v1::SignatureEntry>*
        ours = nullptr;
    if (e.unicode_name == "PK") ours = &x.state.pk();
    if (e.unicode_name == "KEK") ours = &x.state.kek();
    if (e.unicode_name == "db") ours = &x.state.db();
    if (e.unicode_name == "dbx") ours = &x.state.dbx();
    if (ours == nullptr) continue;
    SCOPED_TRACE(e.unicode_name);
    std::string esl = dir.Sub(e.unicode_name + ".esl");
    ASSERT_TRUE(
        vtpm::testing::WriteFile(esl, HexDecode(e.variable_data).value_or(""))
            .ok());
    std::string prefix = dir.Sub(e.unicode_name);
    auto out = RunOrError({"sig-list-to-certs", esl, prefix});
    ASSERT_TRUE(out.ok()) << out.status();
    // "file PREFIX-N.der: Guid GUID"
    std::vector<std::pair<std::string, std::string>> files;
    for (absl::string_view line : absl::StrSplit(*out, '\n')) {
      if (!absl::ConsumePrefix(&line, "file ")) continue;
      std::vector<std::string> f = absl::StrSplit(line, ": Guid ");
      ASSERT_EQ(f.size(), 2u) << line;
      files.emplace_back(f[0], std::string(absl::StripAsciiWhitespace(f[1])));
    }
    ASSERT_EQ(ours->size(), static_cast<int>(files.size())) << *out;
    for (size_t i = 0; i < files.size(); ++i) {
      const auto& entry = (*ours)[static_cast<int>(i)];
      EXPECT_EQ(entry.owner(), files[i].second);
      auto bytes = vtpm::testing::ReadFile(files[i].first);
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      if (absl::EndsWith(files[i].first, ".hash")) {
        EXPECT_EQ(entry.sha256(), HexEncode(*bytes));
        continue;
      }
      EXPECT_EQ(entry.sha256(), testing::Sha256Hex(*bytes));
      auto subject = RunOrError({"openssl", "x509", "-inform", "DER", "-in",
                                 files[i].first, "-noout", "-subject",
                                 "-nameopt", "RFC2253"});
      ASSERT_TRUE(subject.ok()) << subject.status();
      EXPECT_EQ(absl::StrCat("subject=", entry.subject()),
                absl::StripAsciiWhitespace(*subject));
      ++checked;
    }
  }
  // PK 1 + KEK 2 + db 2 certificates.
  EXPECT_EQ(checked, 5);
  EXPECT_GE(x.state.dbx_size(), 1);
}

}  // namespace
}  // namespace vtpm::bootstate
