// Store on an embedded SQLite file (WAL mode), the verifier's default.
#ifndef VTPM_VERIFIER_STORE_SQLITE_STORE_H_
#define VTPM_VERIFIER_STORE_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "verifier/store/store.h"

namespace vtpm::verifier {

// Opens (creating if needed) the database at `path` and applies schema
// migrations. The returned store is safe to use from several threads.
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_STORE_SQLITE_STORE_H_
