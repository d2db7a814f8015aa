#include "volume/xfs.h"

#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

#include "common/subprocess.h"

namespace stratus {

namespace {

// The kernel's uapi (fs/xfs/libxfs/xfs_fs.h), which Debian ships only with xfslibs-dev: the version 1 geometry
// (enough for the block size and the inode share) and the data-section grow request.
struct XfsGeometryV1 {
  uint32_t blocksize, rtextsize, agblocks, agcount, logblocks, sectsize, inodesize, imaxpct;
  uint64_t datablocks, rtblocks, rtextents, logstart;
  unsigned char uuid[16];
  uint32_t sunit, swidth;
  int32_t version;
  uint32_t flags, logsectsize, rtsectsize, dirblocksize;
};
static_assert(sizeof(XfsGeometryV1) == 112, "xfs_fsop_geom_v1 is 112 bytes");
struct XfsGrowData {
  uint64_t newblocks;
  uint32_t imaxpct;
};
constexpr unsigned long kGeometryV1 = _IOR('X', 100, XfsGeometryV1);
constexpr unsigned long kGrowData = _IOW('X', 110, XfsGrowData);

}  // namespace

Status GrowXfs(int fd, uint64_t size_bytes, const std::string& what) {
  XfsGeometryV1 geo {};
  if (ioctl(fd, kGeometryV1, &geo) != 0) return Internal("read the XFS geometry of " + what + ": " + std::strerror(errno));
  uint64_t blocks = size_bytes / geo.blocksize;
  if (blocks <= geo.datablocks) return Status::Ok();
  XfsGrowData grow{blocks, geo.imaxpct};  // the inode share stays as it was
  if (ioctl(fd, kGrowData, &grow) != 0) return Internal("grow the XFS filesystem of " + what + ": " + std::strerror(errno));
  return Status::Ok();
}

Status MakeXfs(const std::string& device_or_file) {
  // -K: no discard at mkfs (it would punch holes into a reserved file); reflink=1 (the default of recent
  // xfsprogs, said anyway) is what snapshots and restores are made of. 4 KiB sectors: a loop device with direct
  // I/O over a file in the pool reports 4 KiB logical blocks, and XFS refuses to mount a filesystem with smaller
  // sectors than its device's (the mount fails with ENOSYS); 4 KiB sectors mount on 512-byte devices too.
  return RunChecked({"mkfs.xfs", "-q", "-f", "-K", "-s", "size=4096", "-m", "reflink=1", device_or_file}, RunOptions{})
      .status();
}

}  // namespace stratus
