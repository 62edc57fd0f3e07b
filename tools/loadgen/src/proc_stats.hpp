#pragma once
// What /proc says about the processes under test and the machine: CPU seconds (utime + stime), peak and
// current resident memory, and the machine's description for the report.

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace payments::loadgen {

struct ProcessSample {
  bool alive = false;
  double cpu_seconds = 0;    // utime + stime of /proc/<pid>/stat
  std::int64_t vm_hwm_kb = 0;  // peak resident set (VmHWM)
  std::int64_t vm_rss_kb = 0;
};
ProcessSample read_process(pid_t pid);

// Busy CPU seconds of the whole machine since boot (every state but idle and iowait), from /proc/stat.
double machine_busy_cpu_seconds();

struct MachineInfo {
  long cpus = 0;  // nproc
  std::string cpu_model;
  std::int64_t memory_kb = 0;
  std::string kernel;
};
MachineInfo read_machine();

}  // namespace payments::loadgen
