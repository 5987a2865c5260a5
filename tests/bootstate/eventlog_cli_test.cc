// `vtpm-attest eventlog show` run as a program on the real OVMF logs.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/bootstate/test_logs.h"
#include "tests/eventlog/log_edit.h"
#include "tests/harness/process.h"

namespace vtpm::bootstate {
namespace {

using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using testing::FixtureDir;
using testing::kDirect;
using testing::kShim;
using testing::kUki;
using ::vtpm::testing::BinaryDir;
using ::vtpm::testing::CommandResult;
using ::vtpm::testing::RunCommand;
using ::vtpm::testing::TempDir;

CommandResult Cli(std::vector<std::string> args) {
  args.insert(args.begin(), BinaryDir() + "/verifier/cli/vtpm-attest");
  auto r = RunCommand(args);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.value_or(CommandResult());
}

std::string Log(const std::string& name) {
  return FixtureDir(name) + "/binary_bios_measurements";
}
std::string Pcrs(const std::string& name) {
  return FixtureDir(name) + "/pcrs-sha256.txt";
}

// The JSON document on the last line of `output` (stderr is interleaved).
Struct ParseJson(const std::string& output) {
  std::string line = output.substr(
      output.rfind("\n{") == std::string::npos ? 0 : output.rfind("\n{") + 1);
  Struct s;
  auto status = google::protobuf::util::JsonStringToMessage(line, &s);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << output;
  return s;
}

const Value& Field(const Struct& s, const std::string& key) {
  static const Value kNull;
  auto it = s.fields().find(key);
  return it == s.fields().end() ? kNull : it->second;
}

// An event appended after boot (as root extending PCR 8 would) is shown
// with its findings; --os-extended-pcr lets the OS extend that PCR; the
// JSON events carry their digest basis.
TEST(EventlogCliTest, AppendedEventsAndTheDigestBasis) {
  TempDir dir;
  eventlog::ParsedLog log = testing::LoadLog(kShim);
  ::vtpm::testing::EditedLog edited =
      ::vtpm::testing::EditLog(log, [&](std::vector<eventlog::Event>& e) {
        e.push_back(::vtpm::testing::GrubEvent(
            log, "kernel_cmdline: ", "/vmlinuz console=ttyS0 quiet"));
      });
  ASSERT_TRUE(::vtpm::testing::WriteFile(dir.Sub("log"), edited.bytes).ok());
  ASSERT_TRUE(::vtpm::testing::WriteFile(dir.Sub("pcrs"),
                                         ::vtpm::testing::PcrText(edited.pcrs))
                  .ok());
  CommandResult r =
      Cli({"eventlog", "show", dir.Sub("log"), "--pcrs", dir.Sub("pcrs")});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(absl::StrContains(
      r.output,
      "kernel command line: /vmlinuz console=ttyS0 quiet (event 45, PCR 8, "
      "grub)"))
      << r.output;
  EXPECT_TRUE(absl::StrContains(
      r.output, "EVENTLOG_AFTER_EXIT_BOOT_SERVICES: event 45 (PCR 8, EV_IPL)"))
      << r.output;
  EXPECT_TRUE(absl::StrContains(
      r.output, "EVENTLOG_REPEATED_MEASUREMENT: event 45 (PCR 8, EV_IPL)"))
      << r.output;
  CommandResult os = Cli({"eventlog", "show", dir.Sub("log"), "--pcrs",
                          dir.Sub("pcrs"), "--os-extended-pcr", "8"});
  EXPECT_EQ(os.exit_code, 1) << os.output;
  EXPECT_FALSE(
      absl::StrContains(os.output, "EVENTLOG_AFTER_EXIT_BOOT_SERVICES"))
      << os.output;
  EXPECT_TRUE(absl::StrContains(os.output, "EVENTLOG_REPEATED_MEASUREMENT"));
  EXPECT_EQ(Cli({"eventlog", "show", Log(kShim), "--os-extended-pcr", "24"})
                .exit_code,
            2);

  CommandResult json = Cli({"eventlog", "show", Log(kShim), "--pcrs",
                            Pcrs(kShim), "--format", "json"});
  EXPECT_EQ(json.exit_code, 0) << json.output;
  const Struct doc = ParseJson(json.output);
  const auto& events = Field(doc, "events").list_value();
  ASSERT_EQ(events.values_size(), 45);
  auto basis = [&](int i) {
    return Field(events.values(i).struct_value(), "digest_basis")
        .string_value();
  };
  EXPECT_EQ(basis(13), "DIGEST_BASIS_RECOMPUTED");  // "Calling EFI Application"
  EXPECT_EQ(basis(22), "DIGEST_BASIS_OPAQUE");      // shim
}

TEST(EventlogCliTest, TextAgainstGuestPcrs) {
  CommandResult r =
      Cli({"eventlog", "show", Log(kShim), "--pcrs", Pcrs(kShim)});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "checked against the PCR values"));
  EXPECT_TRUE(
      absl::StrContains(r.output,
                        "  22  PCR 4  EV_EFI_BOOT_SERVICES_APPLICATION   "
                        "PciRoot(0x0)/Pci(0x3,0x0)/\\EFI\\BOOT\\BOOTX64.EFI"));
  EXPECT_TRUE(absl::StrContains(r.output, "secure boot: on"));
  EXPECT_TRUE(absl::StrContains(r.output,
                                "kernel command line: /vmlinuz console=ttyS0"));
  EXPECT_TRUE(absl::StrContains(r.output, "result: PASS"));
}

