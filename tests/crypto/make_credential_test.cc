// MakeCredential against a real TPM: challenges made in software must be
// released by swtpm's TPM2_ActivateCredential (driven by tpm2-tools) to the
// named AK only, must be refused when tampered with, and must have the
// shape of tpm2_makecredential's own output. Each test has its own
// directory, CA and swtpm, so tests run in parallel.
#include "common/crypto/make_credential.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/rand.h>
#include <tss2/tss2_mu.h>

#include <filesystem>
#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/hex.h"
#include "common/tpm_alg.h"
#include "tests/crypto/credential_tools.h"
#include "tests/harness/swtpm.h"

namespace vtpm {
namespace {

using ::testing::HasSubstr;
using ::vtpm::testing::Activation;
using ::vtpm::testing::CredentialTools;
using ::vtpm::testing::ReadFile;
using ::vtpm::testing::ToolsAk;
using ::vtpm::testing::ToolsEk;
using ::vtpm::testing::WriteFile;

// The TPM's message when the outer HMAC does not verify (TPM_RC_INTEGRITY).
constexpr char kIntegrityFailure[] = "integrity check failed";

struct EkCase {
  const char* test_name;
  const char* persistent_handle;  // EK made by swtpm_setup, or
  const char* createek_alg;       // EK made by tpm2_createek -G
  // What the EK must be, so each case covers what its name says.
  TPMI_ALG_PUBLIC type;
  TPMI_ALG_HASH name_alg;
  uint16_t key_bits;  // RSA modulus bits
  TPMI_ECC_CURVE curve;
  uint16_t aes_bits;
};

void PrintTo(const EkCase& c, std::ostream* os) { *os << c.test_name; }

const EkCase kEks[] = {
    {"Rsa2048Persistent", "0x81010001", nullptr, TPM2_ALG_RSA, TPM2_ALG_SHA256,
     2048, 0, 128},
    {"EccP384Persistent", "0x81010016", nullptr, TPM2_ALG_ECC, TPM2_ALG_SHA384,
     0, TPM2_ECC_NIST_P384, 256},
    {"EccP256", nullptr, "ecc256", TPM2_ALG_ECC, TPM2_ALG_SHA256, 0,
     TPM2_ECC_NIST_P256, 128},
    {"EccP521", nullptr, "ecc521", TPM2_ALG_ECC, TPM2_ALG_SHA512, 0,
     TPM2_ECC_NIST_P521, 256},
    {"Rsa3072", nullptr, "rsa3072", TPM2_ALG_RSA, TPM2_ALG_SHA384, 3072, 0,
     256},
};

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  EXPECT_EQ(RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                       static_cast<int>(n)),
            1);
  return out;
}

// The ephemeral point inside an ECC TPM2B_ENCRYPTED_SECRET.
absl::StatusOr<TPMS_ECC_POINT> ParseEccSecret(const std::string& secret) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(secret.data());
  size_t offset = 0;
  TPM2B_ENCRYPTED_SECRET outer = {};
  if (Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(bytes, secret.size(), &offset,
                                               &outer) != TSS2_RC_SUCCESS ||
      offset != secret.size()) {
    return absl::InvalidArgumentError("not a TPM2B_ENCRYPTED_SECRET");
  }
  TPMS_ECC_POINT point = {};
  offset = 0;
  if (Tss2_MU_TPMS_ECC_POINT_Unmarshal(outer.secret, outer.size, &offset,
                                       &point) != TSS2_RC_SUCCESS ||
      offset != outer.size) {
    return absl::InvalidArgumentError("secret is not a TPMS_ECC_POINT");
  }
  return point;
}

class MakeCredentialTpmTest : public ::testing::TestWithParam<EkCase> {
 protected:
  void SetUp() override {
    auto ca = testing::TestCa::Create(dir_.path());
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    auto tpm = testing::Swtpm::Start(dir_.Sub("tpm"), *ca_);
    ASSERT_TRUE(tpm.ok()) << tpm.status();
    tpm_ = std::move(*tpm);
    std::filesystem::create_directories(dir_.Sub("work"));
    tools_ = std::make_unique<CredentialTools>(*tpm_, dir_.Sub("work"));

    const EkCase& c = GetParam();
    auto ek = c.persistent_handle != nullptr
                  ? tools_->PersistentEk(c.persistent_handle)
                  : tools_->CreateEk(c.createek_alg);
    ASSERT_TRUE(ek.ok()) << ek.status();
    ek_ = *ek;
    ASSERT_EQ(ek_.pub.type, c.type);
    ASSERT_EQ(ek_.pub.nameAlg, c.name_alg);
    ASSERT_EQ(ek_.pub.parameters.asymDetail.symmetric.keyBits.aes, c.aes_bits);
    if (c.type == TPM2_ALG_RSA) {
      ASSERT_EQ(ek_.pub.parameters.rsaDetail.keyBits, c.key_bits);
    } else {
      ASSERT_EQ(ek_.pub.parameters.eccDetail.curveID, c.curve);
    }
    auto ak = tools_->CreateAk(ek_, "ak");
    ASSERT_TRUE(ak.ok()) << ak.status();
    ak_ = *ak;
  }

