#include "proc_stats.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace payments::loadgen {

namespace {

std::int64_t status_kb(const std::string& status, const std::string& field) {
  const auto at = status.find(field + ":");
  if (at == std::string::npos) return 0;
  std::istringstream in(status.substr(at + field.size() + 1));
  std::int64_t kb = 0;
  in >> kb;
  return kb;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

double clock_ticks() { return static_cast<double>(sysconf(_SC_CLK_TCK)); }

}  // namespace

ProcessSample read_process(pid_t pid) {
  ProcessSample sample;
  const auto base = "/proc/" + std::to_string(pid);
  const auto stat = slurp(base + "/stat");
  const auto close_paren = stat.rfind(')');
  if (stat.empty() || close_paren == std::string::npos) return sample;
  // After "pid (comm)": state is field 3; utime and stime are fields 14 and 15.
  std::istringstream fields(stat.substr(close_paren + 2));
  std::vector<std::string> values;
  for (std::string v; fields >> v && values.size() < 13;) values.push_back(v);
  if (values.size() < 13) return sample;
  sample.alive = values[0] != "Z";
  sample.cpu_seconds = (std::stod(values[11]) + std::stod(values[12])) / clock_ticks();
  const auto status = slurp(base + "/status");
  sample.vm_hwm_kb = status_kb(status, "VmHWM");
  sample.vm_rss_kb = status_kb(status, "VmRSS");
  return sample;
}

double machine_busy_cpu_seconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;  // "cpu": the sum over all CPUs
  double busy = 0;
  for (int field = 0; field < 8; ++field) {
    double ticks = 0;
    in >> ticks;
    if (field != 3 && field != 4) busy += ticks;  // 3 idle, 4 iowait
  }
  return busy / clock_ticks();
}

MachineInfo read_machine() {
  MachineInfo info;
  info.cpus = sysconf(_SC_NPROCESSORS_ONLN);
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      info.cpu_model = line.substr(colon + 2);
      break;
    }
  }
  info.memory_kb = status_kb(slurp("/proc/meminfo"), "MemTotal");
  utsname name{};
  if (uname(&name) == 0) info.kernel = std::string(name.sysname) + " " + name.release;
  return info;
}

}  // namespace payments::loadgen
