// LoadOrCreateAk and ActivateCredential against real swtpm instances, with
// tpm2_readpublic and tpm2_makecredential as second opinions.
#include "agent/tpm/ak.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <tss2/tss2_mu.h>

#include "absl/strings/str_format.h"
#include "agent/tpm/ak_store.h"
#include "common/hex.h"
#include "common/tpm_public.h"
#include "tests/agent_tpm/agent_tpm_fixture.h"

namespace vtpm::agent {
namespace {

using ::testing::HasSubstr;
using ::vtpm::testing::ReadFile;
using ::vtpm::testing::RunOrError;
using ::vtpm::testing::WriteFile;

mode_t ModeOf(const std::string& path) {
  struct stat st = {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

class AkTest : public AgentTpmTest,
               public ::testing::WithParamInterface<AkAlgorithm> {};

TEST_P(AkTest, CreatedSavedAndReloadedAcrossContexts) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  const std::string state = dir_.Sub("state/agent");
  std::string name, pub;
  {
    ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
    ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, EkAlgorithm::kAuto));
    ASSERT_OK_AND_ASSIGN(Ak ak, LoadOrCreateAk(ctx, ek, state, GetParam()));
    EXPECT_TRUE(ak.created);
    EXPECT_TRUE(ak.recreated_because.empty()) << ak.recreated_because;
    EXPECT_TRUE(ak.handle.valid());
    const TPMT_PUBLIC& p = ak.pub.publicArea;
    EXPECT_EQ(p.type, GetParam() == AkAlgorithm::kEccP256 ? TPM2_ALG_ECC
                                                          : TPM2_ALG_RSA);
    EXPECT_EQ(p.nameAlg, TPM2_ALG_SHA256);
    EXPECT_EQ(p.objectAttributes,
              TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                  TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                  TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT);
    ASSERT_OK_AND_ASSIGN(std::string computed, ComputeName(p));
    EXPECT_EQ(ak.name, computed);
    name = ak.name;
    ASSERT_OK_AND_ASSIGN(pub, MarshalPublic(ak.pub));
  }
  EXPECT_EQ(ModeOf(state), 0700u);
  for (const char* f : {kAkPubFile, kAkPrivFile, kAkEkNameFile}) {
    EXPECT_EQ(ModeOf(state + "/" + f), 0600u) << f;
  }
  ASSERT_OK_AND_ASSIGN(std::string saved_pub, ReadFile(state + "/ak.pub"));
  EXPECT_EQ(saved_pub, pub);
  {
    ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
    ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, EkAlgorithm::kAuto));
    ASSERT_OK_AND_ASSIGN(Ak ak, LoadOrCreateAk(ctx, ek, state, GetParam()));
    EXPECT_FALSE(ak.created);
    EXPECT_EQ(ak.name, name);
  }
}

TEST_P(AkTest, NameEqualsWhatTpm2ReadpublicSays) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  std::string name;
  uint32_t tpm_handle = 0;
  {
    ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
    ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, EkAlgorithm::kEccP384));
    ASSERT_OK_AND_ASSIGN(
        Ak ak, LoadOrCreateAk(ctx, ek, dir_.Sub("state"), GetParam()));
    name = ak.name;
    TPM2_HANDLE h = 0;
    ASSERT_EQ(Esys_TR_GetTpmHandle(ctx.esys(), ak.handle.get(), &h),
              TSS2_RC_SUCCESS);
    tpm_handle = h;
    // Leave the AK loaded for tpm2-tools.
    ak.handle.release();
  }
  const std::string h = absl::StrFormat("0x%08x", tpm_handle);
  ASSERT_OK(Tool({"tpm2_readpublic", "-c", h, "-n", dir_.Sub("ak.name")}));
  ASSERT_OK(Tool({"tpm2_flushcontext", h}));
  ASSERT_OK_AND_ASSIGN(std::string tools_name, ReadFile(dir_.Sub("ak.name")));
  EXPECT_EQ(HexEncode(name), HexEncode(tools_name));
}

TEST_P(AkTest, AkOfAnotherEkIsReplaced) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  const std::string state = dir_.Sub("state");
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  std::string first_name;
  {
    ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, EkAlgorithm::kRsa2048));
    ASSERT_OK_AND_ASSIGN(Ak ak, LoadOrCreateAk(ctx, ek, state, GetParam()));
    first_name = ak.name;
  }
  ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, EkAlgorithm::kEccP384));
  ASSERT_OK_AND_ASSIGN(Ak ak, LoadOrCreateAk(ctx, ek, state, GetParam()));
  EXPECT_TRUE(ak.created);
  EXPECT_THAT(ak.recreated_because, HasSubstr("another EK"));
  EXPECT_NE(ak.name, first_name);
  ASSERT_OK_AND_ASSIGN(std::string ek_name_hex,
                       ReadFile(state + "/" + kAkEkNameFile));
  EXPECT_EQ(ek_name_hex, HexEncode(ek.name) + "\n");
}

TEST_P(AkTest, TamperedPrivateBlobIsReplaced) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  const std::string state = dir_.Sub("state");
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, EkAlgorithm::kAuto));
  std::string first_name;
  {
    ASSERT_OK_AND_ASSIGN(Ak ak, LoadOrCreateAk(ctx, ek, state, GetParam()));
    first_name = ak.name;
  }
  ASSERT_OK_AND_ASSIGN(std::string priv, ReadFile(state + "/ak.priv"));
  priv[priv.size() / 2] ^= 0x01;
  ASSERT_OK(WriteFile(state + "/ak.priv", priv));
  ASSERT_OK_AND_ASSIGN(Ak ak, LoadOrCreateAk(ctx, ek, state, GetParam()));
  EXPECT_TRUE(ak.created);
  EXPECT_THAT(ak.recreated_because, HasSubstr("did not load"));
  EXPECT_NE(ak.name, first_name);
}

