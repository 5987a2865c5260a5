// End to end with real firmware event logs: a swtpm is extended with the
// digests of a real OVMF log (so its PCRs equal those of the guest that
// wrote it), the agent serves that log as securityfs would, and the
// verifier replays it against the quote, extracts the boot state and
// judges it by policy.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "absl/strings/ascii.h"
#include "agent/tpm/pcr.h"
#include "common/eventlog/event_log.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/eventlog/log_builder.h"

namespace vtpm::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using vtpm_attest::v1::AgentMessage;
namespace v1 = vtpm_attest::v1;
namespace fs = std::filesystem;

class BootIntegrityTest : public E2eTest {
 protected:
  // Extends the swtpm with `name`'s log and makes the agent serve it.
  void BootWith(const std::string& name) {
    log_ = *ReadFile(SourceDir() + "/tests/data/eventlogs/" + name +
                     "/binary_bios_measurements");
    auto parsed = eventlog::ParseEventLog(log_);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    auto skipped = ExtendTpmWithLog(*parsed, tpm_->tools_env());
    ASSERT_TRUE(skipped.ok()) << skipped.status();
    ASSERT_TRUE(skipped->empty());
    std::string path = dir_.Sub(
        "guest-root/sys/kernel/security/tpm0/binary_bios_measurements");
    fs::create_directories(fs::path(path).parent_path());
    ASSERT_TRUE(WriteFile(path, log_).ok());
    parsed_ = *std::move(parsed);
  }

  // Byte offset of the first event of `type` in PCR `pcr`.
  size_t OffsetOf(uint32_t pcr, uint32_t type) {
    for (const auto& e : parsed_.events) {
      if (e.pcr == pcr && e.type == type) return e.offset;
    }
    ADD_FAILURE() << "no event of type " << type << " in PCR " << pcr;
    return 0;
  }

  // Alters the event log in the agent's quote response.
  Tamper EditLog(std::function<void(std::string*)> edit) {
    Tamper t;
    t.to_verifier = [edit](AgentMessage* m) {
      if (!m->has_quote_response()) return;
      std::string log = m->quote_response().event_log();
      edit(&log);
      m->mutable_quote_response()->set_event_log(log);
    };
    return t;
  }

  static std::string SecureBootPolicy() {
    return R"json({
      "name": "secureboot",
      "tpmFamily": "2.0",
      "requireEkCertificate": true,
      "quotePcrs": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": [0,1,2,3,4,5,6,7,8,9,14]}],
      "boot": {"requireEventLog": true, "requireSecureBoot": true}
    })json";
  }

  std::string log_;
  eventlog::ParsedLog parsed_;
};

TEST_F(BootIntegrityTest, ShimSecureBootLogReplaysAndPassesSecureBootPolicy) {
  BootWith("ovmf-shim-secboot-crb");
  WritePolicy(SecureBootPolicy());
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  auto run = Run(*a);
  EXPECT_RESULT(run, v1::RESULT_PASS);
  const auto& boot = run.verdict->boot_state();
  EXPECT_TRUE(boot.secure_boot());
  EXPECT_EQ(boot.log_format(), "crypto-agile");
  EXPECT_FALSE(boot.db().empty());
  EXPECT_FALSE(boot.boot_applications().empty());
  EXPECT_THAT(boot.kernel_cmdline(), HasSubstr("console="));
  // The replayed PCR 7 equals what the guest read.
  EXPECT_EQ(boot.pcrs().at("sha256").values().at("7"),
            "75677db6f14082d3bfec4d14bdd75c8d72612ef6914ca99cd5a5997b7a21309d");
}

TEST_F(BootIntegrityTest, UkiWithoutSecureBootFailsSecureBootPolicy) {
  BootWith("ovmf-uki-plain-crb");
  WritePolicy(SecureBootPolicy());
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  auto run = Run(*a);
  EXPECT_RESULT(run, v1::RESULT_FAIL);
  EXPECT_THAT(Codes(*run.verdict), Contains(v1::POLICY_SECURE_BOOT));
  EXPECT_FALSE(run.verdict->boot_state().secure_boot());
}

