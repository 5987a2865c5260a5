// Store on PostgreSQL (libpq), for several verifier replicas sharing one
// database.
#ifndef VTPM_VERIFIER_STORE_POSTGRES_STORE_H_
#define VTPM_VERIFIER_STORE_POSTGRES_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "verifier/store/store.h"

namespace vtpm::verifier {

// Opens a store on the database a libpq connection URI names
// ("postgresql://user@host:port/db?..."), applying schema migrations under
// an advisory lock so replicas starting together apply them once.
//
// The query parameter `pool_size=N` (1..256, default 8) sets how many
// connections the store keeps; it is removed before libpq sees the URI.
//
// Connections that break (server restart, network) are re-established on
// the next use and the statement is retried once: every write is either
// idempotent or runs in one transaction with an idempotency key, so a
// retry never applies a change twice. When the server stays unreachable
// methods return Unavailable. The store is thread-safe; up to pool_size
// calls run concurrently.
absl::StatusOr<std::unique_ptr<Store>> OpenPostgresStore(
    const std::string& uri);

// Splits `pool_size=N` out of a connection URI: returns the URI without it
// and N (`default_size` when absent). InvalidArgument for a bad N.
absl::StatusOr<std::pair<std::string, int>> SplitPoolSize(
    const std::string& uri, int default_size = 8);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_STORE_POSTGRES_STORE_H_
