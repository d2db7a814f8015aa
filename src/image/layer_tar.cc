#include "image/layer_tar.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "common/fd.h"
#include "common/subprocess.h"

namespace stratus {
namespace {

constexpr size_t kBlock = 512;

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + strerror(errno);
}

// Hashes everything written and copies it to an fd when there is one.
class TarSink {
 public:
  explicit TarSink(int fd) : fd_(fd), ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
  }

  Status Write(const char* data, size_t n) {
    EVP_DigestUpdate(ctx_.get(), data, n);
    if (fd_ < 0) return Status::Ok();
    buf_.append(data, n);
    return buf_.size() >= (1 << 20) ? Flush() : Status::Ok();
  }

  Status Flush() {
    size_t off = 0;
    while (off < buf_.size()) {
      ssize_t w = write(fd_, buf_.data() + off, buf_.size() - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return Internal(std::string("write layer tar: ") + strerror(errno));
      off += static_cast<size_t>(w);
    }
    buf_.clear();
    return Status::Ok();
  }

  std::string Digest() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &len);
    static const char* hex = "0123456789abcdef";
    std::string out = "sha256:";
    for (unsigned i = 0; i < len; i++) {
      out += hex[md[i] >> 4];
      out += hex[md[i] & 15];
    }
    return out;
  }

 private:
  int fd_;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
  std::string buf_;
};

struct Entry {
  std::string name;      // path in the archive
  char type = '0';
  mode_t mode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  uint64_t size = 0;
  std::string linkname;
  unsigned dev_major = 0, dev_minor = 0;
};

// Zero-padded octal in width-1 digits and a NUL (values are range-checked by the callers).
void Octal(char* field, size_t width, uint64_t value) {
  field[width - 1] = '\0';
  for (size_t i = width - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
}

std::string PaxRecord(const std::string& key, const std::string& value) {
  size_t body = key.size() + value.size() + 3;  // ' ' '=' '\n'
  size_t len = body + 1;
  while (std::to_string(len).size() + body != len) len++;
  return std::to_string(len) + " " + key + "=" + value + "\n";
}

void FillHeader(char* h, const std::string& name, char type, const Entry& e, uint64_t size) {
  memset(h, 0, kBlock);
  memcpy(h, name.data(), std::min<size_t>(name.size(), 100));
  Octal(h + 100, 8, e.mode & 07777);
  Octal(h + 108, 8, e.uid <= 07777777 ? e.uid : 0);
  Octal(h + 116, 8, e.gid <= 07777777 ? e.gid : 0);
  Octal(h + 124, 12, size <= 077777777777ULL ? size : 0);
  Octal(h + 136, 12, 0);
  h[156] = type;
  memcpy(h + 157, e.linkname.data(), std::min<size_t>(e.linkname.size(), 100));
  memcpy(h + 257, "ustar", 6);
  memcpy(h + 263, "00", 2);
  if (type == '3' || type == '4') {
    Octal(h + 329, 8, e.dev_major);
    Octal(h + 337, 8, e.dev_minor);
  }
  memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < kBlock; i++) sum += static_cast<unsigned char>(h[i]);
  Octal(h + 148, 7, sum);
  h[155] = ' ';
}

Status WritePadding(TarSink& sink, uint64_t size) {
  static const char zeros[kBlock] = {};
  size_t pad = (kBlock - size % kBlock) % kBlock;
  return pad ? sink.Write(zeros, pad) : Status::Ok();
}