TEST_P(AkTest, OtherAlgorithmIsReplaced) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  const std::string state = dir_.Sub("state");
  const AkAlgorithm other = GetParam() == AkAlgorithm::kEccP256
                                ? AkAlgorithm::kRsa2048
                                : AkAlgorithm::kEccP256;
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, EkAlgorithm::kAuto));
  { ASSERT_OK(LoadOrCreateAk(ctx, ek, state, other)); }
  ASSERT_OK_AND_ASSIGN(Ak ak, LoadOrCreateAk(ctx, ek, state, GetParam()));
  EXPECT_TRUE(ak.created);
  EXPECT_THAT(ak.recreated_because, HasSubstr(AkAlgorithmName(GetParam())));
}

INSTANTIATE_TEST_SUITE_P(Algorithms, AkTest,
                         ::testing::Values(AkAlgorithm::kEccP256,
                                           AkAlgorithm::kRsa2048),
                         [](const auto& info) {
                           return std::string(AkAlgorithmName(info.param));
                         });

// A credential from tpm2_makecredential (offline, -T none), split into the
// TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET it holds after its header.
struct Credential {
  std::string blob;
  std::string secret;
};

class ActivateTest : public AgentTpmTest,
                     public ::testing::WithParamInterface<EkAlgorithm> {
 protected:
  void MakeCredential(const Ek& ek, const std::string& name,
                      const std::string& secret, Credential* out) {
    ASSERT_OK_AND_ASSIGN(std::string ek_pub, MarshalPublic(ek.pub));
    ASSERT_OK(WriteFile(dir_.Sub("ek.pub"), ek_pub));
    ASSERT_OK(WriteFile(dir_.Sub("secret.bin"), secret));
    ASSERT_OK(RunOrError({"tpm2_makecredential", "-T", "none", "-e",
                          dir_.Sub("ek.pub"), "-s", dir_.Sub("secret.bin"),
                          "-n", HexEncode(name), "-o", dir_.Sub("cred.bin")}));
    ASSERT_OK_AND_ASSIGN(std::string file, ReadFile(dir_.Sub("cred.bin")));
    // Header: magic 0xBADCC0DE, version 1 (big-endian UINT32s).
    ASSERT_GT(file.size(), 8u);
    ASSERT_EQ(HexEncode(file.substr(0, 8)), "badcc0de00000001");
    std::string rest = file.substr(8);
    TPM2B_ID_OBJECT id = {};
    size_t offset = 0;
    ASSERT_EQ(Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(
                  reinterpret_cast<const uint8_t*>(rest.data()), rest.size(),
                  &offset, &id),
              TSS2_RC_SUCCESS);
    out->blob = rest.substr(0, offset);
    out->secret = rest.substr(offset);
  }
};

TEST_P(ActivateTest, ReleasesTheSecretForTheRightName) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, GetParam()));
  ASSERT_OK_AND_ASSIGN(
      Ak ak, LoadOrCreateAk(ctx, ek, dir_.Sub("state"), AkAlgorithm::kEccP256));
  const std::string secret = "0123456789abcdef0123456789abcdef";
  Credential cred;
  ASSERT_NO_FATAL_FAILURE(MakeCredential(ek, ak.name, secret, &cred));
  ASSERT_OK_AND_ASSIGN(std::string released,
                       ActivateCredential(ctx, ek, ak, cred.blob, cred.secret));
  EXPECT_EQ(released, secret);
  // And again: the policy session is per use.
  ASSERT_OK_AND_ASSIGN(released,
                       ActivateCredential(ctx, ek, ak, cred.blob, cred.secret));
  EXPECT_EQ(released, secret);
}

TEST_P(ActivateTest, RefusesACredentialForAnotherName) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, GetParam()));
  ASSERT_OK_AND_ASSIGN(
      Ak ak, LoadOrCreateAk(ctx, ek, dir_.Sub("state"), AkAlgorithm::kEccP256));
  std::string other_name = ak.name;
  other_name.back() ^= 0x01;
  Credential cred;
  ASSERT_NO_FATAL_FAILURE(
      MakeCredential(ek, other_name, "0123456789abcdef", &cred));
  auto released = ActivateCredential(ctx, ek, ak, cred.blob, cred.secret);
  ASSERT_FALSE(released.ok());
  EXPECT_EQ(released.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(released.status().message(), HasSubstr("not made for this"));
}

TEST_P(ActivateTest, RejectsMalformedInput) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(ctx, GetParam()));
  ASSERT_OK_AND_ASSIGN(
      Ak ak, LoadOrCreateAk(ctx, ek, dir_.Sub("state"), AkAlgorithm::kEccP256));
  Credential cred;
  ASSERT_NO_FATAL_FAILURE(
      MakeCredential(ek, ak.name, "0123456789abcdef", &cred));
  auto trailing = ActivateCredential(ctx, ek, ak, cred.blob + "x", cred.secret);
  EXPECT_EQ(trailing.status().code(), absl::StatusCode::kInvalidArgument);
  auto truncated = ActivateCredential(
      ctx, ek, ak, cred.blob, cred.secret.substr(0, cred.secret.size() - 1));
  EXPECT_EQ(truncated.status().code(), absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(EkAlgorithms, ActivateTest,
                         // swtpm has no P-256 EK: that one is created
                         // from the L-2 template (a transient EK).
                         ::testing::Values(EkAlgorithm::kRsa2048,
                                           EkAlgorithm::kEccP384,
                                           EkAlgorithm::kEccP256),
                         [](const auto& info) {
                           return std::string(EkAlgorithmName(info.param));
                         });

}  // namespace
}  // namespace vtpm::agent
