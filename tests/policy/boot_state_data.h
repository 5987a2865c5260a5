// Boot states as data for policy tests: hand-built BootState protos shaped
// like what ExtractBootState makes of the real OVMF logs in
// tests/data/eventlogs (event indexes, PCRs and names as in
// ovmf-shim-secboot-crb; digests are distinct made-up values except the
// Microsoft certificates', which are the real ones).
#ifndef VTPM_TESTS_POLICY_BOOT_STATE_DATA_H_
#define VTPM_TESTS_POLICY_BOOT_STATE_DATA_H_

#include <string>
#include <vector>

#include "verifier/policy/policy.h"
#include "vtpm_attest/v1/attest.pb.h"

namespace vtpm::testing {

// SHA-256 of the Microsoft Windows Production PCA 2011 and Microsoft
// Corporation UEFI CA 2011 certificates (DER).
inline constexpr char kMsWindowsPca2011[] =
    "e8e95f0733a55e8bad7be0a1413ee23c51fcea64b3c8fa6a786935fddcc71961";
inline constexpr char kMsUefiCa2011[] =
    "48e99b991f57fc52f76149599bff0a58c47154229b9f8d603ac40d3500248507";
// OVMF's placeholder dbx entry: SHA-256 of the empty string.
inline constexpr char kOvmfDbxPlaceholder[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// A 64-hex-digit digest made of `byte` (e.g. "a1a1...").
std::string FakeDigest(unsigned char byte);

// shim -> grub -> kernel under Secure Boot with Microsoft keys, with the
// events of the log that the rules account for (digest bases as
// ExtractBootState gives them) and its one kernel command line.
vtpm_attest::v1::BootState ShimSecureBootState();

// Changes the state's (first) kernel command line: the singular field,
// kernel_cmdlines(0) (text and sha256) and its event's description.
void SetCmdline(vtpm_attest::v1::BootState* s, const std::string& text);

// ParsePolicy(json) as "test.json" named "test"; a failed parse is a test
// failure and gives an empty policy.
verifier::Policy MustParse(const std::string& json);

// EvaluatePolicy with nothing but the boot state `s`.
std::vector<vtpm_attest::v1::Reason> Evaluate(
    const verifier::Policy& p, const vtpm_attest::v1::BootState& s);

}  // namespace vtpm::testing

#endif  // VTPM_TESTS_POLICY_BOOT_STATE_DATA_H_
