// A volume's filesystem inside a running instance: formatted on first use, mounted into the instance's own
// mount namespace at /mnt/<device> while it runs, flushed and unmounted on detach, grown while mounted.
//
// The mount is made detached in the daemon (fsopen/fsmount: it is in no mount table) and moved into the
// instance's namespace by a short-lived thread that joins it (setns), so the host's mount table never holds
// a volume and nothing propagates to the host or to other instances. When the instance stops, its namespace
// goes away with the mount; the loop device under it then detaches itself (loop_device.h).
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace stratus {

// The filesystem type on `device` ("xfs", or whatever a user made); when it holds none (a new, empty volume),
// formats it as XFS first (xfs.h says why XFS) and returns "xfs".
Result<std::string> EnsureFilesystem(const std::string& device);

// Mounts the `fstype` filesystem on block device `device` at `target` (an absolute path such as "/mnt/sdf",
// created when missing) inside the mount namespace of process `pid`. AlreadyExists when something is mounted
// at `target` there.
Status MountInto(int pid, const std::string& device, const std::string& fstype, const std::string& target);

// Flushes (syncfs) and unmounts `target` in `pid`'s mount namespace, then removes the empty directory.
// When files are open on it: with `force` the unmount is lazy (the filesystem goes once they are closed),
// without it FailedPrecondition (VolumeInUse... busy) and nothing changes. OK when nothing is mounted there.
Status UnmountFrom(int pid, const std::string& target, bool force);

// Grows the XFS filesystem mounted at `target` in `pid`'s namespace to `size_bytes` (its device must
// already have that size), online.
Status GrowFilesystemIn(int pid, const std::string& target, uint64_t size_bytes);

// Whether `target` is a mount point in `pid`'s mount namespace (from /proc/PID/mountinfo).
Result<bool> MountedIn(int pid, const std::string& target);

}  // namespace stratus
