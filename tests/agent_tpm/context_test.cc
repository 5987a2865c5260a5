// TpmContext, ScopedHandle, RetryTpm and ReadTpmFacts against a real swtpm,
// with tpm2_getcap as the second opinion.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "agent/tpm/capability.h"
#include "agent/tpm/tpm_facts.h"
#include "tests/agent_tpm/agent_tpm_fixture.h"

namespace vtpm::agent {
namespace {

using ::testing::HasSubstr;

// The "raw:" value of `property` in `tpm2_getcap properties-fixed` output.
uint32_t GetcapRaw(const std::string& out, const std::string& property) {
  size_t at = out.find(property + ":\n");
  EXPECT_NE(at, std::string::npos) << property;
  if (at == std::string::npos) return 0;
  size_t raw = out.find("raw: ", at);
  return static_cast<uint32_t>(strtoul(out.c_str() + raw + 5, nullptr, 0));
}

TEST_F(AgentTpmTest, FactsMatchTpm2Getcap) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  ASSERT_OK_AND_ASSIGN(std::string getcap,
                       Tool({"tpm2_getcap", "properties-fixed"}));
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  ASSERT_OK_AND_ASSIGN(auto facts, ReadTpmFacts(ctx));
  EXPECT_EQ(facts.family(), "2.0");
  EXPECT_EQ(facts.manufacturer(), "IBM");
  EXPECT_EQ(facts.level(), GetcapRaw(getcap, "TPM2_PT_LEVEL"));
  EXPECT_EQ(facts.revision(), GetcapRaw(getcap, "TPM2_PT_REVISION"));
  EXPECT_GE(facts.revision(), 116u);
  EXPECT_EQ(facts.firmware_version_1(),
            GetcapRaw(getcap, "TPM2_PT_FIRMWARE_VERSION_1"));
  EXPECT_EQ(facts.firmware_version_2(),
            GetcapRaw(getcap, "TPM2_PT_FIRMWARE_VERSION_2"));
  // swtpm: "SW  " + " TPM" + NULs.
  EXPECT_EQ(facts.vendor(), "SW   TPM");
  EXPECT_EQ(facts.interface(), vtpm_attest::v1::TPM_INTERFACE_UNSPECIFIED);
  // swtpm_setup activates only sha256.
  EXPECT_THAT(facts.pcr_banks(),
              ::testing::ElementsAre(vtpm_attest::v1::HASH_ALGORITHM_SHA256));
}

TEST_F(AgentTpmTest, FactsListEveryAllocatedBank) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  ASSERT_OK(Tool({"tpm2_pcrallocate", "sha1:all+sha256:all"}));
  ASSERT_NO_FATAL_FAILURE(RestartTpm());
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  ASSERT_OK_AND_ASSIGN(auto facts, ReadTpmFacts(ctx));
  EXPECT_THAT(facts.pcr_banks(),
              ::testing::ElementsAre(vtpm_attest::v1::HASH_ALGORITHM_SHA1,
                                     vtpm_attest::v1::HASH_ALGORITHM_SHA256));
}

TEST(TpmContextOpenTest, MissingDeviceSaysSo) {
  auto ctx = TpmContext::Open("device:/nonexistent/tpmrm9");
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(ctx.status().message(), HasSubstr("/nonexistent/tpmrm9"));
  EXPECT_THAT(ctx.status().message(), HasSubstr("does not exist"));
}

TEST(TpmContextOpenTest, UnreadableDeviceSaysPermission) {
  if (geteuid() == 0) GTEST_SKIP() << "root can open any file";
  testing::TempDir dir;
  std::string dev = dir.Sub("tpm0");
  ASSERT_OK(testing::WriteFile(dev, ""));
  ASSERT_EQ(chmod(dev.c_str(), 0), 0);
  auto ctx = TpmContext::Open("device:" + dev);
  ASSERT_FALSE(ctx.ok());
  EXPECT_THAT(ctx.status().message(), HasSubstr("permission denied"));
}

TEST(TpmContextOpenTest, DefaultNamesBothDevicesWhenNoTpm) {
  if (access("/dev/tpmrm0", F_OK) == 0 || access("/dev/tpm0", F_OK) == 0) {
    GTEST_SKIP() << "this machine has a TPM";
  }
  auto ctx = TpmContext::Open("");
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(ctx.status().message(), HasSubstr("/dev/tpmrm0"));
  EXPECT_THAT(ctx.status().message(), HasSubstr("/dev/tpm0"));
  EXPECT_THAT(ctx.status().message(), HasSubstr("does not exist"));
}

