// Quote, ReadPcrs and ExtendPcr against real swtpm instances, checked with
// tpm2_checkquote and tpm2_pcrread; and the no-leaked-handles guarantee of
// a whole EK + AK + activation + quote cycle.
#include "agent/tpm/quote.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/rand.h>
#include <tss2/tss2_mu.h>

#include <cstring>

#include "agent/tpm/capability.h"
#include "agent/tpm/signature.h"
#include "common/hex.h"
#include "common/ossl.h"
#include "common/tpm_alg.h"
#include "common/tpm_public.h"
#include "tests/agent_tpm/agent_tpm_fixture.h"

namespace vtpm::agent {
namespace {

using ::testing::HasSubstr;
using ::vtpm::testing::ReadFile;
using ::vtpm::testing::RunCommand;
using ::vtpm::testing::RunOrError;
using ::vtpm::testing::WriteFile;

std::string RandomBytes(size_t n) {
  std::string s(n, '\0');
  EXPECT_EQ(RAND_bytes(reinterpret_cast<unsigned char*>(s.data()), n), 1);
  return s;
}

PcrSelection Sel(const std::string& text) {
  auto sel = ParsePcrSelection(text);
  EXPECT_TRUE(sel.ok()) << sel.status();
  return sel.value_or(PcrSelection{});
}

// The PCR file tpm2_quote -o writes and tpm2_checkquote -f reads
// ("serialized", tpm2-tools 5.x): the TPML_PCR_SELECTION struct as laid
// out in memory, a UINT32 count, then that many TPML_DIGEST structs of at
// most 8 digests, in selection order (little-endian host, as the tools).
std::string SerializePcrs(const PcrSelection& sel, const PcrValues& values) {
  TPML_PCR_SELECTION tpml = ToTpml(sel);
  std::vector<TPML_DIGEST> groups;
  for (const auto& bank : sel) {
    for (int p = 0; p < kMaxPcrs; ++p) {
      if (!bank.pcrs.test(p)) continue;
      if (groups.empty() || groups.back().count == 8) groups.push_back({});
      TPML_DIGEST& g = groups.back();
      const std::string& v = values.at(bank.hash).at(p);
      g.digests[g.count].size = v.size();
      memcpy(g.digests[g.count].buffer, v.data(), v.size());
      ++g.count;
    }
  }
  std::string out(reinterpret_cast<const char*>(&tpml), sizeof(tpml));
  uint32_t count = groups.size();
  out.append(reinterpret_cast<const char*>(&count), sizeof(count));
  for (const auto& g : groups) {
    out.append(reinterpret_cast<const char*>(&g), sizeof(g));
  }
  return out;
}

class QuoteTest : public AgentTpmTest {
 protected:
  // Writes ak.pem, quote.msg, quote.sig, pcrs.bin for tpm2_checkquote.
  void WriteCheckquoteFiles(const Ak& ak, const QuoteResult& q,
                            const PcrSelection& sel) {
    ASSERT_OK_AND_ASSIGN(EvpPkeyPtr key, PublicToEvp(ak.pub.publicArea));
    ASSERT_OK_AND_ASSIGN(std::string pem, PublicKeyToPem(key.get()));
    ASSERT_OK(WriteFile(dir_.Sub("ak.pem"), pem));
    ASSERT_OK(WriteFile(dir_.Sub("quote.msg"), q.attest));
    ASSERT_OK(WriteFile(dir_.Sub("quote.sig"), q.signature));
    ASSERT_OK(WriteFile(dir_.Sub("pcrs.bin"), SerializePcrs(sel, q.pcrs)));
  }
  absl::StatusOr<testing::CommandResult> Checkquote(const std::string& nonce) {
    return RunCommand({"tpm2_checkquote", "-u", dir_.Sub("ak.pem"), "-m",
                       dir_.Sub("quote.msg"), "-s", dir_.Sub("quote.sig"), "-f",
                       dir_.Sub("pcrs.bin"), "-g", "sha256", "-q",
                       HexEncode(nonce)});
  }
  // Opens the TPM, loads EK and AK.
  void Load(AkAlgorithm alg, EkAlgorithm ek_alg = EkAlgorithm::kAuto) {
    ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
    ctx_ = std::make_unique<TpmContext>(std::move(ctx));
    ASSERT_OK_AND_ASSIGN(Ek ek, LoadEk(*ctx_, ek_alg));
    ek_ = std::make_unique<Ek>(std::move(ek));
    ASSERT_OK_AND_ASSIGN(Ak ak,
                         LoadOrCreateAk(*ctx_, *ek_, dir_.Sub("state"), alg));
    ak_ = std::make_unique<Ak>(std::move(ak));
  }
  void Close() {
    ak_.reset();
    ek_.reset();
    ctx_.reset();
  }