TEST_F(BootIntegrityTest, FlippedDigestInTheLogFailsReplayNamingPcrAndBank) {
  BootWith("ovmf-shim-secboot-crb");
  WritePolicy(SecureBootPolicy());
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  // Crypto-agile event: pcr(4) type(4) count(4) alg(2) digest...
  size_t at = OffsetOf(4, eventlog::EV_EFI_BOOT_SERVICES_APPLICATION) + 14;
  auto run = Run(*a, EditLog([at](std::string* log) { (*log)[at] ^= 1; }));
  EXPECT_RESULT(run, v1::RESULT_FAIL);
  ASSERT_THAT(Codes(*run.verdict), ElementsAre(v1::EVENTLOG_REPLAY_MISMATCH));
  EXPECT_THAT(run.verdict->reasons(0).message(), HasSubstr("PCR 4"));
  EXPECT_THAT(run.verdict->reasons(0).message(), HasSubstr("sha256"));
}

TEST_F(BootIntegrityTest, ChangedEventTypeWithTheSameDigestIsCaught) {
  BootWith("ovmf-shim-secboot-crb");
  WritePolicy(SecureBootPolicy());
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  // The type is not covered by the digest, so replay still matches; the
  // boot application becomes an "action" whose digest must be H(data).
  size_t at = OffsetOf(4, eventlog::EV_EFI_BOOT_SERVICES_APPLICATION) + 4;
  auto run = Run(*a, EditLog([at](std::string* log) {
    uint32_t t = eventlog::EV_EFI_ACTION;
    memcpy(&(*log)[at], &t, 4);
  }));
  EXPECT_RESULT(run, v1::RESULT_FAIL);
  EXPECT_THAT(Codes(*run.verdict), Contains(v1::EVENTLOG_DIGEST_MISMATCH));
}

TEST_F(BootIntegrityTest, TruncatedLogIsMalformed) {
  BootWith("ovmf-shim-secboot-crb");
  WritePolicy(SecureBootPolicy());
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  auto run =
      Run(*a, EditLog([](std::string* log) { log->resize(log->size() - 7); }));
  EXPECT_RESULT(run, v1::RESULT_FAIL);
  EXPECT_THAT(Codes(*run.verdict), ElementsAre(v1::EVENTLOG_MALFORMED));
}

TEST_F(BootIntegrityTest, MissingLogFailsWhenPolicyRequiresIt) {
  // The TPM holds the boot's PCRs but the agent has no log to send.
  BootWith("ovmf-shim-secboot-crb");
  fs::remove(
      dir_.Sub("guest-root/sys/kernel/security/tpm0/binary_bios_measurements"));
  WritePolicy(SecureBootPolicy());
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  auto run = Run(*a);
  EXPECT_RESULT(run, v1::RESULT_FAIL);
  EXPECT_THAT(Codes(*run.verdict), Contains(v1::EVENTLOG_MISSING));
}

TEST_F(BootIntegrityTest, DirectKernelBootNeedsItsQuirkAllowed) {
  BootWith("ovmf-direct-plain-crb");
  WritePolicy(R"json({
    "name": "direct",
    "quotePcrs": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": [0,1,2,3,4,5,6,7,9]}],
    "boot": {"requireEventLog": true}
  })json");
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  auto run = Run(*a);
  EXPECT_RESULT(run, v1::RESULT_FAIL);
  EXPECT_THAT(Codes(*run.verdict), Contains(v1::POLICY_QUIRK));
  verifier_->Shutdown();

  WritePolicy(R"json({
    "name": "direct",
    "quotePcrs": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": [0,1,2,3,4,5,6,7,9]}],
    "boot": {"requireEventLog": true},
    "allowedQuirks": ["qemu-direct-kernel-boot"]
  })json");
  StartVerifier();
  run = Run(*a);
  EXPECT_RESULT(run, v1::RESULT_PASS);
  EXPECT_THAT(run.verdict->boot_state().quirks_used(),
              Contains("qemu-direct-kernel-boot"));
}

