#include "compute/testing/busybox_rootfs.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <vector>

#include "common/files.h"
#include "common/subprocess.h"

namespace stratus::testing {

bool CanRunInstances(std::string* why_not) {
  if (geteuid() != 0) {
    *why_not = "needs root";
    return false;
  }
  if (!PathExists(kHostBusybox)) {
    *why_not = "needs /bin/busybox (Debian busybox-static)";
    return false;
  }
  auto r = RunProcess({"runc", "--version"});
  if (!r.ok() || r->exit_code != 0) {
    *why_not = "needs runc in PATH";
    return false;
  }
  return true;
}

Status BuildBusyboxRootfs(const std::string& dir) {
  for (const char* d : {"bin", "sbin", "usr/bin", "usr/sbin", "etc", "root", "tmp", "var/lib", "proc", "sys", "dev", "run"}) {
    STRATUS_RETURN_IF_ERROR(MakeDirs(dir + "/" + d));
  }
  chmod((dir + "/tmp").c_str(), 01777);
  std::string bb = dir + "/bin/busybox";
  if (!PathExists(bb)) {
    STRATUS_ASSIGN_OR_RETURN(std::string bin, ReadFile(kHostBusybox));
    STRATUS_RETURN_IF_ERROR(WriteFileAtomic(bb, bin, 0755));
  }
  STRATUS_ASSIGN_OR_RETURN(ProcessResult list, RunChecked({kHostBusybox, "--list-full"}));
  std::stringstream ss(list.out);
  std::string applet;
  while (std::getline(ss, applet)) {
    if (applet.empty() || applet == "bin/busybox") continue;
    std::string link = dir + "/" + applet;
    if (symlink("/bin/busybox", link.c_str()) != 0 && errno != EEXIST) {
      return Internal("symlink " + link + ": " + strerror(errno));
    }
  }
  STRATUS_RETURN_IF_ERROR(WriteFileAtomic(dir + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"));
  return WriteFileAtomic(dir + "/etc/group", "root:x:0:\n");
}

void UnmountAllUnder(const std::string& prefix) {
  auto mounts = ReadFile("/proc/self/mounts");
  if (!mounts.ok()) return;
  std::vector<std::string> targets;
  std::stringstream ss(*mounts);
  std::string line;
  while (std::getline(ss, line)) {
    std::stringstream ls(line);
    std::string dev, dir;
    ls >> dev >> dir;
    if (dir.rfind(prefix, 0) == 0) targets.push_back(dir);
  }
  std::sort(targets.begin(), targets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& t : targets) umount2(t.c_str(), MNT_DETACH);
}

}  // namespace stratus::testing