  std::unique_ptr<TpmContext> ctx_;
  std::unique_ptr<Ek> ek_;
  std::unique_ptr<Ak> ak_;
};

class QuoteAlgTest : public QuoteTest,
                     public ::testing::WithParamInterface<AkAlgorithm> {};

TEST_P(QuoteAlgTest, PassesTpm2Checkquote) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  ASSERT_NO_FATAL_FAILURE(Load(GetParam()));
  const PcrSelection sel = Sel("sha256:0-23");
  const std::string nonce = RandomBytes(32);
  ASSERT_OK_AND_ASSIGN(QuoteResult q, Quote(*ctx_, *ak_, nonce, sel));
  ASSERT_EQ(q.pcrs.size(), 1u);
  EXPECT_EQ(q.pcrs.at(TPM2_ALG_SHA256).size(), 24u);
  TPMT_SIGNATURE sig = {};
  size_t offset = 0;
  ASSERT_EQ(Tss2_MU_TPMT_SIGNATURE_Unmarshal(
                reinterpret_cast<const uint8_t*>(q.signature.data()),
                q.signature.size(), &offset, &sig),
            TSS2_RC_SUCCESS);
  EXPECT_EQ(offset, q.signature.size());
  EXPECT_EQ(sig.sigAlg, GetParam() == AkAlgorithm::kEccP256 ? TPM2_ALG_ECDSA
                                                            : TPM2_ALG_RSASSA);
  // The self-check's verifier accepts this signature and rejects it over
  // a changed message.
  EXPECT_TRUE(VerifyTpmSignature(ak_->pub.publicArea, q.attest, sig).ok());
  std::string changed = q.attest;
  changed.back() ^= 1;
  EXPECT_EQ(VerifyTpmSignature(ak_->pub.publicArea, changed, sig).code(),
            absl::StatusCode::kFailedPrecondition);

  ASSERT_NO_FATAL_FAILURE(WriteCheckquoteFiles(*ak_, q, sel));
  ASSERT_OK_AND_ASSIGN(auto good, Checkquote(nonce));
  EXPECT_EQ(good.exit_code, 0) << good.output;

  // tpm2_checkquote rejects another nonce and other PCR values: the
  // check above is not vacuous.
  std::string other_nonce = nonce;
  other_nonce[0] ^= 1;
  ASSERT_OK_AND_ASSIGN(auto bad_nonce, Checkquote(other_nonce));
  EXPECT_NE(bad_nonce.exit_code, 0);
  PcrValues tampered = q.pcrs;
  tampered[TPM2_ALG_SHA256][7][0] ^= 1;
  ASSERT_OK(WriteFile(dir_.Sub("pcrs.bin"), SerializePcrs(sel, tampered)));
  ASSERT_OK_AND_ASSIGN(auto bad_pcrs, Checkquote(nonce));
  EXPECT_NE(bad_pcrs.exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, QuoteAlgTest,
                         ::testing::Values(AkAlgorithm::kEccP256,
                                           AkAlgorithm::kRsa2048),
                         [](const auto& info) {
                           return std::string(AkAlgorithmName(info.param));
                         });

// Two banks of 24 PCRs: 48 values, at most 8 per TPM2_PCR_Read.
TEST_F(QuoteTest, FortyEightPcrsAcrossTwoBanks) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  ASSERT_OK(Tool({"tpm2_pcrallocate", "sha1:all+sha256:all"}));
  ASSERT_NO_FATAL_FAILURE(RestartTpm());
  ASSERT_NO_FATAL_FAILURE(Load(AkAlgorithm::kEccP256));
  // Make the values distinct so that a misplaced one would show.
  for (uint32_t p : {0u, 7u, 8u, 15u, 16u, 23u}) {
    ASSERT_OK_AND_ASSIGN(std::string d1,
                         Hash(TPM2_ALG_SHA1, "x" + std::to_string(p)));
    ASSERT_OK(ExtendPcr(*ctx_, p, TPM2_ALG_SHA1, d1));
    ASSERT_OK_AND_ASSIGN(std::string d2,
                         Hash(TPM2_ALG_SHA256, "y" + std::to_string(p)));
    ASSERT_OK(ExtendPcr(*ctx_, p, TPM2_ALG_SHA256, d2));
  }
  const PcrSelection sel = Sel("sha1:0-23+sha256:0-23");
  const std::string nonce = RandomBytes(20);
  ASSERT_OK_AND_ASSIGN(QuoteResult q, Quote(*ctx_, *ak_, nonce, sel));
  ASSERT_EQ(q.pcrs.at(TPM2_ALG_SHA1).size(), 24u);
  ASSERT_EQ(q.pcrs.at(TPM2_ALG_SHA256).size(), 24u);
  ASSERT_NO_FATAL_FAILURE(WriteCheckquoteFiles(*ak_, q, sel));
  Close();

