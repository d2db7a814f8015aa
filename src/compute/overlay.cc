#include "compute/overlay.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/files.h"
#include "common/log.h"

namespace stratus {
namespace {

// mount(2) copies at most one page of option data.
constexpr size_t kMaxMountData = 4000;

Status EnsureDir(const std::string& path) {
  if (mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return Status::Ok();
  return MakeDirs(path);
}

}  // namespace

bool IsMountPoint(const std::string& target) {
  struct stat st, parent;
  if (stat(target.c_str(), &st) != 0) return false;
  if (stat((target + "/..").c_str(), &parent) != 0) return false;
  return st.st_dev != parent.st_dev || st.st_ino == parent.st_ino;
}

Status MountOverlay(const OverlaySpec& spec) {
  if (spec.lower_dirs.empty()) return InvalidArgument("overlay needs at least one lower layer");
  std::string lower;
  for (const auto& l : spec.lower_dirs) {
    if (l.find_first_of(":,") != std::string::npos) {
      return InvalidArgument("layer path " + l + " contains ':' or ',' which overlayfs cannot take");
    }
    lower += (lower.empty() ? "" : ":") + l;
  }
  std::string data = "lowerdir=" + lower + ",upperdir=" + spec.upper_dir + ",workdir=" + spec.work_dir;
  if (data.size() > kMaxMountData) {
    return InvalidArgument("overlay options are " + std::to_string(data.size()) + " bytes for " +
                           std::to_string(spec.lower_dirs.size()) + " layers; the limit is " +
                           std::to_string(kMaxMountData));
  }
  STRATUS_RETURN_IF_ERROR(EnsureDir(spec.upper_dir));
  STRATUS_RETURN_IF_ERROR(EnsureDir(spec.work_dir));
  STRATUS_RETURN_IF_ERROR(EnsureDir(spec.target));
  if (IsMountPoint(spec.target)) return AlreadyExists("something is already mounted at " + spec.target);
  if (mount("overlay", spec.target.c_str(), "overlay", MS_NODEV, data.c_str()) != 0) {
    int err = errno;
    std::string missing;
    for (const auto& l : spec.lower_dirs) {
      if (!PathExists(l)) missing = " (layer " + l + " does not exist)";
    }
    return Internal("mount overlay at " + spec.target + ": " + strerror(err) + missing);
  }
  return Status::Ok();
}

Status UnmountOverlay(const std::string& target) {
  for (int i = 0; i < 8 && IsMountPoint(target); i++) {  // stacked mounts: peel them all
    if (umount2(target.c_str(), UMOUNT_NOFOLLOW) == 0) continue;
    if (errno == EINVAL || errno == ENOENT) return Status::Ok();
    if (errno == EBUSY) {
      LogWarn("overlay busy; detaching lazily", {{"target", target}});
      if (umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) continue;
    }
    return Internal("unmount " + target + ": " + strerror(errno));
  }
  return Status::Ok();
}

Result<std::unique_ptr<ScopedOverlay>> ScopedOverlay::Mount(const OverlaySpec& spec) {
  STRATUS_RETURN_IF_ERROR(MountOverlay(spec));
  return std::unique_ptr<ScopedOverlay>(new ScopedOverlay(spec.target));
}

ScopedOverlay::~ScopedOverlay() {
  if (released_) return;
  Status st = UnmountOverlay(target_);
  if (!st.ok()) LogError("cannot unmount overlay", {{"target", target_}, {"error", st.message()}});
}

}  // namespace stratus
