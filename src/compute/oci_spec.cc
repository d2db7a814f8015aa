#include "compute/oci_spec.h"

#include <cmath>

#include "init/init_config.h"

namespace stratus {
namespace {

using nlohmann::json;

constexpr int64_t kCpuPeriodUs = 100000;

// Docker's default capability set (moby/oci/caps/defaults.go).
const char* const kDefaultCapabilities[] = {
    "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",     "CAP_FOWNER",     "CAP_MKNOD",
    "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",     "CAP_SETFCAP",    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
};

const char* const kMaskedPaths[] = {
    "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
};

const char* const kReadonlyPaths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

constexpr char kNamespacedSysctls[] = "net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*";

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

bool IsNamespacedSysctl(const std::string& key) {
  return StartsWith(key, "net.") || StartsWith(key, "kernel.shm") || StartsWith(key, "kernel.msg") ||
         key == "kernel.sem" || StartsWith(key, "fs.mqueue.");
}

json Mount(const char* dest, const char* type, const char* source, std::vector<std::string> options) {
  return {{"destination", dest}, {"type", type}, {"source", source}, {"options", options}};
}

json Mounts(const OciSpecInput& in) {
  json m = json::array();
  m.push_back(Mount("/proc", "proc", "proc", {}));
  m.push_back(Mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  m.push_back(Mount("/dev/pts", "devpts", "devpts",
                    {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
  m.push_back(Mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
  m.push_back(Mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  m.push_back(Mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
  m.push_back(Mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}));
  m.push_back({{"destination", kInitPathInInstance}, {"type", "bind"}, {"source", in.init_binary_path},
               {"options", {"bind", "ro", "nosuid", "nodev"}}});
  m.push_back({{"destination", kInstanceRunDir}, {"type", "bind"}, {"source", in.run_dir},
               {"options", {"bind", "rw", "nosuid", "nodev"}}});
  for (const auto& b : in.extra_mounts) {
    m.push_back({{"destination", b.destination}, {"type", "bind"}, {"source", b.source},
                 {"options", {"bind", b.read_only ? "ro" : "rw", "nosuid", "nodev"}}});
  }
  return m;
}

json Resources(const InstanceType& type) {
  json r;
  r["devices"] = json::array({{{"allow", false}, {"access", "rwm"}}});
  r["memory"] = {{"limit", type.memory_mib * 1024 * 1024}};
  r["cpu"] = {{"quota", static_cast<int64_t>(std::llround(type.vcpus * kCpuPeriodUs))},
              {"period", kCpuPeriodUs},
              {"shares", static_cast<int64_t>(std::llround(type.vcpus * 1024))}};
  r["pids"] = {{"limit", type.pids_limit}};
  return r;
}

json Namespaces(const OciSpecInput& in) {
  json ns = json::array();
  for (const char* t : {"pid", "ipc", "uts", "mount", "cgroup"}) ns.push_back({{"type", t}});
  json net = {{"type", "network"}};
  if (!in.netns_path.empty()) net["path"] = in.netns_path;
  ns.push_back(net);
  return ns;
}

json Process(const OciSpecInput& in) {
  std::vector<std::string> env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                  "HOME=/root", "container=stratus", "INSTANCE_ID=" + in.instance_id};
  env.insert(env.end(), in.env.begin(), in.env.end());
  std::vector<std::string> caps(std::begin(kDefaultCapabilities), std::end(kDefaultCapabilities));
  json p = {{"terminal", false},
            {"user", {{"uid", 0}, {"gid", 0}}},
            {"args", {kInitPathInInstance}},
            {"env", env},
            {"cwd", "/"},
            {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
            {"noNewPrivileges", false}};
  if (in.nofile_limit > 0) {
    p["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"hard", in.nofile_limit}, {"soft", in.nofile_limit}}};
  }
  return p;
}

}  // namespace

std::string CgroupsPathFor(const std::string& name, const std::string& instance_id) {
  return "/" + name + "/" + instance_id;
}

Status ValidateSysctls(const std::map<std::string, std::string>& sysctls) {
  for (const auto& [key, value] : sysctls) {
    bool key_ok = !key.empty() && key.find("..") == std::string::npos && key.front() != '.' && key.back() != '.';
    for (char c : key) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) key_ok = false;
    }
    if (!key_ok) return InvalidArgument("sysctl name \"" + key + "\" is malformed");
    if (!IsNamespacedSysctl(key)) {
      return InvalidArgument("sysctl " + key + " is not namespaced; only " + kNamespacedSysctls +
                             " can be set per instance");
    }
    if (value.empty() || value.size() > 256 || value.find_first_of("\n\r\0", 0, 3) != std::string::npos) {
      return InvalidArgument("sysctl " + key + ": value must be 1-256 characters on one line");
    }
  }
  return Status::Ok();
}

Result<json> BuildOciSpec(const OciSpecInput& in) {
  if (in.instance_id.empty() || in.rootfs_path.empty() || in.init_binary_path.empty() || in.run_dir.empty() ||
      in.cgroups_path.empty()) {
    return InvalidArgument("OCI spec needs instance_id, rootfs_path, init_binary_path, run_dir and cgroups_path");
  }
  if (in.type.memory_mib <= 0 || in.type.vcpus <= 0 || in.type.pids_limit <= 0) {
    return InvalidArgument("instance type " + in.type.name + " has no limits");
  }
  STRATUS_RETURN_IF_ERROR(ValidateSysctls(in.sysctls));
  for (const auto& b : in.extra_mounts) {
    if (b.source.empty() || b.destination.empty() || b.destination.front() != '/' ||
        b.destination.find("..") != std::string::npos) {
      return InvalidArgument("bind mount \"" + b.source + "\" -> \"" + b.destination +
                             "\" needs a source and an absolute destination without \"..\"");
    }
  }
  json spec;
  spec["ociVersion"] = "1.0.2";
  spec["process"] = Process(in);
  spec["root"] = {{"path", in.rootfs_path}, {"readonly", false}};
  spec["hostname"] = in.hostname.empty() ? in.instance_id : in.hostname;
  spec["mounts"] = Mounts(in);
  json linux;
  linux["resources"] = Resources(in.type);
  linux["cgroupsPath"] = in.cgroups_path;
  linux["namespaces"] = Namespaces(in);
  linux["sysctl"] = in.sysctls.empty() ? json::object() : json(in.sysctls);
  linux["maskedPaths"] = kMaskedPaths;
  linux["readonlyPaths"] = kReadonlyPaths;
  spec["linux"] = linux;
  return spec;
}

}  // namespace stratus
