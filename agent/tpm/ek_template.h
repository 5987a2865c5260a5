// The default EK templates and authorization policies of the TCG EK
// Credential Profile for TPM Family 2.0 (version 2.5, appendix B): the
// low-range templates L-1 (RSA-2048) and L-2 (ECC NIST P-256), and the
// high-range templates H-1 (RSA-2048), H-2 (ECC NIST P-256) and H-3 (ECC
// NIST P-384).
#ifndef VTPM_AGENT_TPM_EK_TEMPLATE_H_
#define VTPM_AGENT_TPM_EK_TEMPLATE_H_

#include <tss2/tss2_tpm2_types.h>

#include <string>

#include "absl/status/statusor.h"

namespace vtpm::agent {

enum class EkTemplateId {
  kL1Rsa2048,  // EK cert at NV 0x01c00002, EK at 0x81010001
  kL2EccP256,  // EK cert at NV 0x01c0000a, EK at 0x81010002
  kH1Rsa2048,  // EK cert at NV 0x01c00012, EK at 0x81010012
  kH2EccP256,  // EK cert at NV 0x01c00014, EK at 0x81010014
  kH3EccP384,  // EK cert at NV 0x01c00016, EK at 0x81010016
};

// "L-1 RSA-2048", "H-3 ECC P-384", ...
const char* EkTemplateName(EkTemplateId id);

// The template to pass to TPM2_CreatePrimary under TPM_RH_ENDORSEMENT.
// Low range: nameAlg SHA-256, fixedTPM|fixedParent|sensitiveDataOrigin|
// adminWithPolicy|restricted|decrypt, authPolicy PolicyA, AES-128-CFB,
// unique zero-filled to the key size (256 bytes / 2 x 32 bytes).
// High range: userWithAuth added, authPolicy PolicyB of the nameAlg,
// AES-128-CFB (SHA-256 templates) or AES-256-CFB with SHA-384 (H-3),
// empty unique.
TPM2B_PUBLIC EkTemplate(EkTemplateId id);

// True when `pub` has the template's type, nameAlg, attributes,
// authPolicy and parameters (the unique field, i.e. the key, is not
// compared): a key created from that template.
bool MatchesEkTemplate(const TPMT_PUBLIC& pub, EkTemplateId id);

// PolicyA: the policy digest of TPM2_PolicySecret(TPM_RH_ENDORSEMENT) with
// an empty policyRef, computed with `hash` (SHA-256/384/512).
absl::StatusOr<std::string> EkPolicyA(TPMI_ALG_HASH hash);

// PolicyC: the policy digest of TPM2_PolicyAuthorizeNV of the EK policy NV
// index (0x01c07f01/02/03 for SHA-256/384/512), constants of the profile.
absl::StatusOr<std::string> EkPolicyC(TPMI_ALG_HASH hash);

// PolicyB: TPM2_PolicyOR(PolicyA, PolicyC), the high-range authPolicy.
absl::StatusOr<std::string> EkPolicyB(TPMI_ALG_HASH hash);

}  // namespace vtpm::agent

#endif  // VTPM_AGENT_TPM_EK_TEMPLATE_H_
