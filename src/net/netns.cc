#include "net/netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>

#include "common/files.h"
#include "common/log.h"
#include "net/rtnetlink.h"

namespace stratus::net {
namespace {

std::string Errno(const std::string& what) { return what + ": " + strerror(errno); }

// Runs fn on a fresh thread and waits: namespace changes (unshare, setns) made by fn die with the
// thread instead of leaking into the caller's thread.
Status RunOnOwnThread(const std::function<Status()>& fn) {
  Status st;
  std::thread t([&] { st = fn(); });
  t.join();
  return st;
}

// Makes /var/run/netns exist and be a shared mount point, as `ip netns add` does, so namespaces
// mounted later are visible in mount namespaces created from this one (runc's containers).
Status PrepareNetnsDir() {
  static std::mutex mu;
  static bool done = false;
  std::lock_guard<std::mutex> lock(mu);
  if (done) return Status::Ok();
  STRATUS_RETURN_IF_ERROR(MakeDirs(kNetnsDir, 0755));
  if (mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr) != 0) {
    if (errno != EINVAL) return Internal(Errno(std::string("make ") + kNetnsDir + " shared"));
    // Not a mount point yet: bind it onto itself, then share it.
    if (mount(kNetnsDir, kNetnsDir, "none", MS_BIND | MS_REC, nullptr) != 0)
      return Internal(Errno(std::string("bind mount ") + kNetnsDir));
    if (mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr) != 0)
      return Internal(Errno(std::string("make ") + kNetnsDir + " shared"));
  }
  done = true;
  return Status::Ok();
}

}  // namespace

std::string NetnsPath(const std::string& name) { return std::string(kNetnsDir) + "/" + name; }

bool IsValidNetnsName(const std::string& name) {
  if (name.empty() || name.size() > 64 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

Status SetLinkUp(const std::string& ifname) {
  if (ifname.size() >= IFNAMSIZ) return InvalidArgument("interface name too long: " + ifname);
  UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return Internal(Errno("socket"));
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, ifname.c_str(), ifname.size());
  if (ioctl(sock.get(), SIOCGIFFLAGS, &ifr) != 0) return Internal(Errno("get flags of " + ifname));
  if (ifr.ifr_flags & IFF_UP) return Status::Ok();
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (ioctl(sock.get(), SIOCSIFFLAGS, &ifr) != 0) return Internal(Errno("set " + ifname + " up"));
  return Status::Ok();
}

Status DeleteLink(const std::string& ifname) {
  unsigned index = if_nametoindex(ifname.c_str());
  if (index == 0) return NotFound("no interface " + ifname);
  struct {
    nlmsghdr nh;
    ifinfomsg ifi;
  } req{};
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(ifinfomsg));
  req.nh.nlmsg_type = RTM_DELLINK;
  req.ifi.ifi_family = AF_UNSPEC;
  req.ifi.ifi_index = static_cast<int>(index);
  int err = RtnetlinkAck(&req.nh);
  if (err != 0) return Internal("delete " + ifname + ": " + strerror(err));
  return Status::Ok();
}

Result<int> LinkPeerIndex(const std::string& ifname) {
  unsigned index = if_nametoindex(ifname.c_str());
  if (index == 0) return NotFound("no interface " + ifname);
  UniqueFd sock(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!sock.valid()) return Internal(Errno("netlink socket"));
  struct {
    nlmsghdr nh;
    ifinfomsg ifi;
  } req{};
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(ifinfomsg));
  req.nh.nlmsg_type = RTM_GETLINK;
  req.nh.nlmsg_flags = NLM_F_REQUEST;
  req.nh.nlmsg_seq = 1;
  req.ifi.ifi_family = AF_UNSPEC;
  req.ifi.ifi_index = static_cast<int>(index);
  if (send(sock.get(), &req, req.nh.nlmsg_len, 0) < 0) return Internal(Errno("netlink send"));
  alignas(nlmsghdr) char buf[16384];
  ssize_t n = recv(sock.get(), buf, sizeof buf, 0);
  if (n < 0) return Internal(Errno("netlink recv"));
  auto* nh = reinterpret_cast<nlmsghdr*>(buf);
  if (!NLMSG_OK(nh, static_cast<unsigned>(n))) return Internal("netlink: short reply");
  if (nh->nlmsg_type == NLMSG_ERROR) return NotFound("no interface " + ifname);
  if (nh->nlmsg_type != RTM_NEWLINK) return Internal("netlink: unexpected reply");
  auto* ifi = static_cast<ifinfomsg*>(NLMSG_DATA(nh));
  int len = static_cast<int>(nh->nlmsg_len) - static_cast<int>(NLMSG_LENGTH(sizeof(*ifi)));
  for (rtattr* a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == IFLA_LINK && RTA_PAYLOAD(a) >= sizeof(int)) {
      int peer;
      std::memcpy(&peer, RTA_DATA(a), sizeof peer);
      if (peer > 0 && peer != static_cast<int>(index)) return peer;
    }
  }
  return NotFound(ifname + " has no peer interface");
}

