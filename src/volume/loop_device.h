// Loop devices over volume files: how a volume's file becomes the block device its filesystem lives on.
//
// Every loop device Stratus makes has LO_FLAGS_AUTOCLEAR: the kernel detaches it when its last user goes (the
// filesystem mounted from it is unmounted everywhere and the fd AttachLoop returned is closed). So a daemon
// that dies at any point, or an instance whose mount namespace goes away, leaves no loop device behind.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/fd.h"
#include "common/status.h"

namespace stratus {

struct LoopDevice {
  std::string path;  // "/dev/loop7"
  int major = 0, minor = 0;
};

// Attaches `file` to a free loop device (direct I/O when the file's filesystem allows it, so the data is not
// cached twice). The returned fd holds the device until it is closed.
Result<std::pair<UniqueFd, LoopDevice>> AttachLoop(const std::string& file);

// The loop devices whose backing file is `file` now (from sysfs).
std::vector<LoopDevice> LoopDevicesOf(const std::string& file);

// Tells a loop device that its file grew (LOOP_SET_CAPACITY), so the block device has the new size.
Status RefreshLoopCapacity(const LoopDevice& device);

}  // namespace stratus