TEST_F(BootIntegrityTest, PcrChangedAfterBootBreaksReplay) {
  BootWith("ovmf-uki-plain-crb");
  WritePolicy(R"json({
    "name": "uki",
    "quotePcrs": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": [0,1,2,3,4,5,6,7,9,11]}],
    "boot": {"requireEventLog": true}
  })json");
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  EXPECT_RESULT(Run(*a), v1::RESULT_PASS);
  // Something extends PCR 4 without logging it.
  ASSERT_TRUE(
      agent::ExtendPcr(a->tpm(), 4, TPM2_ALG_SHA256, std::string(32, 'x'))
          .ok());
  auto run = Run(*a);
  EXPECT_RESULT(run, v1::RESULT_FAIL);
  EXPECT_THAT(Codes(*run.verdict), ElementsAre(v1::EVENTLOG_REPLAY_MISMATCH));
}

// Each real boot passes the policy `policy learn` writes for it, end to
// end: every allowlist rule accounts for every extend of that boot, and no
// value is measured twice or after ExitBootServices.
TEST_F(BootIntegrityTest, EveryRealBootPassesItsLearnedPolicy) {
  for (const char* name : {"ovmf-direct-plain-crb", "ovmf-uki-plain-crb",
                           "ovmf-shim-secboot-crb"}) {
    SCOPED_TRACE(name);
    const std::string dir = SourceDir() + "/tests/data/eventlogs/" + name;
    std::string learned = dir_.Sub(std::string(name) + ".json");
    auto r = RunCommand({BinaryDir() + "/verifier/cli/vtpm-attest", "policy",
                         "learn", "--from-eventlog",
                         dir + "/binary_bios_measurements", "--pcrs",
                         dir + "/pcrs-sha256.txt", "--name", name, "--label",
                         "image=test", "--out", learned});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->exit_code, 0) << r->output;
    auto policy = ReadFile(learned);
    ASSERT_TRUE(policy.ok());
    auto tpm = Swtpm::Start(dir_.Sub(std::string("tpm-") + name), *ca_);
    ASSERT_TRUE(tpm.ok()) << tpm.status();
    std::string log = *ReadFile(dir + "/binary_bios_measurements");
    auto parsed = eventlog::ParseEventLog(log);
    ASSERT_TRUE(parsed.ok());
    ASSERT_TRUE(ExtendTpmWithLog(*parsed, (*tpm)->tools_env()).ok());
    std::string path = dir_.Sub(
        "guest-root/sys/kernel/security/tpm0/binary_bios_measurements");
    fs::create_directories(fs::path(path).parent_path());
    ASSERT_TRUE(WriteFile(path, log).ok());
    WritePolicy(*policy);
    StartVerifier();
    auto a =
        MakeAttestor(**tpm, agent::AkAlgorithm::kEccP256,
                     agent::EkAlgorithm::kAuto, std::string("state-") + name);
    ASSERT_NE(a, nullptr);
    auto run = Run(*a);
    EXPECT_RESULT(run, v1::RESULT_PASS);
    EXPECT_EQ(run.verdict->policy(), name);
    EXPECT_EQ(run.verdict->boot_state().exit_boot_services_index(),
              static_cast<int32_t>(parsed->events.size() - 2));
    verifier_->Shutdown();
  }
}

