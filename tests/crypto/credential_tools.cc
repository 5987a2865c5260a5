#include "tests/crypto/credential_tools.h"

#include <tss2/tss2_mu.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/hex.h"
#include "common/status_macros.h"
#include "common/tpm_alg.h"
#include "common/tpm_public.h"

namespace vtpm::testing {
namespace {

constexpr uint32_t kToolsMagic = 0xBADCC0DE;
constexpr uint32_t kToolsVersion = 1;

void AppendBigEndian32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

uint32_t ReadBigEndian32(absl::string_view in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

// PolicyC of the TCG EK Credential Profile (v2.4 rev 3, "Computing
// PolicyC"): TPM2_PolicyAuthorizeNV on NV index 0x01C07F01 (SHA-256),
// 0x01C07F02 (SHA-384) or 0x01C07F03 (SHA-512). The high-range EK templates
// (swtpm's P-384 EK, tpm2_createek's ecc521/rsa3072) have authPolicy
// PolicyB = PolicyOR(PolicyA, PolicyC), PolicyA being
// PolicySecret(TPM_RH_ENDORSEMENT); the low-range ones have PolicyA alone.
absl::StatusOr<std::string> PolicyC(TPMI_ALG_HASH alg) {
  switch (alg) {
    case TPM2_ALG_SHA256:
      return HexDecode(
          "3767e2edd43ff45a3a7e1eaefcef78643dca964632e7aad82c673a30d8633fde");
    case TPM2_ALG_SHA384:
      return HexDecode(
          "d6032ce61f2fb3c240eb3cf6a33237ef2b6a16f4293c22b455e261cffd217ad5"
          "b4947c2d73e63005eed2dc2b3593d165");
    case TPM2_ALG_SHA512:
      return HexDecode(
          "589ee1e146544716e8deafe6db247b01b81e9f9c7dd16b814aa159138749105f"
          "ba5388dd1dea702f35240c184933121e2c61b8f50d3ef91393a49a38c3f73fc8");
    default:
      return absl::InvalidArgumentError("no PolicyC for " + HashAlgName(alg));
  }
}

}  // namespace

std::string ToToolsCredentialFile(const CredentialChallenge& challenge) {
  std::string out;
  AppendBigEndian32(&out, kToolsMagic);
  AppendBigEndian32(&out, kToolsVersion);
  out += challenge.credential_blob;
  out += challenge.encrypted_secret;
  return out;
}

absl::StatusOr<CredentialChallenge> ParseToolsCredentialFile(
    absl::string_view file) {
  if (file.size() < 8) {
    return absl::InvalidArgumentError("credential file shorter than header");
  }
  if (ReadBigEndian32(file) != kToolsMagic) {
    return absl::InvalidArgumentError(
        absl::StrFormat("credential file magic 0x%08x", ReadBigEndian32(file)));
  }
  if (ReadBigEndian32(file.substr(4)) != kToolsVersion) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "credential file version %d", ReadBigEndian32(file.substr(4))));
  }
  const auto* bytes = reinterpret_cast<const uint8_t*>(file.data());
  size_t offset = 8;
  TPM2B_ID_OBJECT id = {};
  if (Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(bytes, file.size(), &offset, &id) !=
      TSS2_RC_SUCCESS) {
    return absl::InvalidArgumentError("TPM2B_ID_OBJECT does not unmarshal");
  }
  const size_t secret_start = offset;
  TPM2B_ENCRYPTED_SECRET secret = {};
  if (Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(bytes, file.size(), &offset,
                                               &secret) != TSS2_RC_SUCCESS) {
    return absl::InvalidArgumentError(
        "TPM2B_ENCRYPTED_SECRET does not unmarshal");
  }
  if (offset != file.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "credential file has %d trailing bytes", file.size() - offset));
  }
  return CredentialChallenge{
      std::string(file.substr(8, secret_start - 8)),
      std::string(file.substr(secret_start, offset - secret_start))};
}

absl::StatusOr<std::string> CredentialTools::Tool(
    const std::vector<std::string>& argv) {
  return RunOrError(argv, {tpm_.tools_env()});
}

void CredentialTools::FlushAll() {
  for (const char* kind : {"-t", "-l", "-s"}) {
    (void)RunCommand({"tpm2_flushcontext", kind}, {tpm_.tools_env()});
  }
}

absl::StatusOr<ToolsEk> CredentialTools::PersistentEk(
    const std::string& handle) {
  ToolsEk ek;
  ek.ref = handle;
  ek.pub_path = Path("ek-" + handle + ".pub");
  RETURN_IF_ERROR(Tool({"tpm2_readpublic", "-c", handle, "-o", ek.pub_path}));
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(ek.pub_path));
  ASSIGN_OR_RETURN(TPM2B_PUBLIC pub, ParsePublic(bytes));
  ek.pub = pub.publicArea;
  return ek;
}