// A TPM that nobody sent TPM2_Startup to (swtpm without startup-clear, as
// the firmware would find it): Open() starts it.
TEST(TpmContextOpenTest, StartsATpmThatWasNotStarted) {
  testing::TempDir dir;
  const std::string sock = dir.Sub("tpm.sock");
  ASSERT_OK_AND_ASSIGN(
      pid_t pid,
      testing::StartBackground(
          {"swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + dir.path(),
           "--server", "type=unixio,path=" + sock, "--ctrl",
           "type=unixio,path=" + sock + ".ctrl", "--flags", "not-need-init"},
          dir.Sub("swtpm.log")));
  for (int i = 0; i < 500 && (access(sock.c_str(), F_OK) != 0 ||
                              access((sock + ".ctrl").c_str(), F_OK) != 0);
       ++i) {
    usleep(10000);
  }
  {
    auto ctx = TpmContext::Open("swtpm:path=" + sock);
    ASSERT_TRUE(ctx.ok()) << ctx.status();
    auto facts = ReadTpmFacts(*ctx);
    ASSERT_TRUE(facts.ok()) << facts.status();
    EXPECT_EQ(facts->family(), "2.0");
  }
  testing::StopProcess(pid);
}

TEST(TpmContextOpenTest, NoSwtpmListening) {
  testing::TempDir dir;
  auto ctx = TpmContext::Open("swtpm:path=" + dir.Sub("nothing.sock"));
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(ctx.status().message(), HasSubstr("nothing.sock"));
}

TEST(RetryTpmTest, ResendsWhileTheTpmAsksForIt) {
  int calls = 0;
  absl::Status st = RetryTpm("cmd", [&]() -> TSS2_RC {
    ++calls;
    if (calls == 1) return TPM2_RC_RETRY;
    if (calls == 2) return TPM2_RC_TESTING;
    if (calls == 3) return TPM2_RC_YIELDED;
    return TSS2_RC_SUCCESS;
  });
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(calls, 4);
}

TEST(RetryTpmTest, GivesUpAfterBoundedAttempts) {
  int calls = 0;
  absl::Status st = RetryTpm("cmd", [&]() -> TSS2_RC {
    ++calls;
    return TPM2_RC_RETRY;
  });
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(st.message(), HasSubstr("cmd"));
  EXPECT_EQ(calls, 10);
}

TEST(RetryTpmTest, DoesNotResendOtherErrors) {
  int calls = 0;
  absl::Status st = RetryTpm("cmd", [&]() -> TSS2_RC {
    ++calls;
    return TPM2_RC_LOCKOUT;
  });
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(st.message(), HasSubstr("lockout"));
  EXPECT_EQ(calls, 1);
}

// Loads a transient object: a primary under the null hierarchy.
ESYS_TR LoadNullPrimary(TpmContext& ctx) {
  TPM2B_SENSITIVE_CREATE sensitive = {};
  TPM2B_PUBLIC tmpl = {};
  tmpl.publicArea.type = TPM2_ALG_ECC;
  tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
  tmpl.publicArea.objectAttributes =
      TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
      TPMA_OBJECT_SIGN_ENCRYPT;
  tmpl.publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
  tmpl.publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
  tmpl.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  tmpl.publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  TPM2B_DATA outside = {};
  TPML_PCR_SELECTION pcrs = {};
  ESYS_TR h = ESYS_TR_NONE;
  TSS2_RC rc = Esys_CreatePrimary(ctx.esys(), ESYS_TR_RH_NULL, ESYS_TR_PASSWORD,
                                  ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &tmpl,
                                  &outside, &pcrs, &h, nullptr, nullptr,
                                  nullptr, nullptr);
  EXPECT_EQ(rc, TSS2_RC_SUCCESS);
  return h;
}

TEST_F(AgentTpmTest, ScopedHandlesFlushTransientsEvenAfterTheirContext) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  ScopedHandle outlives;
  {
    ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
    ScopedHandle a(ctx, LoadNullPrimary(ctx), ScopedHandle::Kind::kFlush);
    ScopedHandle b(ctx, LoadNullPrimary(ctx), ScopedHandle::Kind::kFlush);
    ASSERT_OK_AND_ASSIGN(auto loaded, ListHandles(ctx, TPM2_TRANSIENT_FIRST,
                                                  TPM2_TRANSIENT_LAST));
    EXPECT_EQ(loaded.size(), 2u);
    a.reset();
    ASSERT_OK_AND_ASSIGN(
        loaded, ListHandles(ctx, TPM2_TRANSIENT_FIRST, TPM2_TRANSIENT_LAST));
    EXPECT_EQ(loaded.size(), 1u);
    // Moving the context keeps the handles valid.
    TpmContext moved = std::move(ctx);
    ScopedHandle c(moved, LoadNullPrimary(moved), ScopedHandle::Kind::kFlush);
    outlives = std::move(b);
    // `moved` is destroyed here while `outlives` and `c` hold objects.
  }
  EXPECT_TRUE(outlives.valid());
  outlives.reset();  // inert: the context already flushed it
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  ASSERT_OK_AND_ASSIGN(
      auto loaded, ListHandles(ctx, TPM2_TRANSIENT_FIRST, TPM2_TRANSIENT_LAST));
  EXPECT_TRUE(loaded.empty()) << loaded.size() << " transient objects left";
}

}  // namespace
}  // namespace vtpm::agent