  ASSERT_OK_AND_ASSIGN(auto check, Checkquote(nonce));
  EXPECT_EQ(check.exit_code, 0) << check.output;
  // tpm2_pcrread -o writes the values back to back in selection order.
  ASSERT_OK(Tool(
      {"tpm2_pcrread", "sha1:all+sha256:all", "-o", dir_.Sub("pcrread.bin")}));
  ASSERT_OK_AND_ASSIGN(std::string tools_values,
                       ReadFile(dir_.Sub("pcrread.bin")));
  std::string ours;
  for (const auto& bank : sel) {
    for (const auto& [pcr, value] : q.pcrs.at(bank.hash)) ours += value;
  }
  EXPECT_EQ(HexEncode(ours), HexEncode(tools_values));
}

TEST_F(QuoteTest, ExtendPcrChangesTheValueRead) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  const PcrSelection sel = Sel("sha256:16,23");
  ASSERT_OK_AND_ASSIGN(PcrValues before, ReadPcrs(ctx, sel));
  ASSERT_OK_AND_ASSIGN(std::string d, Hash(TPM2_ALG_SHA256, "event"));
  ASSERT_OK(ExtendPcr(ctx, 16, TPM2_ALG_SHA256, d));
  ASSERT_OK_AND_ASSIGN(PcrValues after, ReadPcrs(ctx, sel));
  ASSERT_OK_AND_ASSIGN(
      std::string expected,
      Hash(TPM2_ALG_SHA256, before.at(TPM2_ALG_SHA256).at(16) + d));
  EXPECT_EQ(HexEncode(after.at(TPM2_ALG_SHA256).at(16)), HexEncode(expected));
  EXPECT_EQ(after.at(TPM2_ALG_SHA256).at(23),
            before.at(TPM2_ALG_SHA256).at(23));

