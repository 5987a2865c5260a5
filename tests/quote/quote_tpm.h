// Test support: a real swtpm with an EK and attestation keys made by
// tpm2-tools, and quotes made with tpm2_quote, as files and as
// QuoteEvidence. Shared by the quote tests and the benchmark.
#ifndef VTPM_TESTS_QUOTE_QUOTE_TPM_H_
#define VTPM_TESTS_QUOTE_QUOTE_TPM_H_

#include <tss2/tss2_tpm2_types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/pcr_selection.h"
#include "tests/harness/swtpm.h"
#include "verifier/quote/quote_verifier.h"

namespace vtpm::testing {

// An AK's files: the saved context, TPM2B_PUBLIC and PEM public key.
struct AkFiles {
  std::string ctx;
  std::string pub;
  std::string pem;
  TPMT_PUBLIC public_area;
};

// tpm2_quote's output files and the same evidence loaded.
struct QuoteFiles {
  std::string msg;
  std::string sig;
  std::string pcrs;  // serialized form
  std::string nonce_hex;
  verifier::QuoteEvidence evidence;
};

class QuoteTpm {
 public:
  // A test CA and a swtpm under `dir` (which must exist) with an RSA EK
  // made by `tpm2_createek -c ek.ctx -G rsa -u ek.pub`.
  static absl::StatusOr<std::unique_ptr<QuoteTpm>> Create(
      const std::string& dir);

  // Runs a tpm2-tools command against this TPM and then flushes every
  // transient object and session (swtpm has 3 object slots and no
  // resource manager).
  absl::StatusOr<std::string> Tool(const std::vector<std::string>& argv);

  // `tpm2_createak -C ek.ctx -c NAME.ctx -G alg -g hash -s scheme -u
  // NAME.pub`, plus NAME.pem from tpm2_readpublic -f pem.
  absl::StatusOr<AkFiles> CreateAk(const std::string& name,
                                   const std::string& alg,
                                   const std::string& hash,
                                   const std::string& scheme);

  // A primary signing key in the owner hierarchy made by
  // `tpm2_createprimary -C o -G key_alg -g name_alg -a attributes`: for
  // keys tpm2_createak cannot make (not restricted, other schemes).
  absl::StatusOr<AkFiles> CreatePrimaryKey(const std::string& name,
                                           const std::string& key_alg,
                                           const std::string& name_alg,
                                           const std::string& attributes);

  // `tpm2_quote -c ak -l selection -q nonce_hex -m -s -o -g hash
  // [extra...]`, files named after `name`, loaded into `evidence`.
  absl::StatusOr<QuoteFiles> Quote(const AkFiles& ak, const std::string& name,
                                   const std::string& selection,
                                   const std::string& nonce_hex,
                                   const std::string& hash = "sha256",
                                   const std::vector<std::string>& extra = {});

  // Current PCR values via `tpm2_pcrread -o FILE` (values form).
  absl::StatusOr<PcrValues> ReadPcrs(const PcrSelection& selection,
                                     const std::string& name);

  Swtpm& swtpm() { return *tpm_; }
  std::string env() const { return tpm_->tools_env(); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  QuoteTpm() = default;
  std::string dir_;
  std::unique_ptr<TestCa> ca_;
  std::unique_ptr<Swtpm> tpm_;
};

// The tpm2-tools list form of a selection ("sha256:0,1,2"); tpm2-tools
// 5.4 does not take ranges.
std::string ToolsSelection(const PcrSelection& selection);

}  // namespace vtpm::testing

#endif  // VTPM_TESTS_QUOTE_QUOTE_TPM_H_
