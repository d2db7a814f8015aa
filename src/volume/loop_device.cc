#include "volume/loop_device.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/files.h"

namespace stratus {

namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

Result<LoopDevice> DeviceOf(const std::string& path, int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return Internal(Errno("stat " + path));
  return LoopDevice{path, static_cast<int>(major(st.st_rdev)), static_cast<int>(minor(st.st_rdev))};
}

}  // namespace

Result<std::pair<UniqueFd, LoopDevice>> AttachLoop(const std::string& file) {
  UniqueFd backing(open(file.c_str(), O_RDWR | O_CLOEXEC));
  if (!backing.valid()) return Internal(Errno("open " + file));
  UniqueFd control(open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  if (!control.valid()) return Unavailable(Errno("open /dev/loop-control (is the loop module loaded?)"));
  // A free device can be taken by someone else between GET_FREE and CONFIGURE (EBUSY): try again, bounded.
  for (int attempt = 0; attempt < 16; ++attempt) {
    int n = ioctl(control.get(), LOOP_CTL_GET_FREE);
    if (n < 0) return ResourceExhausted(Errno("find a free loop device"));
    std::string path = "/dev/loop" + std::to_string(n);
    UniqueFd dev(open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!dev.valid()) return Internal(Errno("open " + path));
    loop_config config {};
    config.fd = static_cast<uint32_t>(backing.get());
    config.info.lo_flags = LO_FLAGS_AUTOCLEAR | LO_FLAGS_DIRECT_IO;
    std::strncpy(reinterpret_cast<char*>(config.info.lo_file_name), file.c_str(), LO_NAME_SIZE - 1);
    int rc = ioctl(dev.get(), LOOP_CONFIGURE, &config);
    if (rc != 0 && errno == EINVAL) {
      config.info.lo_flags = LO_FLAGS_AUTOCLEAR;  // the file's filesystem cannot do direct I/O
      rc = ioctl(dev.get(), LOOP_CONFIGURE, &config);
    }
    if (rc == 0) {
      STRATUS_ASSIGN_OR_RETURN(LoopDevice d, DeviceOf(path, dev.get()));
      return std::make_pair(std::move(dev), d);
    }
    if (errno != EBUSY) return Internal(Errno("attach " + file + " to " + path));
  }
  return Unavailable("no loop device stayed free long enough to attach " + file);
}

std::vector<LoopDevice> LoopDevicesOf(const std::string& file) {
  std::vector<LoopDevice> out;
  std::error_code ec;
  std::string want = std::filesystem::weakly_canonical(file, ec).string();
  for (const auto& entry : std::filesystem::directory_iterator("/sys/block", ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("loop", 0) != 0) continue;
    auto backing = ReadFile(entry.path().string() + "/loop/backing_file");
    if (!backing.ok() || Trim(*backing) != want) continue;
    auto dev = ReadFile(entry.path().string() + "/dev");  // "7:3"
    if (!dev.ok()) continue;
    LoopDevice d;
    d.path = "/dev/" + name;
    if (sscanf(dev->c_str(), "%d:%d", &d.major, &d.minor) != 2) continue;
    out.push_back(d);
  }
  return out;
}

Status RefreshLoopCapacity(const LoopDevice& device) {
  UniqueFd dev(open(device.path.c_str(), O_RDWR | O_CLOEXEC));
  if (!dev.valid()) return Internal(Errno("open " + device.path));
  if (ioctl(dev.get(), LOOP_SET_CAPACITY, 0) != 0) return Internal(Errno("resize " + device.path));
  return Status::Ok();
}

}  // namespace stratus
