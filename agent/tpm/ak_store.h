// The AK's files in the agent's state directory.
#ifndef VTPM_AGENT_TPM_AK_STORE_H_
#define VTPM_AGENT_TPM_AK_STORE_H_

#include <sys/types.h>
#include <tss2/tss2_tpm2_types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vtpm::agent {

inline constexpr char kAkPubFile[] = "ak.pub";
inline constexpr char kAkPrivFile[] = "ak.priv";
inline constexpr char kAkEkNameFile[] = "ak.ek_name";

struct SavedAk {
  TPM2B_PUBLIC pub = {};
  TPM2B_PRIVATE priv = {};
  std::string ek_name;  // raw bytes
};

// Reads ak.pub, ak.priv and ak.ek_name from `dir`. NotFound when any of
// them is missing; InvalidArgument when one does not parse (naming it).
absl::StatusOr<SavedAk> ReadSavedAk(const std::string& dir);

// Writes the three files, each atomically with mode 0600, ak.ek_name last.
absl::Status WriteSavedAk(const std::string& dir, const SavedAk& ak);

// Writes `data` to `path` atomically: a temporary file in the same
// directory created with `mode`, written, fsync'ed, renamed over `path`,
// then the directory fsync'ed. Errors name the path and errno text.
absl::Status WriteFileAtomic(const std::string& path, absl::string_view data,
                             mode_t mode);

// Creates `dir` (and parents) with mode 0700 where missing.
absl::Status EnsureDirectory(const std::string& dir);

}  // namespace vtpm::agent

#endif  // VTPM_AGENT_TPM_AK_STORE_H_
