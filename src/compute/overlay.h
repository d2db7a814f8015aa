// Overlayfs mounts for instance root filesystems: image layers read-only below, the instance's
// root volume (upper + work) above. Launch is copy-free.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace stratus {

struct OverlaySpec {
  std::vector<std::string> lower_dirs;  // image layers, top layer first; at least one
  std::string upper_dir;                // the root volume's files (created if missing)
  std::string work_dir;                 // overlayfs scratch, same file system as upper (created if missing)
  std::string target;                   // mount point (created if missing)
};

// Mounts `spec`. AlreadyExists when something is already mounted at the target;
// InvalidArgument when the option string is too long for one mount(2) call.
Status MountOverlay(const OverlaySpec& spec);

// Unmounts whatever is mounted at `target`. OK when nothing is (idempotent). When the mount is
// busy it is detached lazily (MNT_DETACH) so the caller never blocks; the error is then logged.
Status UnmountOverlay(const std::string& target);

// True when `target` is a mount point (its device differs from its parent's).
// False when it does not exist.
bool IsMountPoint(const std::string& target);

// RAII: an overlay mount that is unmounted on destruction unless Release()d, so an error path of a
// launch never leaks a mount while a running instance keeps its root.
class ScopedOverlay {
 public:
  // Mounts `spec`; see MountOverlay.
  static Result<std::unique_ptr<ScopedOverlay>> Mount(const OverlaySpec& spec);
  ~ScopedOverlay();
  ScopedOverlay(const ScopedOverlay&) = delete;
  ScopedOverlay& operator=(const ScopedOverlay&) = delete;

  // Keeps the mount past this object's life (the instance owns it now).
  void Release() { released_ = true; }
  const std::string& target() const { return target_; }

 private:
  explicit ScopedOverlay(std::string target) : target_(std::move(target)) {}
  std::string target_;
  bool released_ = false;
};

}  // namespace stratus
