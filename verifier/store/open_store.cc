#include "absl/strings/match.h"
#include "verifier/store/postgres_store.h"
#include "verifier/store/sqlite_store.h"
#include "verifier/store/store.h"

namespace vtpm::verifier {

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& url) {
  if (absl::StartsWith(url, "postgresql://") ||
      absl::StartsWith(url, "postgres://")) {
    return OpenPostgresStore(url);
  }
  std::string path = url;
  if (absl::StartsWith(path, "sqlite://")) {
    // sqlite:///abs/path (empty authority) or sqlite://rel/path.
    path = path.substr(9);
  } else if (absl::StartsWith(path, "sqlite:")) {
    path = path.substr(7);
  }
  if (path.empty()) {
    return absl::InvalidArgumentError("store URL " + url + " names no file");
  }
  return OpenSqliteStore(path);
}

}  // namespace vtpm::verifier
