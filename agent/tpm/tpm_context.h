// A connection to a TPM 2.0 through tpm2-tss ESAPI, RAII handles for the
// objects and sessions loaded through it, and the retry rule for commands
// the TPM asks to be sent again.
//
// Every transient object and session the agent loads is owned by a
// ScopedHandle and flushed when that is destroyed. A TPM without a
// resource manager (swtpm, /dev/tpm0) keeps whatever is not flushed until
// it restarts and has only a few object slots, so this matters: if a
// TpmContext is destroyed while ScopedHandles of it are still alive, the
// context flushes them first and the handles become inert.
#ifndef VTPM_AGENT_TPM_TPM_CONTEXT_H_
#define VTPM_AGENT_TPM_TPM_CONTEXT_H_

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tcti.h>

#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vtpm::agent {

namespace internal {
struct EsysState;
}  // namespace internal

// Frees ESAPI-allocated outputs (Esys_Free).
struct EsysFreeDeleter {
  void operator()(void* p) const { Esys_Free(p); }
};
template <typename T>
using EsysPtr = std::unique_ptr<T, EsysFreeDeleter>;

// An open TPM: the TCTI (loaded by name through the TCTI loader) and the
// ESAPI context on top of it. Move-only; on destruction, transient objects
// and sessions still owned by ScopedHandles are flushed, then the ESAPI
// context and the TCTI are finalized. Not thread-safe: use a context (and
// its handles) from one thread at a time. tpm2-tss logs to stderr on its
// own; set TSS2_LOG (e.g. "all+none") to quiet it.
class TpmContext {
 public:
  // The TCTI configurations tried, in order, when Open() gets "".
  static constexpr const char* kDefaultTctis[] = {"device:/dev/tpmrm0",
                                                  "device:/dev/tpm0"};

  // Opens the TPM named by the TCTI configuration string `tcti`
  // ("device:/dev/tpmrm0", "swtpm:path=/run/tpm.sock", "mssim:host=...").
  // An empty `tcti` means the Linux default: the kernel resource manager
  // /dev/tpmrm0, falling back to the raw /dev/tpm0 (which only one process
  // can hold). The TCTI loader is never asked to guess.
  //
  // After connecting, asks the TPM for TPM2_PT_FAMILY_INDICATOR to prove it
  // is a working TPM 2.0; a TPM that was never started (TPM_RC_INITIALIZE)
  // gets TPM2_Startup(CLEAR) first.
  //
  // Errors: Unavailable when no TPM could be reached; the message lists
  // every configuration tried and why it failed (device missing - no TPM
  // or no kernel driver -, permission denied - run as root or in the
  // `tss` group -, busy, connection refused). FailedPrecondition for a
  // TPM 1.2 or a TPM in dictionary-attack lockout; Unavailable for a TPM
  // in failure mode.
  static absl::StatusOr<TpmContext> Open(const std::string& tcti);

  TpmContext(TpmContext&&) noexcept;
  TpmContext& operator=(TpmContext&&) noexcept;
  TpmContext(const TpmContext&) = delete;
  TpmContext& operator=(const TpmContext&) = delete;
  ~TpmContext();

  // The ESAPI context. Valid while this TpmContext lives (not after it was
  // moved from).
  ESYS_CONTEXT* esys() const;

  // The TCTI configuration string that was actually opened.
  const std::string& tcti() const;

 private:
  friend class ScopedHandle;
  explicit TpmContext(std::shared_ptr<internal::EsysState> state);
  std::shared_ptr<internal::EsysState> state_;
};

// Owns one ESAPI handle (ESYS_TR). Move-only.
//   kFlush: a transient object or a session; destruction calls
//           Esys_FlushContext, which unloads it from the TPM.
//   kClose: a persistent object, NV index or other handle the TPM keeps;
//           destruction calls Esys_TR_Close, which only forgets it in ESAPI.
// Errors while flushing/closing are ignored (a session the TPM already
// ended, a context that is gone).
class ScopedHandle {
 public:
  enum class Kind { kFlush, kClose };

  ScopedHandle() = default;
  // Takes ownership of `handle` (ESYS_TR_NONE gives an empty handle).
  ScopedHandle(const TpmContext& ctx, ESYS_TR handle, Kind kind);
  ScopedHandle(ScopedHandle&& other) noexcept;
  ScopedHandle& operator=(ScopedHandle&& other) noexcept;
  ScopedHandle(const ScopedHandle&) = delete;
  ScopedHandle& operator=(const ScopedHandle&) = delete;
  ~ScopedHandle();

  // The ESAPI handle, or ESYS_TR_NONE when empty.
  ESYS_TR get() const { return handle_; }
  Kind kind() const { return kind_; }
  bool valid() const { return handle_ != ESYS_TR_NONE; }
  explicit operator bool() const { return valid(); }

  // Flushes/closes now; the handle becomes empty.
  void reset();
  // Gives up ownership without flushing or closing; returns the handle.
  // The object stays loaded in the TPM (tests use this to inspect it with
  // tpm2-tools).
  ESYS_TR release();

 private:
  std::weak_ptr<internal::EsysState> state_;
  ESYS_TR handle_ = ESYS_TR_NONE;
  Kind kind_ = Kind::kClose;
};

// Runs `command` - one ESAPI call, returning its TSS2_RC - and sends it
// again while it fails with TPM_RC_RETRY, TPM_RC_YIELDED or TPM_RC_TESTING
// (IsRetryable), at most 10 attempts with a backoff of 10 ms doubling up to
// 500 ms (about 3 s in all, enough for a self-test to finish). Returns
// TssStatus(rc, what) of the last attempt: OK, or an error whose message
// starts with `what` and carries the decoded response code.
absl::Status RetryTpm(absl::string_view what,
                      absl::FunctionRef<TSS2_RC()> command);

// True when `rc` came from the TPM (directly or through a resource
// manager) and is the response code `code` (a TPM2_RC_* constant such as
// TPM2_RC_INTEGRITY), ignoring the handle/parameter/session number that
// format-one codes carry.
bool IsTpmRc(TSS2_RC rc, TSS2_RC code);

}  // namespace vtpm::agent

#endif  // VTPM_AGENT_TPM_TPM_CONTEXT_H_
