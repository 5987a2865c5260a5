#include "agent/tpm/tpm_context.h"

#include <fcntl.h>
#include <tss2/tss2_tctildr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/tss_error.h"

namespace vtpm::agent {
namespace internal {

// The shared state behind a TpmContext. ScopedHandles point at it weakly so
// that a handle outliving its context neither crashes nor double-flushes.
struct EsysState {
  ESYS_CONTEXT* esys = nullptr;
  TSS2_TCTI_CONTEXT* tcti = nullptr;
  std::string tcti_conf;
  // Transient objects and sessions owned by live ScopedHandles.
  std::set<ESYS_TR> owned_transients;

  EsysState() = default;
  EsysState(const EsysState&) = delete;
  EsysState& operator=(const EsysState&) = delete;
  ~EsysState() {
    if (esys != nullptr) {
      for (ESYS_TR h : owned_transients) Esys_FlushContext(esys, h);
      Esys_Finalize(&esys);
    }
    if (tcti != nullptr) Tss2_TctiLdr_Finalize(&tcti);
  }
};

}  // namespace internal

namespace {

using internal::EsysState;

constexpr uint32_t kFamily20 = 0x322e3000;  // "2.0\0"

// For "device:PATH" configurations: opens PATH the way the device TCTI
// will, to report a precise reason (missing, permission, busy).
absl::Status CheckDevice(const std::string& conf) {
  if (!absl::StartsWith(conf, "device:")) return absl::OkStatus();
  std::string path = conf.substr(strlen("device:"));
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd >= 0) {
    close(fd);
    return absl::OkStatus();
  }
  int err = errno;
  std::string why;
  switch (err) {
    case ENOENT:
      why = "does not exist (no TPM, or the kernel has no TPM driver)";
      break;
    case EACCES:
    case EPERM:
      why =
          "permission denied (run as root or as a member of the group that "
          "owns the device, usually `tss`)";
      break;
    case EBUSY:
      why =
          "busy (another process, e.g. tpm2-abrmd, holds the raw device; use "
          "/dev/tpmrm0)";
      break;
    default:
      why = strerror(err);
  }
  return absl::UnavailableError(absl::StrCat(path, ": ", why));
}

// Asks for TPM2_PT_FAMILY_INDICATOR; starts a TPM that was never started.
absl::Status Probe(ESYS_CONTEXT* esys) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    TPMI_YES_NO more = TPM2_NO;
    TPMS_CAPABILITY_DATA* raw = nullptr;
    TSS2_RC rc = TSS2_RC_SUCCESS;
    absl::Status st = RetryTpm("TPM2_GetCapability(family)", [&] {
      Esys_Free(raw);
      raw = nullptr;
      rc = Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                              TPM2_CAP_TPM_PROPERTIES, TPM2_PT_FAMILY_INDICATOR,
                              1, &more, &raw);
      return rc;
    });
    EsysPtr<TPMS_CAPABILITY_DATA> data(raw);
    if (!st.ok() && attempt == 0 && IsTpmRc(rc, TPM2_RC_INITIALIZE)) {
      RETURN_IF_ERROR(RetryTpm("TPM2_Startup(CLEAR)", [&] {
        return Esys_Startup(esys, TPM2_SU_CLEAR);
      }));
      continue;
    }
    RETURN_IF_ERROR(st);
    const auto& props = data->data.tpmProperties;
    if (props.count < 1 ||
        props.tpmProperty[0].property != TPM2_PT_FAMILY_INDICATOR) {
      return absl::FailedPreconditionError(
          "the TPM did not report TPM2_PT_FAMILY_INDICATOR; vtpm-attest needs "
          "a TPM 2.0");
    }
    if (props.tpmProperty[0].value != kFamily20) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "TPM family indicator is 0x%08x, not \"2.0\"; vtpm-attest needs a "
          "TPM 2.0",
          props.tpmProperty[0].value));
    }
    return absl::OkStatus();
  }
  return absl::UnavailableError("the TPM did not start");
}

absl::StatusOr<std::shared_ptr<EsysState>> Connect(const std::string& conf) {
  RETURN_IF_ERROR(CheckDevice(conf));
  auto state = std::make_shared<EsysState>();
  state->tcti_conf = conf;
  RETURN_IF_ERROR(TssStatus(Tss2_TctiLdr_Initialize(conf.c_str(), &state->tcti),
                            absl::StrCat("opening TCTI \"", conf, "\"")));
  RETURN_IF_ERROR(
      TssStatus(Esys_Initialize(&state->esys, state->tcti, nullptr),
                absl::StrCat("initializing ESAPI on \"", conf, "\"")));
  RETURN_IF_ERROR_CTX(Probe(state->esys), conf);
  return state;
}

}  // namespace

