#include "cli/doctor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/fd.h"
#include "common/files.h"
#include "common/process_tools.h"
#include "common/subprocess.h"
#include "daemon/config_file.h"

namespace stratus::cli {

namespace {

DoctorCheck Ok(std::string what, std::string detail) { return {std::move(what), Verdict::kOk, std::move(detail), ""}; }
DoctorCheck Problem(Verdict v, std::string what, std::string detail, std::string fix) {
  return {std::move(what), v, std::move(detail), std::move(fix)};
}

std::string ReadOrEmpty(const std::string& path) {
  auto text = ReadFile(path);
  return text.ok() ? *text : "";
}

DoctorCheck CheckCgroups() {
  std::string controllers = ReadOrEmpty("/sys/fs/cgroup/cgroup.controllers");
  if (!controllers.empty()) {
    for (const char* need : {"cpu", "memory", "pids"}) {
      if ((" " + controllers + " ").find(std::string(" ") + need) == std::string::npos) {
        return Problem(Verdict::kFail, "cgroups", std::string("cgroup v2 without the ") + need + " controller",
                       std::string("enable it: boot with cgroup_enable=") + need + " (or add it to the root's cgroup.subtree_control)");
      }
    }
    return Ok("cgroups", "v2 with cpu, memory, pids");
  }
  std::string mounts = ReadOrEmpty("/proc/self/mounts");
  if (mounts.find(" cgroup ") != std::string::npos) return Ok("cgroups", "v1 (instances get limits; v2 is preferred)");
  return Problem(Verdict::kFail, "cgroups", "no cgroup hierarchy mounted at /sys/fs/cgroup",
                 "mount cgroup2: mount -t cgroup2 none /sys/fs/cgroup (systemd hosts do this at boot)");
}

DoctorCheck CheckFilesystem(const std::string& fs, const std::string& what, const std::string& module) {
  if (ReadOrEmpty("/proc/filesystems").find("\t" + fs + "\n") != std::string::npos) return Ok(what, fs + " in /proc/filesystems");
  return Problem(Verdict::kFail, what, "the kernel does not offer " + fs,
                 "modprobe " + module + " (and add it to /etc/modules-load.d/stratus.conf)");
}

DoctorCheck CheckNftables() {
  if (FindInPath("nft").empty()) {
    return Problem(Verdict::kFail, "nftables", "nft is not installed", "apt install nftables");
  }
  auto r = RunProcess({"nft", "list", "tables"}, {});
  if (!r.ok() || r->exit_code != 0) {
    return Problem(Verdict::kFail, "nftables", "nft list tables failed: " + (r.ok() ? r->err : r.status().message()),
                   "modprobe nf_tables, and run as root");
  }
  return Ok("nftables", "nft works");
}

DoctorCheck CheckNetns() {
  if (access("/proc/self/ns/net", R_OK) != 0) {
    return Problem(Verdict::kFail, "network namespaces", "/proc/self/ns/net is missing",
                   "use a kernel with CONFIG_NET_NS=y");
  }
  if (FindInPath("ip").empty()) return Problem(Verdict::kFail, "network namespaces", "ip is not installed", "apt install iproute2");
  return Ok("network namespaces", "supported; ip is installed");
}

DoctorCheck CheckLoop() {
  if (access("/dev/loop-control", F_OK) == 0) return Ok("loop devices", "/dev/loop-control exists");
  return Problem(Verdict::kWarn, "loop devices", "no /dev/loop-control (file-backed volumes need it)",
                 "modprobe loop");
}

// Reflinks make copies of image layers and volumes free; without them Stratus copies bytes.
DoctorCheck CheckReflink(const std::string& state_dir) {
  std::string dir = state_dir;
  std::error_code ec;
  while (!dir.empty() && !std::filesystem::is_directory(dir, ec)) dir = std::filesystem::path(dir).parent_path().string();
  if (dir.empty()) dir = "/";
  std::string a = dir + "/.stratus-doctor-" + std::to_string(getpid());
  std::string b = a + ".clone";
  UniqueFd src(open(a.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!src.valid()) return Problem(Verdict::kWarn, "reflink", "cannot write a test file in " + dir, "run as root");
  (void)!write(src.get(), "stratus", 7);
  UniqueFd dst(open(b.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  bool cloned = dst.valid() && ioctl(dst.get(), FICLONE, src.get()) == 0;
  unlink(a.c_str());
  unlink(b.c_str());
  if (cloned) return Ok("reflink", dir + " clones files for free");
  return Problem(Verdict::kWarn, "reflink", dir + " has no reflinks (copies of layers cost their size)",
                 "optional: put the state dir on xfs (reflink=1) or btrfs");
}

DoctorCheck CheckRuntime(const std::string& runtime) {
  std::string path = FindInPath(runtime);
  if (!path.empty()) return Ok("OCI runtime", runtime + " at " + path);
  return Problem(Verdict::kFail, "OCI runtime", runtime + " is not in PATH",
                 "apt install " + runtime + " (stratusd --runtime " + runtime + " runs every instance with it)");
}

DoctorCheck CheckCni(const std::string& dir) {
  std::string missing;
  for (const char* plugin : {"bridge", "host-local", "loopback"}) {
    if (access((dir + "/" + plugin).c_str(), X_OK) != 0) missing += (missing.empty() ? "" : ", ") + std::string(plugin);
  }
  if (missing.empty()) return Ok("CNI plugins", "bridge, host-local, loopback in " + dir);
  return Problem(Verdict::kFail, "CNI plugins", "missing in " + dir + ": " + missing, "apt install containernetworking-plugins");
}

// GET /v1/health on `addr` answers {"Status": "ok", "Name": ...} when stratusd listens there.
bool AnswersLikeStratusd(const sockaddr_in& addr) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  timeval tv{2, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) return false;
  const std::string request = "GET /v1/health HTTP/1.0\r\nHost: stratusd\r\n\r\n";
  if (send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) return false;
  std::string response;
  char buf[4096];
  ssize_t n;
  while (response.size() < 65536 && (n = recv(fd.get(), buf, sizeof buf, 0)) > 0) response.append(buf, n);
  return response.find("\"Status\":\"ok\"") != std::string::npos && response.find("\"Name\"") != std::string::npos;
}

// A port is fine when it is free, or when stratusd itself answers on it.
DoctorCheck CheckPort(const std::string& what, const std::string& host, int port, bool api) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  std::string where = host + ":" + std::to_string(port);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return Ok(what, where + " is free");
  if (api && AnswersLikeStratusd(addr)) return Ok(what, where + " is stratusd's, which is running");
  return Problem(Verdict::kFail, what, where + " is in use by another program",
                 "stop that program, or set listen (or metadata-port) in /etc/stratus/stratusd.conf");
}

DoctorCheck CheckForwarding() {
  std::string v = ReadOrEmpty("/proc/sys/net/ipv4/ip_forward");
  if (!v.empty() && v[0] == '1') return Ok("IP forwarding", "net.ipv4.ip_forward = 1");
  if (access("/proc/sys/net/ipv4/ip_forward", W_OK) == 0) {
    return Ok("IP forwarding", "off now; stratusd turns it on at start (net.ipv4.ip_forward = 1)");
  }
  return Problem(Verdict::kFail, "IP forwarding", "off, and /proc/sys is not writable here",
                 "sysctl -w net.ipv4.ip_forward=1 on the host (instances reach out through it)");
}

bool ParseCidr(const std::string& cidr, uint32_t& base, int& prefix) {
  auto slash = cidr.find('/');
  in_addr a{};
  if (slash == std::string::npos || inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &a) != 1) return false;
  prefix = atoi(cidr.c_str() + slash + 1);
  if (prefix < 0 || prefix > 32) return false;
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  base = ntohl(a.s_addr) & mask;
  return true;
}

bool Overlap(uint32_t a, int pa, uint32_t b, int pb) {
  int p = pa < pb ? pa : pb;
  uint32_t mask = p == 0 ? 0 : ~uint32_t{0} << (32 - p);
  return (a & mask) == (b & mask);
}

// Routes of the host (not Stratus's own bridges) that overlap the VPC: instances could not reach them,
// or the host would send the VPC's traffic elsewhere.
DoctorCheck CheckRanges(const std::string& vpc_cidr, const std::string& name) {
  uint32_t vpc = 0;
  int vpc_prefix = 0;
  if (!ParseCidr(vpc_cidr, vpc, vpc_prefix)) {
    return Problem(Verdict::kFail, "address ranges", "vpc-cidr " + vpc_cidr + " is not an IPv4 CIDR",
                   "set vpc-cidr = A.B.C.D/N in /etc/stratus/stratusd.conf");
  }
  std::istringstream routes(ReadOrEmpty("/proc/net/route"));
  std::string line;
  std::getline(routes, line);  // header
  std::string clashes;
  while (std::getline(routes, line)) {
    std::istringstream f(line);
    std::string iface, dest_hex, gw_hex, flags, refcnt, use, metric, mask_hex;
    f >> iface >> dest_hex >> gw_hex >> flags >> refcnt >> use >> metric >> mask_hex;
    if (iface.rfind(name + "-", 0) == 0 || iface.rfind(name, 0) == 0) continue;  // the installation's own bridges
    uint32_t dest = ntohl(static_cast<uint32_t>(strtoul(dest_hex.c_str(), nullptr, 16)));
    uint32_t mask = ntohl(static_cast<uint32_t>(strtoul(mask_hex.c_str(), nullptr, 16)));
    int prefix = __builtin_popcount(mask);
    if (prefix == 0) continue;  // the default route overlaps everything by design
    if (Overlap(vpc, vpc_prefix, dest, prefix)) {
      in_addr a{htonl(dest)};
      clashes += (clashes.empty() ? "" : ", ") + std::string(inet_ntoa(a)) + "/" + std::to_string(prefix) + " on " + iface;
    }
  }
  if (clashes.empty()) return Ok("address ranges", "no host route overlaps the VPC " + vpc_cidr);
  return Problem(Verdict::kFail, "address ranges", "host routes overlap the VPC " + vpc_cidr + ": " + clashes,
                 "choose an unused range: vpc-cidr in /etc/stratus/stratusd.conf (before the first start)");
}

}  // namespace

void ReadDaemonConfig(const std::string& path, DoctorOptions& o) {
  auto text = ReadFile(path);
  if (!text.ok()) return;
  auto entries = ParseConfigText(*text, path);
  if (!entries.ok()) return;
  for (const auto& e : *entries) {
    if (e.key == "listen") o.listen = e.value;
    if (e.key == "vpc-cidr") o.vpc_cidr = e.value;
    if (e.key == "state-dir") o.state_dir = e.value;
    if (e.key == "name") o.name = e.value;
    if (e.key == "runtime") o.runtime = e.value;
  }
}

std::vector<DoctorCheck> RunDoctor(const DoctorOptions& o) {
  std::vector<DoctorCheck> checks;
  checks.push_back(CheckCgroups());
  checks.push_back(CheckFilesystem("overlay", "overlayfs", "overlay"));
  checks.push_back(CheckNftables());
  checks.push_back(CheckNetns());
  checks.push_back(CheckLoop());
  checks.push_back(CheckReflink(o.state_dir));
  checks.push_back(CheckRuntime(o.runtime));
  checks.push_back(CheckCni(o.cni_dir));
  auto colon = o.listen.rfind(':');
  std::string host = colon == std::string::npos ? "127.0.0.1" : o.listen.substr(0, colon);
  int port = colon == std::string::npos ? 0 : atoi(o.listen.c_str() + colon + 1);
  if (port <= 0 || port > 65534) {
    checks.push_back(Problem(Verdict::kFail, "API port", "listen " + o.listen + " is not HOST:PORT",
                             "set listen = 127.0.0.1:7600 in /etc/stratus/stratusd.conf"));
  } else {
    checks.push_back(CheckPort("API port", host, port, true));
    DoctorCheck metadata = CheckPort("metadata port", host, port + 1, false);
    // While stratusd runs, the port after the API's is its own metadata service.
    if (metadata.verdict != Verdict::kOk && checks.back().detail.find("stratusd's") != std::string::npos) {
      metadata = Ok("metadata port", host + ":" + std::to_string(port + 1) + " next to stratusd's API");
    }
    checks.push_back(metadata);
  }
  checks.push_back(CheckForwarding());
  checks.push_back(CheckRanges(o.vpc_cidr, o.name));
  return checks;
}

}  // namespace stratus::cli