  EXPECT_EQ(ExtendPcr(ctx, 16, TPM2_ALG_SHA256, "short").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ExtendPcr(ctx, 24, TPM2_ALG_SHA256, d).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(QuoteTest, ReadPcrsRejectsUnallocatedBankAndBadSelections) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  ASSERT_OK_AND_ASSIGN(TpmContext ctx, Open());
  auto unallocated = ReadPcrs(ctx, Sel("sha256:0+sha384:0-3"));
  EXPECT_EQ(unallocated.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(unallocated.status().message(), HasSubstr("sha384:0-3"));
  EXPECT_EQ(ReadPcrs(ctx, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  PcrSelection twice = Sel("sha256:0");
  twice.push_back(twice[0]);
  EXPECT_EQ(ReadPcrs(ctx, twice).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(QuoteTest, QuoteOfUnallocatedBankFails) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  ASSERT_NO_FATAL_FAILURE(Load(AkAlgorithm::kEccP256));
  auto q = Quote(*ctx_, *ak_, "nonce", Sel("sha1:0-7"));
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(QuoteTest, RejectsOverlongNonce) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  ASSERT_NO_FATAL_FAILURE(Load(AkAlgorithm::kEccP256));
  EXPECT_TRUE(Quote(*ctx_, *ak_, std::string(64, 'n'), Sel("sha256:0")).ok());
  auto q = Quote(*ctx_, *ak_, std::string(65, 'n'), Sel("sha256:0"));
  EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(QuoteTest, RetriesWhenPcrsChangeBetweenQuoteAndRead) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  ASSERT_NO_FATAL_FAILURE(Load(AkAlgorithm::kEccP256));
  ASSERT_OK_AND_ASSIGN(std::string d, Hash(TPM2_ALG_SHA256, "racing event"));
  int calls = 0;
  QuoteOptions once;
  once.after_quote_for_testing = [&](TpmContext& ctx) {
    if (++calls == 1) ASSERT_OK(ExtendPcr(ctx, 16, TPM2_ALG_SHA256, d));
  };
  const PcrSelection sel = Sel("sha256:0-23");
  ASSERT_OK_AND_ASSIGN(QuoteResult q, Quote(*ctx_, *ak_, "n1", sel, once));
  EXPECT_EQ(calls, 2);
  ASSERT_OK_AND_ASSIGN(PcrValues now, ReadPcrs(*ctx_, sel));
  EXPECT_EQ(q.pcrs, now);

  calls = 0;
  QuoteOptions always;
  always.after_quote_for_testing = [&](TpmContext& ctx) {
    ++calls;
    ASSERT_OK(ExtendPcr(ctx, 16, TPM2_ALG_SHA256, d));
  };
  auto racing = Quote(*ctx_, *ak_, "n2", sel, always);
  ASSERT_FALSE(racing.ok());
  EXPECT_EQ(racing.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(racing.status().message(), HasSubstr("kept changing"));
  EXPECT_EQ(calls, 3);
}

// Loaded transient objects and sessions (loaded or saved).
void CountHandles(TpmContext& ctx, size_t* transients, size_t* sessions) {
  ASSERT_OK_AND_ASSIGN(
      auto t, ListHandles(ctx, TPM2_TRANSIENT_FIRST, TPM2_TRANSIENT_LAST));
  ASSERT_OK_AND_ASSIGN(auto loaded, ListHandles(ctx, TPM2_LOADED_SESSION_FIRST,
                                                TPM2_LOADED_SESSION_LAST));
  ASSERT_OK_AND_ASSIGN(auto saved, ListHandles(ctx, TPM2_ACTIVE_SESSION_FIRST,
                                               TPM2_ACTIVE_SESSION_LAST));
  *transients = t.size();
  *sessions = loaded.size() + saved.size();
}

class LeakTest : public QuoteTest,
                 public ::testing::WithParamInterface<EkAlgorithm> {};

TEST_P(LeakTest, FullCycleLeavesNoHandles) {
  ASSERT_NO_FATAL_FAILURE(StartTpm());
  ASSERT_NO_FATAL_FAILURE(Load(AkAlgorithm::kEccP256, GetParam()));
  // Activation with a credential made by tpm2_makecredential.
  ASSERT_OK_AND_ASSIGN(std::string ek_pub, MarshalPublic(ek_->pub));
  ASSERT_OK(WriteFile(dir_.Sub("ek.pub"), ek_pub));
  ASSERT_OK(WriteFile(dir_.Sub("secret"), "attestation secret"));
  ASSERT_OK(RunOrError({"tpm2_makecredential", "-T", "none", "-e",
                        dir_.Sub("ek.pub"), "-s", dir_.Sub("secret"), "-n",
                        HexEncode(ak_->name), "-o", dir_.Sub("cred")}));
  ASSERT_OK_AND_ASSIGN(std::string cred, ReadFile(dir_.Sub("cred")));
  std::string rest = cred.substr(8);
  TPM2B_ID_OBJECT id = {};
  size_t offset = 0;
  ASSERT_EQ(Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(
                reinterpret_cast<const uint8_t*>(rest.data()), rest.size(),
                &offset, &id),
            TSS2_RC_SUCCESS);
  ASSERT_OK_AND_ASSIGN(
      std::string secret,
      ActivateCredential(*ctx_, *ek_, *ak_, rest.substr(0, offset),
                         rest.substr(offset)));
  EXPECT_EQ(secret, "attestation secret");
  ASSERT_OK(Quote(*ctx_, *ak_, "nonce", Sel("sha256:0-23")));

  // While EK and AK are held: the AK, plus the EK when it was created
  // from a template; never a session.
  size_t transients = 0, sessions = 0;
  ASSERT_NO_FATAL_FAILURE(CountHandles(*ctx_, &transients, &sessions));
  EXPECT_EQ(transients, ek_->persistent_handle != 0 ? 1u : 2u);
  EXPECT_EQ(sessions, 0u);

  ak_.reset();
  ek_.reset();
  ASSERT_NO_FATAL_FAILURE(CountHandles(*ctx_, &transients, &sessions));
  EXPECT_EQ(transients, 0u);
  EXPECT_EQ(sessions, 0u);

  // And the same through another connection, with tpm2-tools.
  Close();
  ASSERT_OK_AND_ASSIGN(std::string out,
                       Tool({"tpm2_getcap", "handles-transient"}));
  EXPECT_EQ(out, "");
  ASSERT_OK_AND_ASSIGN(out, Tool({"tpm2_getcap", "handles-loaded-session"}));
  EXPECT_EQ(out, "");
}

INSTANTIATE_TEST_SUITE_P(EkAlgorithms, LeakTest,
                         ::testing::Values(EkAlgorithm::kRsa2048,
                                           EkAlgorithm::kEccP384,
                                           EkAlgorithm::kEccP256),
                         [](const auto& info) {
                           return std::string(EkAlgorithmName(info.param));
                         });

}  // namespace
}  // namespace vtpm::agent
