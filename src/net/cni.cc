#include "net/cni.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/fd.h"
#include "common/files.h"
#include "common/subprocess.h"

namespace stratus::net {
namespace {

using nlohmann::json;

bool ValidContainerId(const std::string& id) {
  if (id.empty() || !std::isalnum(static_cast<unsigned char>(id[0]))) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

// Turns a plugin's failure (an error object on stdout, or just stderr) into a Status.
Status PluginError(const std::string& plugin, const std::string& command, const ProcessResult& r) {
  std::string msg;
  json err = json::parse(r.out, nullptr, false);
  if (err.is_object() && err.contains("msg")) {
    msg = err.value("msg", "");
    if (err.contains("code")) msg = "(code " + err["code"].dump() + ") " + msg;
    if (err.contains("details") && err["details"].is_string())
      msg += ": " + err["details"].get<std::string>();
  } else {
    msg = r.err.empty() ? r.out : r.err;
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    msg = "exit " + std::to_string(r.exit_code) + ": " + msg;
  }
  return Internal("CNI " + plugin + " " + command + " failed " + msg);
}

}  // namespace

Result<CniResult> ParseCniResult(const json& result, const std::string& ifname) {
  if (!result.is_object()) return InvalidArgument("CNI result is not a JSON object");
  CniResult out;
  out.raw = result;
  const json ifaces = result.value("interfaces", json::array());
  int container_index = -1;
  for (size_t i = 0; i < ifaces.size(); i++) {
    const json& itf = ifaces[i];
    std::string name = itf.value("name", "");
    std::string sandbox = itf.value("sandbox", "");
    if (!sandbox.empty() && name == ifname) {
      container_index = static_cast<int>(i);
      out.mac = itf.value("mac", "");
    } else if (sandbox.empty() && name.rfind("veth", 0) == 0) {
      out.host_veth = name;
    }
  }
  for (const json& ip : result.value("ips", json::array())) {
    std::string address = ip.value("address", "");
    if (address.find(':') != std::string::npos) continue;  // IPv6
    if (ip.contains("interface") && container_index >= 0 && ip["interface"].is_number() &&
        ip["interface"].get<int>() != container_index)
      continue;
    size_t slash = address.find('/');
    if (slash == std::string::npos) return InvalidArgument("CNI result address without prefix: " + address);
    out.ip = address.substr(0, slash);
    out.prefix_length = std::atoi(address.c_str() + slash + 1);
    out.gateway = ip.value("gateway", "");
    break;
  }
  if (out.ip.empty())
    return InvalidArgument("CNI result has no IPv4 address for " + ifname + ": " + result.dump());
  return out;
}

json BridgeNetworkJson(const BridgeNetworkConfig& c) {
  return json{
      {"cniVersion", "1.0.0"},
      {"name", c.network_name},
      {"type", "bridge"},
      {"bridge", c.bridge},
      {"isGateway", true},
      {"ipMasq", false},
      {"hairpinMode", c.hairpin},
      {"ipam",
       {{"type", "host-local"},
        {"ranges", json::array({json::array({{{"subnet", c.subnet}, {"gateway", c.gateway}}})})},
        {"routes", json::array({{{"dst", "0.0.0.0/0"}}})},
        {"dataDir", c.ipam_dir}}},
  };
}

namespace {

// True when the lease file at `path` belongs to (id, ifname); old-format files hold just the id.
bool LeaseHeldBy(const std::string& path, const std::string& id, const std::string& ifname) {
  Result<std::string> data = ReadFile(path);
  if (!data.ok()) return false;
  std::string d = *data;
  while (!d.empty() && std::isspace(static_cast<unsigned char>(d.back()))) d.pop_back();
  return d == id + "\r\n" + ifname || d == id;
}

}  // namespace

namespace {

// Holds host-local's store lock (<dir>/lock, flock) for its lifetime.
class HostLocalLock {
 public:
  Status Acquire(const std::string& dir) {
    fd_.reset(open((dir + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd_.valid()) return Internal("open " + dir + "/lock: " + strerror(errno));
    while (flock(fd_.get(), LOCK_EX) != 0) {
      if (errno != EINTR) return Internal("lock " + dir + ": " + strerror(errno));
    }
    return Status::Ok();
  }

 private:
  UniqueFd fd_;  // closing it releases the lock
};

}  // namespace

Status ReleaseHostLocalLeases(const std::string& data_dir, const std::string& network,
                              const std::string& container_id, const std::string& ifname,
                              const std::string& hint_ip) {
  const std::string dir = data_dir + "/" + network;
  if (!PathExists(dir)) return Status::Ok();
  HostLocalLock lock;
  STRATUS_RETURN_IF_ERROR(lock.Acquire(dir));
  if (!hint_ip.empty() && LeaseHeldBy(dir + "/" + hint_ip, container_id, ifname)) {
    unlink((dir + "/" + hint_ip).c_str());
    return Status::Ok();  // one lease per (container, interface): the scan would find nothing more
  }
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return Internal("open " + dir + ": " + strerror(errno));
  std::vector<std::string> held;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == ".." || n == "lock" || n.rfind("last_reserved_ip", 0) == 0) continue;
    if (LeaseHeldBy(dir + "/" + n, container_id, ifname)) held.push_back(n);
  }
  closedir(d);
  for (const auto& n : held) unlink((dir + "/" + n).c_str());
  return Status::Ok();
}

Result<std::vector<HostLocalLease>> ListHostLocalLeases(const std::string& data_dir,
                                                        const std::string& network) {
  const std::string dir = data_dir + "/" + network;
  std::vector<HostLocalLease> leases;
  if (!PathExists(dir)) return leases;
  HostLocalLock lock;
  STRATUS_RETURN_IF_ERROR(lock.Acquire(dir));
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return Internal("open " + dir + ": " + strerror(errno));
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == ".." || n == "lock" || n.rfind("last_reserved_ip", 0) == 0) continue;
    if (n.find(".tmp") != std::string::npos) continue;
    Result<std::string> data = ReadFile(dir + "/" + n);
    if (!data.ok()) continue;
    leases.push_back({n, data->substr(0, data->find_first_of("\r\n"))});
  }
  closedir(d);
  return leases;
}

