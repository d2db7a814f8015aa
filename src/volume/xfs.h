// XFS, the filesystem of every volume and of the volume pool (volume_pool.h): growing one while it is mounted.
//
// XFS rather than ext4 because online growth is the point of ModifyVolume: XFS's grow ioctl needs
// CAP_SYS_ADMIN, which stratusd has, while ext4's (EXT4_IOC_RESIZE_FS) needs CAP_SYS_RESOURCE, which hosts
// that run stratusd in a container or sandbox commonly drop from root's bounding set.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace stratus {

// Grows the XFS filesystem that `fd` (any file or directory on it) belongs to so that it fills `size_bytes` of
// its (already grown) block device. OK when it is that large already; `what` names it in errors.
Status GrowXfs(int fd, uint64_t size_bytes, const std::string& what);

// Makes an XFS filesystem with reflinks on `device_or_file` (mkfs.xfs; discards off so a reserved file keeps
// its blocks).
Status MakeXfs(const std::string& device_or_file);

}  // namespace stratus
