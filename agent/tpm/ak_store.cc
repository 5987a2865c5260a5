#include "agent/tpm/ak_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <tss2/tss2_mu.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/hex.h"
#include "common/status_macros.h"
#include "common/tpm_public.h"

namespace vtpm::agent {
namespace {

absl::Status ErrnoError(absl::string_view what, const std::string& path,
                        int err) {
  return absl::InternalError(
      absl::StrCat(what, " ", path, ": ", strerror(err)));
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return absl::NotFoundError(absl::StrCat(path, " does not exist"));
    return ErrnoError("cannot open", path, errno);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      return ErrnoError("cannot read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

absl::StatusOr<TPM2B_PRIVATE> ParsePrivate(absl::string_view bytes) {
  TPM2B_PRIVATE priv = {};
  size_t offset = 0;
  TSS2_RC rc = Tss2_MU_TPM2B_PRIVATE_Unmarshal(
      reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &offset,
      &priv);
  if (rc != TSS2_RC_SUCCESS || offset != bytes.size()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("not a TPM2B_PRIVATE (%d bytes)", bytes.size()));
  }
  return priv;
}

absl::StatusOr<std::string> MarshalPrivate(const TPM2B_PRIVATE& priv) {
  uint8_t buf[sizeof(TPM2B_PRIVATE)];
  size_t offset = 0;
  TSS2_RC rc = Tss2_MU_TPM2B_PRIVATE_Marshal(&priv, buf, sizeof(buf), &offset);
  if (rc != TSS2_RC_SUCCESS) {
    return absl::InternalError("TPM2B_PRIVATE does not marshal");
  }
  return std::string(reinterpret_cast<char*>(buf), offset);
}

}  // namespace

absl::Status EnsureDirectory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::path p(dir);
  if (std::filesystem::is_directory(p, ec)) return absl::OkStatus();
  std::filesystem::path built;
  for (const auto& part : p) {
    built /= part;
    if (std::filesystem::is_directory(built, ec)) continue;
    if (mkdir(built.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoError("cannot create directory", built.string(), errno);
    }
  }
  return absl::OkStatus();
}

absl::Status WriteFileAtomic(const std::string& path, absl::string_view data,
                             mode_t mode) {
  std::string tmpl = absl::StrCat(path, ".tmp.XXXXXX");
  int fd = mkstemp(tmpl.data());
  if (fd < 0)
    return ErrnoError("cannot create temporary file for", path, errno);
  auto fail = [&](absl::string_view what) {
    int err = errno;
    close(fd);
    unlink(tmpl.c_str());
    return ErrnoError(what, path, err);
  };
  if (fchmod(fd, mode) != 0) return fail("cannot chmod temporary file for");
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write");
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) return fail("cannot fsync");
  if (close(fd) != 0) {
    int err = errno;
    unlink(tmpl.c_str());
    return ErrnoError("cannot close", path, err);
  }
  if (rename(tmpl.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmpl.c_str());
    return ErrnoError("cannot rename temporary file to", path, err);
  }
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = std::filesystem::path(".");
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return absl::OkStatus();
}

absl::StatusOr<SavedAk> ReadSavedAk(const std::string& dir) {
  const std::string pub_path = absl::StrCat(dir, "/", kAkPubFile);
  const std::string priv_path = absl::StrCat(dir, "/", kAkPrivFile);
  const std::string ek_path = absl::StrCat(dir, "/", kAkEkNameFile);
  ASSIGN_OR_RETURN(std::string pub, ReadWholeFile(pub_path));
  ASSIGN_OR_RETURN(std::string priv, ReadWholeFile(priv_path));
  ASSIGN_OR_RETURN(std::string ek_hex, ReadWholeFile(ek_path));
  SavedAk saved;
  auto parsed_pub = ParsePublic(pub);
  if (!parsed_pub.ok()) return Annotate(parsed_pub.status(), pub_path);
  saved.pub = *parsed_pub;
  auto parsed_priv = ParsePrivate(priv);
  if (!parsed_priv.ok()) return Annotate(parsed_priv.status(), priv_path);
  saved.priv = *parsed_priv;
  auto ek_name = HexDecode(absl::StripAsciiWhitespace(ek_hex));
  if (!ek_name.ok()) return Annotate(ek_name.status(), ek_path);
  saved.ek_name = *std::move(ek_name);
  return saved;
}

absl::Status WriteSavedAk(const std::string& dir, const SavedAk& ak) {
  ASSIGN_OR_RETURN(std::string pub, MarshalPublic(ak.pub));
  ASSIGN_OR_RETURN(std::string priv, MarshalPrivate(ak.priv));
  RETURN_IF_ERROR(
      WriteFileAtomic(absl::StrCat(dir, "/", kAkPubFile), pub, 0600));
  RETURN_IF_ERROR(
      WriteFileAtomic(absl::StrCat(dir, "/", kAkPrivFile), priv, 0600));
  return WriteFileAtomic(absl::StrCat(dir, "/", kAkEkNameFile),
                         HexEncode(ak.ek_name) + "\n", 0600);
}

}  // namespace vtpm::agent
