#include "verifier/ek/trust_store.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace vtpm::verifier {
namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxFileSize = 4 << 20;
constexpr absl::string_view kCertExtensions[] = {".pem", ".crt", ".der",
                                                 ".cer"};

bool IsCertificateFile(const fs::path& path) {
  std::string ext = absl::AsciiStrToLower(path.extension().string());
  return std::find(std::begin(kCertExtensions), std::end(kCertExtensions),
                   ext) != std::end(kCertExtensions);
}

absl::StatusOr<std::string> ReadSmallFile(const fs::path& path) {
  std::error_code ec;
  std::uintmax_t size = fs::file_size(path, ec);
  if (ec) {
    return absl::NotFoundError(absl::StrCat(path.string(), ": ", ec.message()));
  }
  if (size > kMaxFileSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(path.string(), ": ", size,
                     " bytes is more than the limit of ", kMaxFileSize));
  }
  std::ifstream in(path, std::ios::binary);
  std::string data(size, '\0');
  if (!in || !in.read(data.data(), static_cast<std::streamsize>(size))) {
    return absl::NotFoundError(absl::StrCat(path.string(), ": cannot read"));
  }
  return data;
}

// Counts the PEM certificate blocks, so that a file whose second
// certificate is corrupt is an error rather than silently one cert shorter.
int CountPemCertificates(absl::string_view pem) {
  int n = 0;
  for (absl::string_view marker :
       {"-----BEGIN CERTIFICATE-----", "-----BEGIN X509 CERTIFICATE-----"}) {
    for (size_t pos = pem.find(marker); pos != absl::string_view::npos;
         pos = pem.find(marker, pos + marker.size())) {
      ++n;
    }
  }
  return n;
}

absl::StatusOr<std::vector<X509Ptr>> ParseCertificateFile(
    const fs::path& path) {
  ASSIGN_OR_RETURN(std::string data, ReadSmallFile(path));
  std::vector<X509Ptr> certs;
  if (absl::StrContains(data, "-----BEGIN")) {
    auto pem = ParsePemCertificates(data);
    if (!pem.ok()) return Annotate(pem.status(), path.string());
    int blocks = CountPemCertificates(data);
    if (static_cast<int>(pem->size()) != blocks) {
      return absl::InvalidArgumentError(absl::StrCat(
          path.string(), ": ", blocks, " PEM certificate blocks but only ",
          pem->size(), " parse"));
    }
    certs = std::move(*pem);
  } else {
    auto der = ParseDerCertificate(data);
    if (!der.ok()) return Annotate(der.status(), path.string());
    certs.push_back(std::move(*der));
  }
  for (size_t i = 0; i < certs.size(); ++i) {
    X509* cert = certs[i].get();
    std::string where = absl::StrCat(path.string(), " certificate #", i + 1);
    if (X509_check_ca(cert) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": not a CA certificate"));
    }
    if (X509_self_signed(cert, /*verify_signature=*/0) == 1 &&
        X509_self_signed(cert, /*verify_signature=*/1) != 1) {
      ERR_clear_error();
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": self-signed certificate whose signature does not verify"));
    }
  }
  return certs;
}

TrustStore::Platform BuildPlatform(std::string name,
                                   std::vector<X509Ptr> certs) {
  TrustStore::Platform p;
  p.name = std::move(name);
  p.store.reset(X509_STORE_new());
  for (X509Ptr& cert : certs) {
    if (p.store) X509_STORE_add_cert(p.store.get(), cert.get());
    if (X509_self_signed(cert.get(), 0) == 1) {
      p.anchors.push_back(std::move(cert));
    } else {
      p.intermediates.push_back(std::move(cert));
    }
  }
  ERR_clear_error();
  return p;
}

}  // namespace

TrustStore::TrustStore() : platforms_(std::make_shared<PlatformMap>()) {}

absl::StatusOr<TrustStore> TrustStore::LoadDirectory(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(
        absl::StrCat("EK trust store ", dir, " is not a directory"));
  }
  std::vector<fs::path> platform_dirs;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (absl::StartsWith(name, ".")) continue;
    std::error_code entry_ec;  // unreadable entries are skipped
    if (fs::is_directory(it->path(), entry_ec)) {
      platform_dirs.push_back(it->path());
    }
  }
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat("listing EK trust store ", dir, ": ", ec.message()));
  }
  if (platform_dirs.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "EK trust store ", dir, " has no platform subdirectories"));
  }
  std::sort(platform_dirs.begin(), platform_dirs.end());

  auto map = std::make_shared<PlatformMap>();
  for (const fs::path& pdir : platform_dirs) {
    std::vector<fs::path> files;
    for (fs::directory_iterator it(pdir, ec), end; !ec && it != end;
         it.increment(ec)) {
      if (absl::StartsWith(it->path().filename().string(), ".")) continue;
      std::error_code entry_ec;
      if (IsCertificateFile(it->path()) &&
          fs::is_regular_file(it->path(), entry_ec)) {
        files.push_back(it->path());
      }
    }
    if (ec) {
      return absl::NotFoundError(
          absl::StrCat("listing ", pdir.string(), ": ", ec.message()));
    }
    std::sort(files.begin(), files.end());
    std::vector<X509Ptr> certs;
    for (const fs::path& file : files) {
      ASSIGN_OR_RETURN(std::vector<X509Ptr> more, ParseCertificateFile(file));
      for (X509Ptr& c : more) certs.push_back(std::move(c));
    }
    std::string name = pdir.filename().string();
    Platform p = BuildPlatform(name, std::move(certs));
    if (!p.store) return absl::ResourceExhaustedError("X509_STORE_new");
    if (p.anchors.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "EK trust store platform ", pdir.string(),
          " has no self-signed root certificate (.pem/.crt/.der/.cer)"));
    }
    map->emplace(name, std::move(p));
  }
  return TrustStore(std::move(map));
}

TrustStore TrustStore::FromCertificates(
    std::map<std::string, std::vector<X509Ptr>> certs) {
  auto map = std::make_shared<PlatformMap>();
  for (auto& [name, list] : certs) {
    map->emplace(name, BuildPlatform(name, std::move(list)));
  }
  return TrustStore(std::move(map));
}

std::vector<std::string> TrustStore::platforms() const {
  std::vector<std::string> names;
  for (const auto& [name, p] : *platforms_) names.push_back(name);
  return names;
}

const TrustStore::Platform* TrustStore::platform(absl::string_view name) const {
  auto it = platforms_->find(name);
  return it == platforms_->end() ? nullptr : &it->second;
}

}  // namespace vtpm::verifier
