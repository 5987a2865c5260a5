// Load testing: what /proc and the kernel say about a process and the
// machine.
#ifndef VTPM_TESTS_LOAD_PROC_STATS_H_
#define VTPM_TESTS_LOAD_PROC_STATS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace vtpm::load {

// utime + stime of `pid` in seconds (/proc/<pid>/stat fields 14 and 15).
absl::StatusOr<double> ProcessCpuSeconds(pid_t pid);

// A "Name:   123 kB" field of /proc/<pid>/status in KiB (VmRSS, VmHWM), or
// a plain count ("Threads").
absl::StatusOr<int64_t> ProcessStatusField(pid_t pid, const std::string& name);

// user + system CPU seconds of this process (getrusage).
double SelfCpuSeconds();

struct MachineFacts {
  int cpus = 0;           // online CPUs (nproc)
  std::string cpu_model;  // first "model name" of /proc/cpuinfo
  int64_t mem_total_kib = 0;
  std::string kernel;  // uname -sr
};
MachineFacts GetMachineFacts();

// Raises RLIMIT_NOFILE to at least `wanted` if it can (the hard limit too
// when running with CAP_SYS_RESOURCE, up to /proc/sys/fs/nr_open), and
// otherwise to the hard limit. Returns the soft limit now in force.
uint64_t RaiseFdLimit(uint64_t wanted);

}  // namespace vtpm::load

#endif  // VTPM_TESTS_LOAD_PROC_STATS_H_
