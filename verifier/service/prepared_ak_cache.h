// Keeps the OpenSSL form of recently seen AKs, so a quote from a known AK
// costs one signature verification and not a key import as well (key
// import and, for RSA, Montgomery setup are ~30% of a verification).
#ifndef VTPM_VERIFIER_SERVICE_PREPARED_AK_CACHE_H_
#define VTPM_VERIFIER_SERVICE_PREPARED_AK_CACHE_H_

#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "verifier/quote/prepared_ak.h"

namespace vtpm::verifier {

// Thread-safe LRU cache keyed by the AK's marshaled public area (the whole
// key material, so two different keys never share an entry).
class PreparedAkCache {
 public:
  explicit PreparedAkCache(size_t capacity) : capacity_(capacity) {}

  // The prepared AK for `public_area` (TPM2B_PUBLIC bytes) whose parsed
  // form is `pub`; prepares and caches it on a miss. Errors are those of
  // PreparedAk::FromPublic.
  absl::StatusOr<std::shared_ptr<const PreparedAk>> Get(
      const std::string& public_area, const TPMT_PUBLIC& pub);

  size_t size() const;

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const PreparedAk>>;
  size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // front = most recent
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_SERVICE_PREPARED_AK_CACHE_H_