Status WriteHeader(TarSink& sink, const Entry& e) {
  std::string pax;
  if (e.name.size() > 100) pax += PaxRecord("path", e.name);
  if (e.linkname.size() > 100) pax += PaxRecord("linkpath", e.linkname);
  if (e.size > 077777777777ULL) pax += PaxRecord("size", std::to_string(e.size));
  if (e.uid > 07777777) pax += PaxRecord("uid", std::to_string(e.uid));
  if (e.gid > 07777777) pax += PaxRecord("gid", std::to_string(e.gid));
  char h[kBlock];
  if (!pax.empty()) {
    Entry x;
    x.mode = 0644;
    FillHeader(h, "PaxHeaders/" + e.name.substr(0, 80), 'x', x, pax.size());
    STRATUS_RETURN_IF_ERROR(sink.Write(h, kBlock));
    STRATUS_RETURN_IF_ERROR(sink.Write(pax.data(), pax.size()));
    STRATUS_RETURN_IF_ERROR(WritePadding(sink, pax.size()));
  }
  FillHeader(h, e.name, e.type, e, e.size);
  return sink.Write(h, kBlock);
}

Status CopyFileData(TarSink& sink, const std::string& path, uint64_t size) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return Internal(Errno("open", path));
  std::vector<char> buf(1 << 20);
  uint64_t done = 0;
  while (done < size) {
    ssize_t r = read(fd.get(), buf.data(), std::min<uint64_t>(buf.size(), size - done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Internal(Errno("read", path));
    if (r == 0) return Internal(path + " shrank while it was being archived");
    STRATUS_RETURN_IF_ERROR(sink.Write(buf.data(), static_cast<size_t>(r)));
    done += static_cast<uint64_t>(r);
  }
  return WritePadding(sink, size);
}

Result<std::vector<std::string>> SortedNames(const std::string& dir) {
  struct CloseDir {
    void operator()(DIR* d) const { closedir(d); }
  };
  std::unique_ptr<DIR, CloseDir> d(opendir(dir.c_str()));
  if (!d) return Internal(Errno("opendir", dir));
  std::vector<std::string> names;
  while (dirent* de = readdir(d.get())) {
    std::string n = de->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool IsOpaque(const std::string& path) {
  char v[8] = {};
  ssize_t n = lgetxattr(path.c_str(), kOverlayOpaqueXattr, v, sizeof v);
  return n == 1 && v[0] == 'y';
}

class TarWriter {
 public:
  explicit TarWriter(int fd) : sink_(fd) {}

  Status WriteTree(const std::string& root) { return WriteDir(root, ""); }

  Result<std::string> Finish() {
    static const char zeros[2 * kBlock] = {};
    STRATUS_RETURN_IF_ERROR(sink_.Write(zeros, sizeof zeros));
    STRATUS_RETURN_IF_ERROR(sink_.Flush());
    return sink_.Digest();
  }

 private:
  Status WriteDir(const std::string& host_dir, const std::string& prefix) {
    STRATUS_ASSIGN_OR_RETURN(auto names, SortedNames(host_dir));
    for (const auto& n : names) STRATUS_RETURN_IF_ERROR(WritePath(host_dir + "/" + n, prefix, n));
    return Status::Ok();
  }

  Status WritePath(const std::string& path, const std::string& prefix, const std::string& base) {
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) return Internal(Errno("lstat", path));
    Entry e;
    e.name = prefix + base;
    e.mode = st.st_mode;
    e.uid = st.st_uid;
    e.gid = st.st_gid;
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {  // overlay whiteout
      e.name = prefix + kWhiteoutPrefix + base;
      e.mode = 0;
      return WriteHeader(sink_, e);
    }
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto key = std::make_pair(st.st_dev, st.st_ino);
      auto it = links_.find(key);
      if (it != links_.end()) {
        e.type = '1';
        e.linkname = it->second;
        return WriteHeader(sink_, e);
      }
      links_[key] = e.name;
    }
    if (S_ISDIR(st.st_mode)) {
      e.type = '5';
      e.name += "/";
      STRATUS_RETURN_IF_ERROR(WriteHeader(sink_, e));
      if (IsOpaque(path)) {
        Entry opq;
        opq.name = e.name + kOpaqueWhiteout;
        STRATUS_RETURN_IF_ERROR(WriteHeader(sink_, opq));
      }
      return WriteDir(path, e.name);
    }
    if (S_ISREG(st.st_mode)) {
      e.size = static_cast<uint64_t>(st.st_size);
      STRATUS_RETURN_IF_ERROR(WriteHeader(sink_, e));
      return CopyFileData(sink_, path, e.size);
    }
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = readlink(path.c_str(), target.data(), target.size());
      if (n < 0) return Internal(Errno("readlink", path));
      target.resize(static_cast<size_t>(n));
      e.type = '2';
      e.linkname = target;
      return WriteHeader(sink_, e);
    }
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      e.type = S_ISCHR(st.st_mode) ? '3' : '4';
      e.dev_major = major(st.st_rdev);
      e.dev_minor = minor(st.st_rdev);
      return WriteHeader(sink_, e);
    }
    if (S_ISFIFO(st.st_mode)) {
      e.type = '6';
      return WriteHeader(sink_, e);
    }
    return Status::Ok();  // sockets are not archived
  }

  TarSink sink_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