Result<UniqueFd> NewUnnamedNetns() {
  UniqueFd fd;
  Status st = RunOnOwnThread([&]() -> Status {
    if (unshare(CLONE_NEWNET) != 0) return Internal(Errno("unshare(CLONE_NEWNET)"));
    STRATUS_RETURN_IF_ERROR(SetLinkUp("lo"));
    fd.reset(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return Internal(Errno("open /proc/thread-self/ns/net"));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return fd;
}

Status NameNetns(int netns_fd, const std::string& name) {
  if (!IsValidNetnsName(name)) return InvalidArgument("invalid network namespace name '" + name + "'");
  STRATUS_RETURN_IF_ERROR(PrepareNetnsDir());
  std::string path = NetnsPath(name);
  UniqueFd file(open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0));
  if (!file.valid()) {
    if (errno == EEXIST) return AlreadyExists("network namespace " + name + " already exists");
    return Internal(Errno("create " + path));
  }
  file.reset();
  std::string source = "/proc/self/fd/" + std::to_string(netns_fd);
  if (mount(source.c_str(), path.c_str(), "none", MS_BIND, nullptr) != 0) {
    Status st = Internal(Errno("bind mount network namespace at " + path));
    unlink(path.c_str());
    return st;
  }
  return Status::Ok();
}

Status CreateNetns(const std::string& name) {
  if (!IsValidNetnsName(name)) return InvalidArgument("invalid network namespace name '" + name + "'");
  if (NetnsExists(name)) return AlreadyExists("network namespace " + name + " already exists");
  STRATUS_ASSIGN_OR_RETURN(UniqueFd fd, NewUnnamedNetns());
  return NameNetns(fd.get(), name);
}

Status DeleteNetns(const std::string& name) {
  if (!IsValidNetnsName(name)) return InvalidArgument("invalid network namespace name '" + name + "'");
  std::string path = NetnsPath(name);
  if (umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    return Internal(Errno("unmount " + path));
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return Internal(Errno("remove " + path));
  return Status::Ok();
}

bool NetnsExists(const std::string& name) {
  struct stat st;
  return IsValidNetnsName(name) && stat(NetnsPath(name).c_str(), &st) == 0;
}

Result<std::vector<std::string>> ListNetns(const std::string& prefix) {
  std::vector<std::string> names;
  DIR* dir = opendir(kNetnsDir);
  if (dir == nullptr) {
    if (errno == ENOENT) return names;
    return Internal(Errno(std::string("open ") + kNetnsDir));
  }
  while (dirent* e = readdir(dir)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    if (n.compare(0, prefix.size(), prefix) == 0) names.push_back(n);
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

Status RunInNetns(const std::string& netns_path, const std::function<Status()>& fn) {
  UniqueFd fd(open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return NotFound("network namespace " + netns_path + " does not exist");
    return Internal(Errno("open " + netns_path));
  }
  return RunOnOwnThread([&]() -> Status {
    if (setns(fd.get(), CLONE_NEWNET) != 0) return Internal(Errno("join network namespace " + netns_path));
    return fn();
  });
}

NetnsGuard::~NetnsGuard() {
  if (name_.empty()) return;
  Status st = DeleteNetns(name_);
  if (!st.ok()) LogWarn("cannot delete network namespace", {{"netns", name_}, {"error", st.ToString()}});
}

}  // namespace stratus::net
