// The Endorsement Key: its certificate from NV, the EK itself (persistent
// or recreated from its TCG default template), and the certificate chain
// the TPM vendor stored in NV.
#ifndef VTPM_AGENT_TPM_EK_H_
#define VTPM_AGENT_TPM_EK_H_

#include <tss2/tss2_tpm2_types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/tpm/tpm_context.h"

namespace vtpm::agent {

enum class EkAlgorithm { kAuto, kRsa2048, kEccP256, kEccP384 };

// "auto", "rsa2048", "ecc256", "ecc384".
const char* EkAlgorithmName(EkAlgorithm alg);

struct Ek {
  // The loaded EK: kClose for a persistent EK, kFlush for one created with
  // TPM2_CreatePrimary (it then holds a transient object slot).
  ScopedHandle handle;
  // The EK's public area as the TPM reports it.
  TPM2B_PUBLIC pub = {};
  // The persistent handle it was found at, 0 when created from a template.
  uint32_t persistent_handle = 0;
  // NV index of the EK certificate, 0 when the TPM has none.
  uint32_t cert_nv_index = 0;
  // The EK certificate (DER, NV padding removed); empty when none.
  std::string cert_der;
  // Certificates from the chain range 0x01c00100..0x01c001ff (DER), in
  // index order; an index holding several certificates gives several.
  std::vector<std::string> chain_der;

  // The algorithm actually used (never kAuto).
  EkAlgorithm algorithm = EkAlgorithm::kAuto;
  // The EK's TPM name (nameAlg || H(public area)).
  std::string name;
  // Non-fatal findings worth logging: a persistent key that was not the
  // certified EK, a chain index that did not hold certificates.
  std::vector<std::string> notes;
};

// Finds the EK certificate and the EK for `alg`.
//
// Certificates are looked up (TPM2_GetCapability of the NV handles, not
// blind reads) at the TCG EK Credential Profile indices: RSA-2048 at
// 0x01c00002 (low range) or 0x01c00012 (high), ECC P-256 at 0x01c0000a or
// 0x01c00014, ECC P-384 at 0x01c00016. kAuto takes the first algorithm
// with a certificate, in the order RSA-2048, ECC P-384, ECC P-256, and
// RSA-2048 without certificate when there is none (ECC P-256 when the TPM
// cannot make an RSA EK; `notes` then says why).
//
// The EK: the persistent key at the handle that goes with the certificate
// index (0x81010001 RSA low, 0x81010002 ECC low, 0x810100NN for the high
// index 0x01c000NN, e.g. 0x81010016 for P-384 as swtpm does) when its
// public key equals the certificate's (without a certificate: when it
// matches the default template); otherwise the key TPM2_CreatePrimary
// makes under TPM_RH_ENDORSEMENT from the matching default template
// (L-1, L-2, H-1, H-2, H-3; see ek_template.h).
//
// Errors: FailedPrecondition when a certificate exists but neither the
// persistent key nor the template key is the certified key (the message
// names the index, handle and template), or when the endorsement
// hierarchy has a password; InvalidArgument when the certificate index
// does not hold a certificate; TPM errors otherwise. Without any
// certificate the EK is returned with cert_der empty.
absl::StatusOr<Ek> LoadEk(TpmContext& ctx, EkAlgorithm alg);

}  // namespace vtpm::agent

#endif  // VTPM_AGENT_TPM_EK_H_
