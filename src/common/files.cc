#include "common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/fd.h"

namespace stratus {

namespace fs = std::filesystem;

Result<std::string> ReadFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return NotFound(path + " does not exist");
    return Internal("open " + path + ": " + strerror(errno));
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t r = read(fd.get(), buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Internal("read " + path + ": " + strerror(errno));
    if (r == 0) break;
    out.append(buf, static_cast<size_t>(r));
  }
  return out;
}

Status WriteFileAtomic(const std::string& path, const std::string& data, int mode) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd.valid()) return Internal("create " + tmp + ": " + strerror(errno));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t w = write(fd.get(), data.data() + off, data.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      Status st = Internal("write " + tmp + ": " + strerror(errno));
      unlink(tmp.c_str());
      return st;
    }
    off += static_cast<size_t>(w);
  }
  if (fsync(fd.get()) != 0) {
    unlink(tmp.c_str());
    return Internal("fsync " + tmp + ": " + strerror(errno));
  }
  fd.reset();
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return Internal("rename " + tmp + ": " + strerror(errno));
  }
  return Status::Ok();
}

Status MakeDirs(const std::string& path, int mode) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return Internal("mkdir " + path + ": " + ec.message());
  chmod(path.c_str(), static_cast<mode_t>(mode));
  return Status::Ok();
}

namespace {

Status RemoveTree(const std::string& path, dev_t dev) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return errno == ENOENT ? Status::Ok() : Internal("stat " + path + ": " + strerror(errno));
  if (S_ISDIR(st.st_mode)) {
    if (st.st_dev != dev) return FailedPrecondition(path + " is a mount point; unmount it first");
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      STRATUS_RETURN_IF_ERROR(RemoveTree(entry.path().string(), dev));
    }
    if (ec) return Internal("list " + path + ": " + ec.message());
    if (rmdir(path.c_str()) != 0 && errno != ENOENT) return Internal("rmdir " + path + ": " + strerror(errno));
    return Status::Ok();
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return Internal("unlink " + path + ": " + strerror(errno));
  return Status::Ok();
}

}  // namespace

Status RemoveAll(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return errno == ENOENT ? Status::Ok() : Internal("stat " + path + ": " + strerror(errno));
  return RemoveTree(path, st.st_dev);
}

bool PathExists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

}  // namespace stratus
