#include "verifier/policy/policy_registry.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/hex.h"
#include "common/status_macros.h"

namespace vtpm::verifier {
namespace {

namespace v1 = ::vtpm_attest::v1;

constexpr char kStoredSource[] = "stored";

std::string Sha256Hex(const std::string& text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr) !=
      1) {
    return "";
  }
  return vtpm::HexEncode(
      absl::string_view(reinterpret_cast<const char*>(md), len));
}

absl::StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int64_t MtimeUnix(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtime);
}

// Every parse error of a policy is the caller's input at fault.
absl::Status AsInvalidArgument(const absl::Status& s) {
  if (s.ok() || s.code() == absl::StatusCode::kInvalidArgument) return s;
  return absl::InvalidArgumentError(s.message());
}

}  // namespace

absl::StatusOr<std::unique_ptr<PolicyRegistry>> PolicyRegistry::Create(
    const std::string& policy_dir, Store* store) {
  if (store == nullptr) {
    return absl::InvalidArgumentError("policy registry needs a store");
  }
  std::unique_ptr<PolicyRegistry> r(new PolicyRegistry(policy_dir, store));
  ASSIGN_OR_RETURN(Built built, r->Build({}));
  r->Install(std::move(built));
  return r;
}

absl::StatusOr<PolicyRegistry::Built> PolicyRegistry::Build(
    const std::vector<Entry>& previous) const {
  Built out;
  // The revision is read before the policies so a PutPolicy racing with
  // this build is picked up by the next PollOnce.
  ASSIGN_OR_RETURN(out.revision, store_->PolicyRevision());

  std::map<std::string, Entry> by_name;
  if (!policy_dir_.empty()) {
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(policy_dir_, ec)) {
      if (e.path().extension() == ".json") files.push_back(e.path().string());
    }
    if (ec) {
      return absl::NotFoundError(absl::StrCat("cannot list policy directory ",
                                              policy_dir_, ": ", ec.message()));
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      ASSIGN_OR_RETURN(std::string text, ReadText(f));
      ASSIGN_OR_RETURN(
          Policy p,
          ParsePolicy(text, f, std::filesystem::path(f).stem().string()));
      if (by_name.count(p.name()) != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "two policies are named '", p.name(), "' (",
            by_name[p.name()].info.source(), " and file:", f, ")"));
      }
      Entry e;
      e.info.set_source(absl::StrCat("file:", f));
      e.info.set_sha256(Sha256Hex(text));
      e.info.set_updated_unix(MtimeUnix(f));
      *e.info.mutable_policy() = std::move(p);
      by_name[e.info.policy().name()] = std::move(e);
    }
  }

  ASSIGN_OR_RETURN(std::vector<StoredPolicy> stored,
                   store_->ListStoredPolicies());
  for (const StoredPolicy& sp : stored) {
    std::string source = absl::StrCat("stored policy '", sp.name, "'");
    absl::StatusOr<Policy> p = ParsePolicy(sp.json, source, sp.name);
    if (p.ok() && p->name() != sp.name) {
      p = absl::InvalidArgumentError(absl::StrCat(
          source, ": name: is '", p->name(), "', stored as '", sp.name, "'"));
    }
    if (!p.ok()) {
      std::string problem = absl::StrCat(std::string(p.status().message()),
                                         " (revision ", sp.revision, ")");
      // Keep the last good stored version of this policy, if there was one.
      auto prev =
          std::find_if(previous.begin(), previous.end(), [&](const Entry& e) {
            return e.info.policy().name() == sp.name &&
                   e.info.source() == kStoredSource;
          });
      if (prev != previous.end()) {
        by_name[sp.name] = *prev;
        absl::StrAppend(&problem, "; keeping the last good version");
      } else if (by_name.count(sp.name) != 0) {
        absl::StrAppend(&problem, "; the file policy of that name applies");
      } else {
        absl::StrAppend(&problem, "; the policy is not in force");
      }
      out.problems.push_back(std::move(problem));
      continue;
    }
    Entry e;
    e.info.set_source(kStoredSource);
    e.info.set_sha256(Sha256Hex(sp.json));
    e.info.set_updated_unix(sp.updated_unix);
    *e.info.mutable_policy() = *std::move(p);
    by_name[sp.name] = std::move(e);
  }

  std::vector<Policy> policies;
  for (auto& [name, e] : by_name) {
    policies.push_back(e.info.policy());
    out.entries.push_back(std::move(e));
  }
  if (policies.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no policy: no *.json file in '", policy_dir_, "' and none stored"));
  }
  ASSIGN_OR_RETURN(PolicySet set, PolicySet::FromPolicies(std::move(policies)));
  out.set = std::make_shared<const PolicySet>(std::move(set));
  return out;
}

void PolicyRegistry::Install(Built built) {
  for (const auto& p : built.problems) {
    std::fprintf(stderr, "policy registry: %s\n", p.c_str());
  }
  std::lock_guard<std::mutex> lock(mu_);
  entries_ = std::move(built.entries);
  set_ = std::move(built.set);
  problems_ = std::move(built.problems);
  revision_ = built.revision;
}

std::shared_ptr<const PolicySet> PolicyRegistry::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return set_;
}

absl::Status PolicyRegistry::Reload() {
  std::lock_guard<std::mutex> reload(reload_mu_);
  std::vector<Entry> previous;
  {
    std::lock_guard<std::mutex> lock(mu_);
    previous = entries_;
  }
  absl::StatusOr<Built> built = Build(previous);
  if (!built.ok()) {
    return Annotate(built.status(),
                    "policy reload failed, the previous policies stay");
  }
  Install(*std::move(built));
  return absl::OkStatus();
}

absl::StatusOr<v1::PolicyInfo> PolicyRegistry::Apply(const std::string& json,
                                                     const std::string& name,
                                                     const std::string& actor,
                                                     bool dry_run) {
  absl::StatusOr<Policy> p = ParsePolicy(json, "policy", name);
  if (!p.ok()) return AsInvalidArgument(p.status());
  if (p->name().empty()) {
    return absl::InvalidArgumentError(
        "policy: name: missing (give \"name\" in the JSON or a name with the "
        "request)");
  }
  if (!name.empty() && p->name() != name) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy: name: the JSON names '", p->name(),
                     "' but the request names '", name, "'"));
  }
  v1::PolicyInfo info;
  info.set_sha256(Sha256Hex(json));
  info.set_updated_unix(absl::ToUnixSeconds(absl::Now()));
  *info.mutable_policy() = *p;
  if (dry_run) {
    info.set_source("dry-run (not stored)");
    return info;
  }
  StoredPolicy sp;
  sp.name = p->name();
  sp.json = json;
  sp.updated_unix = info.updated_unix();
  sp.actor = actor;
  RETURN_IF_ERROR_CTX(store_->PutPolicy(sp), "storing the policy");
  info.set_source(kStoredSource);
  RETURN_IF_ERROR(Reload());
  return info;
}

std::vector<v1::PolicyInfo> PolicyRegistry::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<v1::PolicyInfo> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.push_back(e.info);
  return out;
}

absl::StatusOr<bool> PolicyRegistry::PollOnce() {
  ASSIGN_OR_RETURN(int64_t rev, store_->PolicyRevision());
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (rev == revision_) return false;
  }
  RETURN_IF_ERROR(Reload());
  return true;
}

std::vector<std::string> PolicyRegistry::Problems() const {
  std::lock_guard<std::mutex> lock(mu_);
  return problems_;
}

}  // namespace vtpm::verifier
