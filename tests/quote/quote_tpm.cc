#include "tests/quote/quote_tpm.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/tpm2tools/pcr_file.h"
#include "common/tpm_alg.h"
#include "common/tpm_public.h"

namespace vtpm::testing {

absl::StatusOr<std::unique_ptr<QuoteTpm>> QuoteTpm::Create(
    const std::string& dir) {
  std::unique_ptr<QuoteTpm> q(new QuoteTpm());
  q->dir_ = std::filesystem::absolute(dir).string();
  std::filesystem::create_directories(q->dir_ + "/ca");
  ASSIGN_OR_RETURN(q->ca_, TestCa::Create(q->dir_ + "/ca"));
  SwtpmOptions opts;
  opts.ecc = false;
  opts.no_ek_cert = true;
  ASSIGN_OR_RETURN(q->tpm_, Swtpm::Start(q->dir_ + "/tpm", *q->ca_, opts));
  RETURN_IF_ERROR(q->Tool({"tpm2_createek", "-c", q->Path("ek.ctx"), "-G",
                           "rsa", "-u", q->Path("ek.pub")}));
  return q;
}

absl::StatusOr<std::string> QuoteTpm::Tool(
    const std::vector<std::string>& argv) {
  auto out = RunOrError(argv, {env()});
  // Flush even after a failure so the next command finds free slots.
  auto flush_t = RunOrError({"tpm2_flushcontext", "-t"}, {env()});
  auto flush_s = RunOrError({"tpm2_flushcontext", "-s"}, {env()});
  if (!out.ok()) return out;
  RETURN_IF_ERROR(flush_t);
  RETURN_IF_ERROR(flush_s);
  return out;
}

absl::StatusOr<AkFiles> QuoteTpm::CreateAk(const std::string& name,
                                           const std::string& alg,
                                           const std::string& hash,
                                           const std::string& scheme) {
  AkFiles ak{Path(name + ".ctx"), Path(name + ".pub"), Path(name + ".pem"), {}};
  RETURN_IF_ERROR(Tool({"tpm2_createak", "-C", Path("ek.ctx"), "-c", ak.ctx,
                        "-G", alg, "-g", hash, "-s", scheme, "-u", ak.pub}));
  RETURN_IF_ERROR(
      Tool({"tpm2_readpublic", "-c", ak.ctx, "-f", "pem", "-o", ak.pem}));
  ASSIGN_OR_RETURN(std::string pub, ReadFile(ak.pub));
  ASSIGN_OR_RETURN(TPM2B_PUBLIC parsed, ParsePublic(pub));
  ak.public_area = parsed.publicArea;
  return ak;
}

absl::StatusOr<AkFiles> QuoteTpm::CreatePrimaryKey(
    const std::string& name, const std::string& key_alg,
    const std::string& name_alg, const std::string& attributes) {
  AkFiles ak{Path(name + ".ctx"), Path(name + ".pub"), Path(name + ".pem"), {}};
  RETURN_IF_ERROR(Tool({"tpm2_createprimary", "-C", "o", "-G", key_alg, "-g",
                        name_alg, "-a", attributes, "-c", ak.ctx}));
  RETURN_IF_ERROR(Tool({"tpm2_readpublic", "-c", ak.ctx, "-o", ak.pub}));
  RETURN_IF_ERROR(
      Tool({"tpm2_readpublic", "-c", ak.ctx, "-f", "pem", "-o", ak.pem}));
  ASSIGN_OR_RETURN(std::string pub, ReadFile(ak.pub));
  ASSIGN_OR_RETURN(TPM2B_PUBLIC parsed, ParsePublic(pub));
  ak.public_area = parsed.publicArea;
  return ak;
}

absl::StatusOr<QuoteFiles> QuoteTpm::Quote(
    const AkFiles& ak, const std::string& name, const std::string& selection,
    const std::string& nonce_hex, const std::string& hash,
    const std::vector<std::string>& extra) {
  QuoteFiles q{Path(name + ".msg"),
               Path(name + ".sig"),
               Path(name + ".pcrs"),
               nonce_hex,
               {}};
  std::vector<std::string> argv = {
      "tpm2_quote", "-c", ak.ctx, "-l", selection, "-q", nonce_hex, "-m",
      q.msg,        "-s", q.sig,  "-o", q.pcrs,    "-g", hash};
  argv.insert(argv.end(), extra.begin(), extra.end());
  RETURN_IF_ERROR(Tool(argv));
  ASSIGN_OR_RETURN(q.evidence.attest, ReadFile(q.msg));
  ASSIGN_OR_RETURN(q.evidence.signature, ReadFile(q.sig));
  ASSIGN_OR_RETURN(std::string pcrs, ReadFile(q.pcrs));
  ASSIGN_OR_RETURN(auto parsed, tpm2tools::ParseSerializedPcrs(pcrs));
  q.evidence.pcrs = std::move(parsed.second);
  return q;
}

absl::StatusOr<PcrValues> QuoteTpm::ReadPcrs(const PcrSelection& selection,
                                             const std::string& name) {
  std::string path = Path(name);
  RETURN_IF_ERROR(
      Tool({"tpm2_pcrread", ToolsSelection(selection), "-o", path}));
  ASSIGN_OR_RETURN(std::string raw, ReadFile(path));
  return tpm2tools::ParseRawPcrValues(raw, selection);
}

std::string ToolsSelection(const PcrSelection& selection) {
  std::vector<std::string> banks;
  for (const auto& bank : selection) {
    std::vector<int> pcrs;
    for (int i = 0; i < kMaxPcrs; ++i) {
      if (bank.pcrs.test(i)) pcrs.push_back(i);
    }
    banks.push_back(
        absl::StrCat(HashAlgName(bank.hash), ":", absl::StrJoin(pcrs, ",")));
  }
  return absl::StrJoin(banks, "+");
}

}  // namespace vtpm::testing