Status ReassignHostLocalLease(const std::string& data_dir, const std::string& network, const std::string& ip,
                              const std::string& from_id, const std::string& to_id,
                              const std::string& ifname) {
  const std::string dir = data_dir + "/" + network;
  HostLocalLock lock;
  STRATUS_RETURN_IF_ERROR(lock.Acquire(dir));
  const std::string path = dir + "/" + ip;
  if (!LeaseHeldBy(path, from_id, ifname))
    return FailedPrecondition("lease of " + ip + " is not held by " + from_id);
  const std::string tmp = path + ".tmp";
  {
    UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.valid()) return Internal("create " + tmp + ": " + strerror(errno));
    std::string content = to_id + "\r\n" + ifname;
    if (write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size()))
      return Internal("write " + tmp + ": " + strerror(errno));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) return Internal("rename " + tmp + ": " + strerror(errno));
  return Status::Ok();
}

CniInvoker::CniInvoker(std::string plugin_dir) : plugin_dir_(std::move(plugin_dir)) {}

Result<std::string> CniInvoker::Invoke(const std::string& command, const json& config,
                                       const CniRuntime& rt) const {
  std::string plugin = config.value("type", "");
  if (plugin.empty() || plugin.find('/') != std::string::npos)
    return InvalidArgument("CNI config has no valid \"type\": " + config.dump());
  if (!ValidContainerId(rt.container_id))
    return InvalidArgument("invalid CNI container id '" + rt.container_id + "'");
  RunOptions opts;
  opts.stdin_data = config.dump();
  opts.timeout = std::chrono::milliseconds(20000);
  opts.env = {
      {"CNI_COMMAND", command},     {"CNI_CONTAINERID", rt.container_id},
      {"CNI_NETNS", rt.netns_path}, {"CNI_IFNAME", rt.ifname},
      {"CNI_PATH", plugin_dir_},    {"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"},
  };
  if (!rt.args.empty()) opts.env["CNI_ARGS"] = rt.args;
  STRATUS_ASSIGN_OR_RETURN(ProcessResult r, RunProcess({plugin_dir_ + "/" + plugin}, opts));
  if (r.exit_code != 0) return PluginError(plugin, command, r);
  return std::move(r.out);
}

Result<CniResult> CniInvoker::Add(const json& config, const CniRuntime& rt) const {
  STRATUS_ASSIGN_OR_RETURN(std::string out, Invoke("ADD", config, rt));
  json result = json::parse(out, nullptr, false);
  if (result.is_discarded()) return Internal("CNI ADD returned invalid JSON: " + out);
  return ParseCniResult(result, rt.ifname);
}

Status CniInvoker::Del(const json& config, const CniRuntime& rt) const {
  Result<std::string> r = Invoke("DEL", config, rt);
  return r.ok() ? Status::Ok() : r.status();
}

Status CniInvoker::Check(const json& config, const CniRuntime& rt, const json& prev_result) const {
  json with_prev = config;
  with_prev["prevResult"] = prev_result;
  Result<std::string> r = Invoke("CHECK", with_prev, rt);
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace stratus::net