TEST(EventlogCliTest, JsonWithoutPcrsAndAQuirk) {
  CommandResult r = Cli({"eventlog", "show", Log(kDirect), "--format", "json"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  Struct doc = ParseJson(r.output);
  EXPECT_EQ(Field(doc, "result").string_value(), "FAIL");
  EXPECT_FALSE(Field(doc, "pcrs_checked").bool_value());
  EXPECT_TRUE(absl::StrContains(Field(doc, "verification").string_value(),
                                "not checked against a quote"));
  const auto& findings = Field(doc, "findings").list_value();
  ASSERT_EQ(findings.values_size(), 1);
  const Struct& f = findings.values(0).struct_value();
  EXPECT_EQ(Field(f, "code").string_value(), "POLICY_QUIRK");
  EXPECT_EQ(Field(f, "event_index").number_value(), 9);
  EXPECT_TRUE(absl::StrContains(Field(f, "message").string_value(),
                                "qemu-direct-kernel-boot"));
  const Struct& st = Field(doc, "boot_state").struct_value();
  EXPECT_FALSE(Field(st, "secure_boot").bool_value());
  // pcrs: bank -> {index: hex} for every PCR the log touches, at the top
  // level and in boot_state.
  for (const Struct* where : {static_cast<const Struct*>(&doc), &st}) {
    const Struct& values =
        Field(Field(*where, "pcrs").struct_value(), "sha256").struct_value();
    EXPECT_EQ(values.fields_size(), 9);  // 0-7 and 9
    EXPECT_EQ(
        Field(values, "0").string_value(),
        "177e29c417b6b61c7cf46ed30b4468931f58642527a268b556254e39b941ec6a");
  }

  CommandResult allowed =
      Cli({"eventlog", "show", Log(kDirect), "--format", "json",
           "--allow-quirk", "qemu-direct-kernel-boot"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.output;
  Struct ok = ParseJson(allowed.output);
  EXPECT_EQ(Field(ok, "result").string_value(), "PASS");
  const auto& used =
      Field(Field(ok, "boot_state").struct_value(), "quirks_used").list_value();
  ASSERT_EQ(used.values_size(), 1);
  EXPECT_EQ(used.values(0).string_value(), "qemu-direct-kernel-boot");
}

TEST(EventlogCliTest, UkiJson) {
  CommandResult r = Cli({"eventlog", "show", Log(kUki), "--format", "json",
                         "--pcrs", Pcrs(kUki)});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  Struct doc = ParseJson(r.output);
  EXPECT_TRUE(Field(doc, "pcrs_checked").bool_value());
  const Struct& st = Field(doc, "boot_state").struct_value();
  const auto& sections = Field(st, "uki_sections").list_value();
  ASSERT_EQ(sections.values_size(), 4);
  EXPECT_EQ(Field(sections.values(2).struct_value(), "name").string_value(),
            ".cmdline");
}

TEST(EventlogCliTest, PcrsThatDoNotMatchAreRejected) {
  // The shim log against the UKI boot's PCRs.
  CommandResult r = Cli({"eventlog", "show", Log(kShim), "--pcrs", Pcrs(kUki)});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "EVENTLOG_REPLAY_MISMATCH"))
      << r.output;

  // "BANK:INDEX HEX" lines, comments; only PCR 7 given (and right).
  TempDir dir;
  std::string pcrs = dir.Sub("pcrs.txt");
  ASSERT_TRUE(vtpm::testing::WriteFile(
                  pcrs,
                  "# PCR 7 only\nsha256:7 "
                  "75677db6f14082d3bfec4d14bdd75c8d72612ef6914ca99cd5a5997b7a21"
                  "309d\n")
                  .ok());
  CommandResult only7 = Cli({"eventlog", "show", Log(kShim), "--pcrs", pcrs});
  EXPECT_EQ(only7.exit_code, 0) << only7.output;
  EXPECT_TRUE(absl::StrContains(only7.output, "secure boot: on"));
  EXPECT_TRUE(absl::StrContains(only7.output, "are not verified by the quote"));
  EXPECT_FALSE(absl::StrContains(only7.output, "grub commands:"));
}

TEST(EventlogCliTest, MalformedLogAndUsageErrors) {
  TempDir dir;
  auto log = vtpm::testing::ReadFile(Log(kUki));
  ASSERT_TRUE(log.ok());
  std::string truncated = dir.Sub("truncated");
  ASSERT_TRUE(
      vtpm::testing::WriteFile(truncated, log->substr(0, log->size() - 7))
          .ok());
  CommandResult r = Cli({"eventlog", "show", truncated, "--format", "json"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "EVENTLOG_MALFORMED")) << r.output;

  EXPECT_EQ(Cli({"eventlog", "show", dir.Sub("missing")}).exit_code, 2);
  EXPECT_EQ(Cli({"eventlog"}).exit_code, 2);
  EXPECT_EQ(Cli({"eventlog", "list", Log(kUki)}).exit_code, 2);
  EXPECT_EQ(Cli({"eventlog", "show", Log(kUki), "--format", "yaml"}).exit_code,
            2);
  std::string bad_pcrs = dir.Sub("bad.txt");
  ASSERT_TRUE(vtpm::testing::WriteFile(bad_pcrs, "7 abcd\n").ok());
  EXPECT_EQ(Cli({"eventlog", "show", Log(kUki), "--pcrs", bad_pcrs}).exit_code,
            2);
  CommandResult help = Cli({"eventlog", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(help.output, "not checked against a quote"));
}

}  // namespace
}  // namespace vtpm::bootstate
