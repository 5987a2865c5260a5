// Early-return helpers for absl::Status / absl::StatusOr.
// (abseil 20220623 in Debian 12 has no status_macros.h.)
#ifndef VTPM_COMMON_STATUS_MACROS_H_
#define VTPM_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace vtpm::internal {
inline const ::absl::Status& ToStatus(const ::absl::Status& s) { return s; }
template <typename T>
const ::absl::Status& ToStatus(const ::absl::StatusOr<T>& s) {
  return s.status();
}
}  // namespace vtpm::internal

#define VTPM_CONCAT_INNER_(a, b) a##b
#define VTPM_CONCAT_(a, b) VTPM_CONCAT_INNER_(a, b)

// Returns the status of `expr` (a Status or StatusOr) from the enclosing
// function if it is not OK.
#define RETURN_IF_ERROR(expr)                                         \
  do {                                                                \
    ::absl::Status vtpm_status_ = ::vtpm::internal::ToStatus((expr)); \
    if (!vtpm_status_.ok()) return vtpm_status_;                      \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, Foo());` assigns the value of a StatusOr or
// returns its status from the enclosing function.
#define ASSIGN_OR_RETURN(lhs, expr) \
  VTPM_ASSIGN_OR_RETURN_IMPL_(VTPM_CONCAT_(vtpm_statusor_, __LINE__), lhs, expr)
#define VTPM_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).status();    \
  lhs = std::move(tmp).value()

namespace vtpm {

// Returns `status` with "context: " prepended to its message, keeping its
// code and payloads (reason codes); OK stays OK.
inline absl::Status Annotate(const absl::Status& status,
                             absl::string_view context) {
  if (status.ok()) return status;
  absl::Status out(status.code(),
                   absl::StrCat(context, ": ", status.message()));
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    out.SetPayload(url, payload);
  });
  return out;
}

}  // namespace vtpm

// Like RETURN_IF_ERROR, adding `context` to the message.
#define RETURN_IF_ERROR_CTX(expr, context)                                  \
  do {                                                                      \
    ::absl::Status vtpm_status_ = ::vtpm::internal::ToStatus((expr));       \
    if (!vtpm_status_.ok()) return ::vtpm::Annotate(vtpm_status_, context); \
  } while (0)

#endif  // VTPM_COMMON_STATUS_MACROS_H_
