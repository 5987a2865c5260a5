#include "tests/load/proc_stats.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace vtpm::load {

absl::StatusOr<double> ProcessCpuSeconds(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(in, line)) {
    return absl::NotFoundError(absl::StrCat("no /proc/", pid, "/stat"));
  }
  // The command name may contain spaces: fields start after the last ')'.
  size_t close = line.rfind(')');
  if (close == std::string::npos) {
    return absl::InternalError("unexpected /proc/<pid>/stat format");
  }
  std::vector<std::string> fields =
      absl::StrSplit(line.substr(close + 2), ' ', absl::SkipEmpty());
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  uint64_t utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return absl::InternalError("unexpected /proc/<pid>/stat fields");
  }
  return static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK);
}

absl::StatusOr<int64_t> ProcessStatusField(pid_t pid, const std::string& name) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, name) || !absl::ConsumePrefix(&rest, ":")) {
      continue;
    }
    rest = absl::StripAsciiWhitespace(rest);
    absl::ConsumeSuffix(&rest, " kB");
    int64_t value = 0;
    if (!absl::SimpleAtoi(rest, &value)) {
      return absl::InternalError(absl::StrCat("bad ", name, " line: ", line));
    }
    return value;
  }
  return absl::NotFoundError(
      absl::StrCat("no ", name, " in /proc/", pid, "/status"));
}

double SelfCpuSeconds() {
  rusage ru = {};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

MachineFacts GetMachineFacts() {
  MachineFacts f;
  f.cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (absl::StartsWith(line, "model name")) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        f.cpu_model =
            std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
      }
      break;
    }
  }
  std::ifstream meminfo("/proc/meminfo");
  while (std::getline(meminfo, line)) {
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, "MemTotal:")) {
      rest = absl::StripAsciiWhitespace(rest);
      absl::ConsumeSuffix(&rest, " kB");
      (void)absl::SimpleAtoi(rest, &f.mem_total_kib);
      break;
    }
  }
  utsname u = {};
  if (uname(&u) == 0) f.kernel = absl::StrCat(u.sysname, " ", u.release);
  return f;
}

uint64_t RaiseFdLimit(uint64_t wanted) {
  rlimit lim = {};
  getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < wanted) {
    uint64_t nr_open = 1 << 20;
    std::ifstream in("/proc/sys/fs/nr_open");
    in >> nr_open;
    rlimit raised = {std::min<uint64_t>(wanted, nr_open),
                     std::min<uint64_t>(wanted, nr_open)};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return raised.rlim_cur;
  }
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
  getrlimit(RLIMIT_NOFILE, &lim);
  return lim.rlim_cur;
}

}  // namespace vtpm::load
