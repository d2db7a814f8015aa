#include "volume/io_limits.h"

#include <sstream>
#include <string>

#include "common/files.h"

namespace stratus {

namespace {

// The cgroup path of `pid` for controller `name` ("blkio"), or for the unified hierarchy when `name` is "".
Result<std::string> CgroupOf(int pid, const std::string& name) {
  STRATUS_ASSIGN_OR_RETURN(std::string text, ReadFile("/proc/" + std::to_string(pid) + "/cgroup"));
  std::stringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    // "7:blkio:/stratus/i-0abc" (v1) or "0::/stratus/i-0abc" (v2)
    auto first = line.find(':');
    auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    std::string controllers = line.substr(first + 1, second - first - 1);
    std::stringstream list(controllers);
    for (std::string c; std::getline(list, c, ',');) {
      if (c == name) return line.substr(second + 1);
    }
    if (name.empty() && controllers.empty()) return line.substr(second + 1);
  }
  return NotFound("process " + std::to_string(pid) + " has no " + (name.empty() ? "unified" : name) + " cgroup");
}

Status WriteValue(const std::string& path, const std::string& value) {
  // Kernel control files take one write; WriteFileAtomic would rename over them.
  FILE* f = fopen(path.c_str(), "we");
  if (!f) return Unavailable("open " + path);
  bool ok = fputs(value.c_str(), f) >= 0;
  ok = (fclose(f) == 0) && ok;
  if (!ok) return Internal("write '" + value + "' to " + path);
  return Status::Ok();
}

}  // namespace

Status LimitDeviceIo(int pid, const LoopDevice& device, int64_t iops, int64_t mib_per_s) {
  std::string dev = std::to_string(device.major) + ":" + std::to_string(device.minor);
  int64_t bps = mib_per_s * 1024 * 1024;
  if (auto v1 = CgroupOf(pid, "blkio"); v1.ok()) {
    std::string dir = "/sys/fs/cgroup/blkio" + *v1;
    for (const char* dir_name : {"read", "write"}) {
      STRATUS_RETURN_IF_ERROR(
          WriteValue(dir + "/blkio.throttle." + dir_name + "_iops_device", dev + " " + std::to_string(iops)));
      STRATUS_RETURN_IF_ERROR(
          WriteValue(dir + "/blkio.throttle." + dir_name + "_bps_device", dev + " " + std::to_string(bps)));
    }
    return Status::Ok();
  }
  STRATUS_ASSIGN_OR_RETURN(std::string v2, CgroupOf(pid, ""));
  auto value = [](int64_t n) { return n > 0 ? std::to_string(n) : std::string("max"); };
  return WriteValue("/sys/fs/cgroup" + v2 + "/io.max", dev + " riops=" + value(iops) + " wiops=" + value(iops) +
                                                           " rbps=" + value(bps) + " wbps=" + value(bps));
}

}  // namespace stratus
