#include "daemon/disk_usage.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <utility>

namespace stratus {

namespace {

namespace fs = std::filesystem;

// The kind a path under the state dir belongs to, from its first component (and name, for logs).
size_t KindOf(const fs::path& rel) {
  // Indexes into the kinds MeasureDiskUsage lists.
  enum { kStore, kImages, kInstances, kMetrics, kLogs, kOther };
  std::string first = rel.begin() == rel.end() ? "" : rel.begin()->string();
  std::string name = rel.filename().string();
  if (name == "console.log" || name.rfind("console.log.", 0) == 0 || first.rfind("stratus-lb.log", 0) == 0 ||
      first == "logs") {
    return kLogs;
  }
  if (first.rfind("stratus.db", 0) == 0) return kStore;
  if (first == "layers" || first == "build-cache") return kImages;
  if (first == "instances") return kInstances;
  if (first == "metrics") return kMetrics;
  return kOther;
}

}  // namespace

Result<DiskUsage> MeasureDiskUsage(const std::string& state_dir) {
  DiskUsage u;
  u.kinds = {{"store", "stratus.db and its WAL", 0},
             {"images", "layers/: image layers and the build cache", 0},
             {"instances", "instances/: root volumes (upper layers) of instances", 0},
             {"metrics", "metrics/: the CloudWatch metric store", 0},
             {"logs", "instance console logs, stratus-lb.log and access logs", 0},
             {"other", "everything else (network state, credentials, ...)", 0}};
  struct stat top;
  if (stat(state_dir.c_str(), &top) != 0) return Unavailable("state dir " + state_dir + ": " + strerror(errno));
  struct statvfs vfs;
  if (statvfs(state_dir.c_str(), &vfs) == 0) {
    u.filesystem_size = static_cast<int64_t>(vfs.f_blocks) * static_cast<int64_t>(vfs.f_frsize);
    u.filesystem_free = static_cast<int64_t>(vfs.f_bavail) * static_cast<int64_t>(vfs.f_frsize);
  }
  std::set<std::pair<dev_t, ino_t>> seen;
  std::error_code ec;
  fs::recursive_directory_iterator it(state_dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st;
    if (lstat(it->path().c_str(), &st) != 0) continue;  // gone meanwhile
    if (st.st_dev != top.st_dev) {
      // A mount (an instance's overlay root, a pool namespace file): its own upper dir is counted where it lies.
      if (S_ISDIR(st.st_mode)) it.disable_recursion_pending();
      continue;
    }
    if (!seen.insert({st.st_dev, st.st_ino}).second) continue;
    std::error_code rel_ec;
    u.kinds[KindOf(fs::relative(it->path(), state_dir, rel_ec))].bytes += static_cast<int64_t>(st.st_blocks) * 512;
  }
  if (ec) return Unavailable("state dir " + state_dir + ": " + ec.message());
  return u;
}

nlohmann::json ToJson(const DiskUsage& u) {
  nlohmann::json kinds = nlohmann::json::array();
  int64_t total = 0;
  for (const auto& k : u.kinds) {
    kinds.push_back({{"Kind", k.name}, {"Bytes", k.bytes}, {"What", k.what}});
    total += k.bytes;
  }
  return {{"Usage", kinds}, {"TotalBytes", total}, {"FilesystemBytes", u.filesystem_size},
          {"FilesystemFreeBytes", u.filesystem_free}};
}

}  // namespace stratus
