// The verifier's EK trust store: per-platform sets of CA certificates that
// EK certificates must chain to.
//
// Layout on disk (LoadDirectory):
//   DIR/<platform>/<file>.{pem,crt,der,cer}
// Each subdirectory of DIR is one platform ("libvirt", "vsphere", "gcp",
// ...). Its certificate files hold CA certificates: PEM (one or more
// certificates per file) or DER (exactly one). The encoding is detected from
// the contents, so a PEM ".cer" works. Self-signed certificates are the
// platform's trust anchors; the others are trusted intermediates, which may
// be used to build a path but never end one: every accepted path ends at a
// self-signed anchor of the same platform (X509_V_FLAG_PARTIAL_CHAIN is not
// used). Names starting with '.' are skipped (Kubernetes ConfigMap mounts
// create "..data" links), as are files with other extensions.
#ifndef VTPM_VERIFIER_EK_TRUST_STORE_H_
#define VTPM_VERIFIER_EK_TRUST_STORE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/ossl.h"

namespace vtpm::verifier {

class TrustStore {
 public:
  // The CA certificates of one platform.
  struct Platform {
    std::string name;
    std::vector<X509Ptr> anchors;        // self-signed
    std::vector<X509Ptr> intermediates;  // everything else
    // An X509_STORE holding anchors and intermediates, built once and shared
    // by concurrent verifications (X509_STORE lookups are locked).
    X509StorePtr store;
  };

  // Loads the layout described above. Fails (InvalidArgument/NotFound, the
  // message naming the file or directory) when `dir` is missing or has no
  // platform subdirectories, a certificate file does not parse, a file is
  // larger than 4 MiB, a certificate is not a CA certificate (basic
  // constraints CA:TRUE, or a v1 self-signed root), a self-signed
  // certificate's signature does not verify, or a platform has no
  // self-signed anchor (it could never accept anything).
  static absl::StatusOr<TrustStore> LoadDirectory(const std::string& dir);

  // Builds a store from certificates already in memory, classified as above.
  // Performs no validation: a platform without anchors accepts nothing.
  static TrustStore FromCertificates(
      std::map<std::string, std::vector<X509Ptr>> certs);

  // An empty store (accepts nothing).
  TrustStore();

  // Platform names, sorted.
  std::vector<std::string> platforms() const;

  // The platform named `name`, or nullptr. The pointer lives as long as any
  // copy of this store.
  const Platform* platform(absl::string_view name) const;

 private:
  using PlatformMap = std::map<std::string, Platform, std::less<>>;
  explicit TrustStore(std::shared_ptr<const PlatformMap> platforms)
      : platforms_(std::move(platforms)) {}
  // Immutable after construction; copies of a TrustStore share it.
  std::shared_ptr<const PlatformMap> platforms_;
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_EK_TRUST_STORE_H_