  size_t DigestBytes() const { return DigestSize(ek_.pub.nameAlg); }

  // Writes `challenge` as a tpm2-tools credential file and activates it.
  Activation Activate(const CredentialChallenge& challenge, const ToolsAk& ak) {
    const std::string path =
        tools_->Path(absl::StrCat("cred", ++files_, ".bin"));
    EXPECT_TRUE(
        WriteFile(path, testing::ToToolsCredentialFile(challenge)).ok());
    auto activation = tools_->Activate(ek_, ak, path);
    EXPECT_TRUE(activation.ok()) << activation.status();
    return activation.value_or(Activation{});
  }

  // Proves the setup releases a correct challenge, so that refusals seen
  // in the same test are due to what the test changed.
  void ExpectCorrectChallengeReleased() {
    const std::string secret = RandomBytes(DigestBytes());
    auto challenge = MakeCredential(ek_.pub, ak_.name, secret);
    ASSERT_TRUE(challenge.ok()) << challenge.status();
    Activation a = Activate(*challenge, ak_);
    ASSERT_TRUE(a.ok) << a.output;
    EXPECT_EQ(HexEncode(a.secret), HexEncode(secret));
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::TestCa> ca_;
  std::unique_ptr<testing::Swtpm> tpm_;
  std::unique_ptr<CredentialTools> tools_;
  ToolsEk ek_;
  ToolsAk ak_;
  int files_ = 0;
};

TEST_P(MakeCredentialTpmTest, TpmReleasesExactlyTheSecret) {
  for (size_t size : {DigestBytes(), size_t{1}, size_t{16}}) {
    SCOPED_TRACE(absl::StrCat(size, "-byte credential"));
    const std::string secret = RandomBytes(size);
    auto challenge = MakeCredential(ek_.pub, ak_.name, secret);
    ASSERT_TRUE(challenge.ok()) << challenge.status();
    Activation a = Activate(*challenge, ak_);
    ASSERT_TRUE(a.ok) << a.output;
    EXPECT_EQ(HexEncode(a.secret), HexEncode(secret));
  }
}

TEST_P(MakeCredentialTpmTest, CredentialForAnotherNameIsRefused) {
  const std::string secret = RandomBytes(DigestBytes());
  // The AK's name with its last byte flipped.
  std::string wrong_name = ak_.name;
  wrong_name.back() ^= 0x01;
  auto flipped = MakeCredential(ek_.pub, wrong_name, secret);
  ASSERT_TRUE(flipped.ok()) << flipped.status();
  Activation a = Activate(*flipped, ak_);
  EXPECT_FALSE(a.ok);
  EXPECT_THAT(a.output, HasSubstr(kIntegrityFailure));

  // A credential for a second, real AK under the same EK, offered with the
  // first AK.
  auto other_ak = tools_->CreateAk(ek_, "other-ak");
  ASSERT_TRUE(other_ak.ok()) << other_ak.status();
  ASSERT_NE(other_ak->name, ak_.name);
  auto for_other = MakeCredential(ek_.pub, other_ak->name, secret);
  ASSERT_TRUE(for_other.ok()) << for_other.status();
  a = Activate(*for_other, ak_);
  EXPECT_FALSE(a.ok);
  EXPECT_THAT(a.output, HasSubstr(kIntegrityFailure));
  // ... which its own AK does release.
  a = Activate(*for_other, *other_ak);
  ASSERT_TRUE(a.ok) << a.output;
  EXPECT_EQ(a.secret, secret);

  ExpectCorrectChallengeReleased();
}

TEST_P(MakeCredentialTpmTest, TamperedChallengeIsRefused) {
  const std::string secret = RandomBytes(DigestBytes());
  auto challenge = MakeCredential(ek_.pub, ak_.name, secret);
  ASSERT_TRUE(challenge.ok()) << challenge.status();
  const size_t blob_size = challenge->credential_blob.size();
  // credential_blob = size(2) || hmac size(2) || outer HMAC || encIdentity.
  struct Flip {
    const char* what;
    bool in_blob;
    size_t offset;
  };
  const Flip flips[] = {
      {"first byte of the outer HMAC", true, 4},
      {"last byte of the outer HMAC", true, 3 + DigestBytes()},
      {"first byte of encIdentity", true, 4 + DigestBytes()},
      {"last byte of encIdentity", true, blob_size - 1},
      // RSA: inside the OAEP ciphertext; ECC: inside the ephemeral x.
      {"inside the encrypted seed", false, 10},
      {"last byte of the encrypted seed", false,
       challenge->encrypted_secret.size() - 1},
  };
  for (const Flip& flip : flips) {
    SCOPED_TRACE(flip.what);
    CredentialChallenge tampered = *challenge;
    std::string& target =
        flip.in_blob ? tampered.credential_blob : tampered.encrypted_secret;
    ASSERT_LT(flip.offset, target.size());
    target[flip.offset] ^= 0x40;
    Activation a = Activate(tampered, ak_);
    EXPECT_FALSE(a.ok) << "released " << HexEncode(a.secret);
    EXPECT_NE(a.secret, secret);
    // A wrong seed also ends in the HMAC check or an earlier failure
    // (OAEP decoding, point not on the curve); the ID object flips must
    // fail precisely there.
    if (flip.in_blob) {
      EXPECT_THAT(a.output, HasSubstr(kIntegrityFailure));
    }
  }
  // The untouched challenge still works.
  Activation a = Activate(*challenge, ak_);
  ASSERT_TRUE(a.ok) << a.output;
  EXPECT_EQ(a.secret, secret);
}

TEST_P(MakeCredentialTpmTest, SameShapeAsTpm2MakeCredential) {
  const std::string secret = RandomBytes(DigestBytes());
  const std::string secret_path = tools_->Path("secret.in");
  const std::string tools_cred = tools_->Path("tools.cred");
  ASSERT_TRUE(WriteFile(secret_path, secret).ok());
  auto made = tools_->Tool({"tpm2_makecredential", "-T", "none", "-e",
                            ek_.pub_path, "-s", secret_path, "-n",
                            HexEncode(ak_.name), "-o", tools_cred});
  ASSERT_TRUE(made.ok()) << made.status();
  auto file = ReadFile(tools_cred);
  ASSERT_TRUE(file.ok());
  // Checks magic, version, both TPM2Bs and the absence of trailing bytes.
  auto theirs = testing::ParseToolsCredentialFile(*file);
  ASSERT_TRUE(theirs.ok()) << theirs.status();

  auto ours = MakeCredential(ek_.pub, ak_.name, secret);
  ASSERT_TRUE(ours.ok()) << ours.status();
  // The ID object is fully determined by the algorithms and the credential
  // length: same size and same inner TPM2B_DIGEST size (the outer HMAC).
  EXPECT_EQ(ours->credential_blob.size(), theirs->credential_blob.size());
  EXPECT_EQ(HexEncode(ours->credential_blob.substr(0, 4)),
            HexEncode(theirs->credential_blob.substr(0, 4)));
  if (ek_.pub.type == TPM2_ALG_RSA) {
    // An OAEP ciphertext as long as the modulus.
    EXPECT_EQ(ours->encrypted_secret.size(), theirs->encrypted_secret.size());
    EXPECT_EQ(ours->encrypted_secret.size(),
              2u + ek_.pub.parameters.rsaDetail.keyBits / 8);
  } else {
    // A TPMS_ECC_POINT. We pad both coordinates to the curve size as a TPM
    // does; tpm2-tools writes them without leading zero bytes (so its
    // P-521 points are often a byte shorter). Both forms activate.
    auto our_point = ParseEccSecret(ours->encrypted_secret);
    ASSERT_TRUE(our_point.ok()) << our_point.status();
    auto their_point = ParseEccSecret(theirs->encrypted_secret);
    ASSERT_TRUE(their_point.ok()) << their_point.status();
    const size_t coordinate = ek_.pub.unique.ecc.x.size;
    EXPECT_EQ(our_point->x.size, coordinate);
    EXPECT_EQ(our_point->y.size, coordinate);
    EXPECT_LE(their_point->x.size, coordinate);
    EXPECT_LE(their_point->y.size, coordinate);
    EXPECT_GT(their_point->x.size, 0);
    EXPECT_GT(their_point->y.size, 0);
  }
  // Both random: the two challenges differ but release the same secret.
  EXPECT_NE(ours->credential_blob, theirs->credential_blob);
  const std::string our_file = testing::ToToolsCredentialFile(*ours);
  EXPECT_EQ(HexEncode(our_file.substr(0, 8)), HexEncode(file->substr(0, 8)));
  auto round_trip = testing::ParseToolsCredentialFile(our_file);
  ASSERT_TRUE(round_trip.ok()) << round_trip.status();
  EXPECT_EQ(round_trip->credential_blob, ours->credential_blob);
  EXPECT_EQ(round_trip->encrypted_secret, ours->encrypted_secret);

  auto released = tools_->Activate(ek_, ak_, tools_cred);
  ASSERT_TRUE(released.ok()) << released.status();
  ASSERT_TRUE(released->ok) << released->output;
  EXPECT_EQ(released->secret, secret);
  Activation a = Activate(*ours, ak_);
  ASSERT_TRUE(a.ok) << a.output;
  EXPECT_EQ(a.secret, secret);
}

INSTANTIATE_TEST_SUITE_P(Eks, MakeCredentialTpmTest, ::testing::ValuesIn(kEks),
                         [](const auto& info) {
                           return std::string(info.param.test_name);
                         });

}  // namespace
}  // namespace vtpm
