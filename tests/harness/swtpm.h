// Test harness: a per-test EK CA (swtpm_localca with its own state
// directory, never /var/lib/swtpm-localca) and real swtpm vTPMs provisioned
// the way libvirt does it (swtpm_setup --create-ek-cert), served on a unix
// socket so tests run in parallel.
#ifndef VTPM_TESTS_HARNESS_SWTPM_H_
#define VTPM_TESTS_HARNESS_SWTPM_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tests/harness/process.h"

namespace vtpm::testing {

// A swtpm-localca CA in `dir`: root CA `CN=swtpm-localca-rootca` and the
// intermediate `CN=swtpm-localca` that signs EK certificates. The files are
// created on first use by swtpm_localca; Create() forces that by
// provisioning a throwaway TPM so the paths below exist afterwards.
class TestCa {
 public:
  // Creates the CA under `dir` (which must exist).
  static absl::StatusOr<std::unique_ptr<TestCa>> Create(const std::string& dir);

  const std::string& dir() const { return dir_; }
  // swtpm_setup.conf naming this CA.
  std::string setup_config() const { return dir_ + "/swtpm_setup.conf"; }
  std::string root_cert() const {
    return dir_ + "/swtpm-localca-rootca-cert.pem";
  }
  std::string intermediate_cert() const { return dir_ + "/issuercert.pem"; }
  std::string intermediate_key() const { return dir_ + "/signkey.pem"; }

 private:
  explicit TestCa(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

struct SwtpmOptions {
  // Create the ECC (P-384, NV 0x01c00016) EK and certificate as well as the
  // RSA-2048 one (NV 0x01c00002).
  bool ecc = true;
  // "NAME:UUID" for swtpm_setup --vmid (EK cert subject CN).
  std::string vmid;
  // Skip --create-ek-cert (a TPM without EK certificates).
  bool no_ek_cert = false;
};

// A provisioned, running swtpm. Stopped on destruction.
class Swtpm {
 public:
  // Provisions TPM state in `dir` (created if missing) with `ca` and starts
  // swtpm on `dir`/tpm.sock.
  static absl::StatusOr<std::unique_ptr<Swtpm>> Start(
      const std::string& dir, const TestCa& ca, const SwtpmOptions& opts = {});
  ~Swtpm();

  // TCTI configuration string for tpm2-tss ("swtpm:path=...").
  std::string tcti() const { return "swtpm:path=" + socket_; }
  // Environment for tpm2-tools.
  std::string tools_env() const { return "TPM2TOOLS_TCTI=" + tcti(); }
  const std::string& state_dir() const { return state_dir_; }

  // Stops and starts swtpm on the same state (PCRs reset, like a reboot).
  absl::Status Restart();

  // Powers the TPM off, copies its state to `to_dir` (a VM snapshot) and
  // powers it on again (a reboot).
  absl::Status SaveState(const std::string& to_dir);
  // Powers the TPM off and boots it from a state saved by SaveState (a VM
  // restored from an old snapshot: its reset count and clock go back).
  absl::Status RestoreState(const std::string& from_dir);

 private:
  Swtpm() = default;
  absl::Status Launch();
  void Stop();
  std::string state_dir_;
  std::string socket_;
  std::string log_;
  pid_t pid_ = -1;
};

}  // namespace vtpm::testing

#endif  // VTPM_TESTS_HARNESS_SWTPM_H_