TEST_F(BootIntegrityTest, PolicyLearnedFromTheDatabaseAcceptsTheGoldenVm) {
  const std::string uuid = "0b5e6d9a-3c1f-4a57-9a7e-2f1d3c4b5a69";
  std::string uuid_path = dir_.Sub("guest-root/sys/class/dmi/id/product_uuid");
  fs::create_directories(fs::path(uuid_path).parent_path());
  ASSERT_TRUE(WriteFile(uuid_path, absl::AsciiStrToUpper(uuid) + "\n").ok());
  BootWith("ovmf-shim-secboot-crb");
  WritePolicy(SecureBootPolicy());
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  auto golden = Run(*a);
  EXPECT_RESULT(golden, v1::RESULT_PASS);
  EXPECT_EQ(golden.verdict->identity().vm_uuid(), uuid);

  // The operator learns from the golden VM's stored attestation.
  std::string learned = dir_.Sub("learned.json");
  auto r = RunCommand({BinaryDir() + "/verifier/cli/vtpm-attest", "policy",
                       "learn", "--from-database", dir_.Sub("verifier.db"),
                       "--vm-uuid", uuid, "--name", "golden-shim", "--label",
                       "image=test", "--out", learned});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->exit_code, 0) << r->output;
  EXPECT_THAT(r->output, HasSubstr(uuid));
  auto policy = ReadFile(learned);
  ASSERT_TRUE(policy.ok());
  EXPECT_THAT(*policy, HasSubstr("\"requireSecureBoot\": true"));
  EXPECT_THAT(*policy, HasSubstr("allowedBootApplications"));

  // The learned policy, in force, accepts the same boot...
  verifier_->Shutdown();
  fs::copy_file(learned, dir_.Sub("policies/golden-shim.json"));
  StartVerifier();
  auto again = Run(*a);
  EXPECT_RESULT(again, v1::RESULT_PASS);
  EXPECT_EQ(again.verdict->policy(), "golden-shim");
  // ...and rejects another VM of the same image label that booted
  // differently (its log and its PCRs agree: a UKI without Secure Boot).
  auto tpm2 = Swtpm::Start(dir_.Sub("tpm2"), *ca_);
  ASSERT_TRUE(tpm2.ok()) << tpm2.status();
  std::string uki = *ReadFile(SourceDir() +
                              "/tests/data/eventlogs/ovmf-uki-plain-crb/"
                              "binary_bios_measurements");
  auto uki_parsed = eventlog::ParseEventLog(uki);
  ASSERT_TRUE(uki_parsed.ok());
  ASSERT_TRUE(ExtendTpmWithLog(*uki_parsed, (*tpm2)->tools_env()).ok());
  ASSERT_TRUE(WriteFile(dir_.Sub("guest-root/sys/kernel/security/tpm0/"
                                 "binary_bios_measurements"),
                        uki)
                  .ok());
  // Another VM: its own SMBIOS UUID (the same UUID with another vTPM would
  // be EK_CHANGED).
  ASSERT_TRUE(
      WriteFile(uuid_path, "0b5e6d9a-3c1f-4a57-9a7e-2f1d3c4b5a70\n").ok());
  auto b = MakeAttestor(**tpm2, agent::AkAlgorithm::kEccP256,
                        agent::EkAlgorithm::kAuto, "state-b");
  ASSERT_NE(b, nullptr);
  auto other = Run(*b);
  EXPECT_RESULT(other, v1::RESULT_FAIL);
  EXPECT_EQ(other.verdict->policy(), "golden-shim");
  EXPECT_THAT(Codes(*other.verdict), Contains(v1::POLICY_SECURE_BOOT));
  EXPECT_THAT(Codes(*other.verdict), Contains(v1::POLICY_BOOT_APPLICATION));
  auto unknown =
      RunCommand({BinaryDir() + "/verifier/cli/vtpm-attest", "policy", "learn",
                  "--from-database", dir_.Sub("verifier.db"), "--vm-uuid",
                  "11111111-2222-3333-4444-555555555555"});
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->exit_code, 1) << unknown->output;
}

}  // namespace
}  // namespace vtpm::testing