absl::Status RetryTpm(absl::string_view what,
                      absl::FunctionRef<TSS2_RC()> command) {
  constexpr int kMaxAttempts = 10;
  auto backoff = std::chrono::milliseconds(10);
  TSS2_RC rc = TSS2_RC_SUCCESS;
  for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
    rc = command();
    if (!IsRetryable(rc) || attempt == kMaxAttempts) break;
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(500));
  }
  absl::Status st = TssStatus(rc, what);
  if (IsRetryable(rc)) {
    return Annotate(
        st, absl::StrCat("still busy after ", kMaxAttempts, " attempts"));
  }
  return st;
}

bool IsTpmRc(TSS2_RC rc, TSS2_RC code) {
  TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;
  if (layer != TSS2_TPM_RC_LAYER && layer != TSS2_RESMGR_TPM_RC_LAYER) {
    return false;
  }
  TSS2_RC r = rc & 0xfff;
  if (r & TPM2_RC_FMT1) r &= (TPM2_RC_FMT1 | 0x3f);
  return r == code;
}

TpmContext::TpmContext(std::shared_ptr<EsysState> state)
    : state_(std::move(state)) {}
TpmContext::TpmContext(TpmContext&&) noexcept = default;
TpmContext& TpmContext::operator=(TpmContext&&) noexcept = default;
TpmContext::~TpmContext() = default;

ESYS_CONTEXT* TpmContext::esys() const {
  return state_ ? state_->esys : nullptr;
}

const std::string& TpmContext::tcti() const {
  static const std::string kEmpty;
  return state_ ? state_->tcti_conf : kEmpty;
}

absl::StatusOr<TpmContext> TpmContext::Open(const std::string& tcti) {
  if (!tcti.empty()) {
    auto state = Connect(tcti);
    if (!state.ok()) {
      return Annotate(state.status(),
                      absl::StrCat("cannot open TPM via \"", tcti, "\""));
    }
    return TpmContext(*std::move(state));
  }
  std::vector<std::string> failures;
  absl::Status last;
  for (const char* conf : kDefaultTctis) {
    auto state = Connect(conf);
    if (state.ok()) return TpmContext(*std::move(state));
    last = state.status();
    // A TPM that answers but is unusable (1.2, lockout) is the answer.
    if (last.code() == absl::StatusCode::kFailedPrecondition) return last;
    failures.push_back(std::string(last.message()));
  }
  return absl::UnavailableError(
      absl::StrCat("no usable TPM (tried ", absl::StrJoin(kDefaultTctis, ", "),
                   "): ", absl::StrJoin(failures, "; ")));
}

ScopedHandle::ScopedHandle(const TpmContext& ctx, ESYS_TR handle, Kind kind)
    : state_(ctx.state_), handle_(handle), kind_(kind) {
  if (handle_ != ESYS_TR_NONE && kind_ == Kind::kFlush && ctx.state_) {
    ctx.state_->owned_transients.insert(handle_);
  }
}

ScopedHandle::ScopedHandle(ScopedHandle&& other) noexcept
    : state_(std::move(other.state_)),
      handle_(std::exchange(other.handle_, ESYS_TR_NONE)),
      kind_(other.kind_) {}

ScopedHandle& ScopedHandle::operator=(ScopedHandle&& other) noexcept {
  if (this != &other) {
    reset();
    state_ = std::move(other.state_);
    handle_ = std::exchange(other.handle_, ESYS_TR_NONE);
    kind_ = other.kind_;
  }
  return *this;
}

ScopedHandle::~ScopedHandle() { reset(); }

void ScopedHandle::reset() {
  if (handle_ == ESYS_TR_NONE) return;
  if (auto state = state_.lock(); state && state->esys != nullptr) {
    if (kind_ == Kind::kFlush) {
      state->owned_transients.erase(handle_);
      Esys_FlushContext(state->esys, handle_);
    } else {
      Esys_TR_Close(state->esys, &handle_);
    }
  }
  handle_ = ESYS_TR_NONE;
  state_.reset();
}

ESYS_TR ScopedHandle::release() {
  if (auto state = state_.lock(); state && kind_ == Kind::kFlush) {
    state->owned_transients.erase(handle_);
  }
  state_.reset();
  return std::exchange(handle_, ESYS_TR_NONE);
}

}  // namespace vtpm::agent