// Calls `fn(path, st)` for every path under `dir`, parents before children.
template <typename Fn>
Status Walk(const std::string& dir, Fn&& fn) {
  STRATUS_ASSIGN_OR_RETURN(auto names, SortedNames(dir));
  for (const auto& n : names) {
    std::string path = dir + "/" + n;
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;  // removed by fn of a sibling
      return Internal(Errno("lstat", path));
    }
    STRATUS_RETURN_IF_ERROR(fn(dir, n, st));
    if (S_ISDIR(st.st_mode) && lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      STRATUS_RETURN_IF_ERROR(Walk(path, fn));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> WriteLayerTar(const std::string& dir, int out_fd) {
  TarWriter writer(out_fd);
  STRATUS_RETURN_IF_ERROR(writer.WriteTree(dir));
  return writer.Finish();
}

Status ConvertOciWhiteouts(const std::string& dir) {
  return Walk(dir, [](const std::string& parent, const std::string& name, const struct stat&) -> Status {
    if (name.rfind(kWhiteoutPrefix, 0) != 0) return Status::Ok();
    std::string path = parent + "/" + name;
    if (unlink(path.c_str()) != 0) return Internal(Errno("unlink", path));
    if (name == kOpaqueWhiteout) {
      if (lsetxattr(parent.c_str(), kOverlayOpaqueXattr, "y", 1, 0) != 0) return Internal(Errno("setxattr", parent));
      return Status::Ok();
    }
    std::string target = parent + "/" + name.substr(strlen(kWhiteoutPrefix));
    if (mknod(target.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) return Internal(Errno("mknod", target));
    return Status::Ok();
  });
}

Status CleanOverlayXattrs(const std::string& dir) {
  return Walk(dir, [](const std::string& parent, const std::string& name, const struct stat&) -> Status {
    std::string path = parent + "/" + name;
    char list[4096];
    ssize_t n = llistxattr(path.c_str(), list, sizeof list);
    if (n <= 0) return Status::Ok();
    for (ssize_t off = 0; off < n;) {
      std::string key(list + off);
      off += static_cast<ssize_t>(key.size()) + 1;
      if (key.rfind("trusted.overlay.", 0) == 0 && key != kOverlayOpaqueXattr) lremovexattr(path.c_str(), key.c_str());
    }
    return Status::Ok();
  });
}

Status UnpackLayerTar(const std::string& tar_path, const std::string& dir) {
  RunOptions ro;
  ro.timeout = std::chrono::minutes(30);
  auto r = RunChecked({"tar", "-xf", tar_path, "-C", dir, "--numeric-owner", "--same-owner", "--same-permissions",
                       "--no-overwrite-dir"},
                      ro);
  if (!r.ok()) return r.status().WithContext("unpack layer " + tar_path);
  return ConvertOciWhiteouts(dir);
}

}  // namespace stratus