absl::StatusOr<ToolsEk> CredentialTools::CreateEk(const std::string& alg) {
  ToolsEk ek;
  ek.ref = Path("ek-" + alg + ".ctx");
  ek.pub_path = Path("ek-" + alg + ".pub");
  auto created =
      Tool({"tpm2_createek", "-G", alg, "-c", ek.ref, "-u", ek.pub_path});
  FlushAll();
  RETURN_IF_ERROR(created);
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(ek.pub_path));
  ASSIGN_OR_RETURN(TPM2B_PUBLIC pub, ParsePublic(bytes));
  ek.pub = pub.publicArea;
  return ek;
}

absl::StatusOr<ToolsAk> CredentialTools::CreateAk(const ToolsEk& ek,
                                                  const std::string& label) {
  ToolsAk ak;
  ak.ctx_path = Path(label + ".ctx");
  const std::string name_path = Path(label + ".name");
  auto created = Tool({"tpm2_createak", "-C", ek.ref, "-c", ak.ctx_path, "-G",
                       "ecc", "-g", "sha256", "-s", "ecdsa", "-n", name_path,
                       "-u", Path(label + ".pub")});
  FlushAll();
  RETURN_IF_ERROR(created);
  ASSIGN_OR_RETURN(ak.name, ReadFile(name_path));
  // The name tpm2-tools reports must be the name of the AK's public area.
  ASSIGN_OR_RETURN(std::string pub_bytes, ReadFile(Path(label + ".pub")));
  ASSIGN_OR_RETURN(TPM2B_PUBLIC pub, ParsePublic(pub_bytes));
  ASSIGN_OR_RETURN(std::string name, ComputeName(pub.publicArea));
  if (name != ak.name) {
    return absl::InternalError(absl::StrCat("AK name ", HexEncode(ak.name),
                                            " != computed ", HexEncode(name)));
  }
  return ak;
}

absl::Status CredentialTools::StartEkPolicySession(const ToolsEk& ek,
                                                   const std::string& session) {
  const std::string alg = HashAlgName(ek.pub.nameAlg);
  const std::string want(
      reinterpret_cast<const char*>(ek.pub.authPolicy.buffer),
      ek.pub.authPolicy.size);
  RETURN_IF_ERROR(Tool(
      {"tpm2_startauthsession", "--policy-session", "-g", alg, "-S", session}));
  const std::string policy_a = session + ".a";
  RETURN_IF_ERROR(
      Tool({"tpm2_policysecret", "-S", session, "-c", "e", "-L", policy_a}));
  ASSIGN_OR_RETURN(std::string digest, ReadFile(policy_a));
  if (digest == want) return absl::OkStatus();
  // Not PolicyA: the EK must have PolicyB = PolicyOR(PolicyA, PolicyC).
  ASSIGN_OR_RETURN(std::string c, PolicyC(ek.pub.nameAlg));
  const std::string policy_c = session + ".c";
  const std::string policy_b = session + ".b";
  RETURN_IF_ERROR(WriteFile(policy_c, c));
  RETURN_IF_ERROR(
      Tool({"tpm2_policyor", "-S", session, "-l",
            absl::StrCat(alg, ":", policy_a, ",", policy_c), "-L", policy_b}));
  ASSIGN_OR_RETURN(digest, ReadFile(policy_b));
  if (digest != want) {
    return absl::FailedPreconditionError(absl::StrCat(
        "EK authPolicy ", HexEncode(want), " is neither PolicyA nor PolicyB (",
        HexEncode(digest), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Activation> CredentialTools::Activate(
    const ToolsEk& ek, const ToolsAk& ak, const std::string& cred_path) {
  const std::string tag = absl::StrCat(++counter_);
  const std::string session = Path("session" + tag + ".ctx");
  const std::string out_path = Path("released" + tag + ".bin");
  absl::Status started = StartEkPolicySession(ek, session);
  if (!started.ok()) {
    FlushAll();
    return started;
  }
  auto result =
      RunCommand({"tpm2_activatecredential", "-c", ak.ctx_path, "-C", ek.ref,
                  "-i", cred_path, "-o", out_path, "-P", "session:" + session},
                 {tpm_.tools_env()});
  (void)RunCommand({"tpm2_flushcontext", session}, {tpm_.tools_env()});
  FlushAll();
  RETURN_IF_ERROR(result);
  Activation activation;
  activation.output = result->output;
  activation.ok = result->exit_code == 0;
  if (activation.ok) {
    ASSIGN_OR_RETURN(activation.secret, ReadFile(out_path));
  } else if (access(out_path.c_str(), F_OK) == 0) {
    return absl::InternalError(
        "tpm2_activatecredential failed but wrote a secret");
  }
  return activation;
}

}  // namespace vtpm::testing
