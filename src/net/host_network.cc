#include "net/host_network.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>
#include <string_view>

#include "common/files.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/subprocess.h"
#include "net/neighbour.h"
#include "net/netns.h"

namespace stratus::net {
namespace {

constexpr const char* kMetadataIp = "169.254.169.254";
constexpr const char* kBridgeNfCallIptables = "/proc/sys/net/bridge/bridge-nf-call-iptables";

bool ValidName(const std::string& n) {
  return !n.empty() && n.size() <= 10 && std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

bool ValidPort(int p) { return p > 0 && p < 65536; }

bool ValidSubnetId(const std::string& id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
  });
}

Status WriteProcFile(const std::string& path, const std::string& value) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return Internal("open " + path + ": " + strerror(errno));
  if (write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
    return Internal("write " + path + ": " + strerror(errno));
  return Status::Ok();
}

bool LinkExists(const std::string& ifname) { return PathExists("/sys/class/net/" + ifname); }

// A CNI ADD whose IPAM step failed leaves its eth0 in the namespace (the bridge plugin cleans up
// only after IPAM succeeded): remove it before trying again in the same namespace (a runtime may
// have joined it already).
Status DeleteFailedEth0(const std::string& netns_path) {
  return RunInNetns(netns_path, [] {
    Status st = DeleteLink("eth0");
    return st.code() == Code::kNotFound ? Status::Ok() : st;
  });
}

// A fixed, locally administered MAC for a bridge, derived from its name. Without one the kernel
// gives the bridge the lowest MAC of its ports, which changes as instances come and go: the
// gateway's MAC would change under the instances' ARP caches (and CNI CHECK would fail).
std::string BridgeMac(const std::string& bridge) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (char c : bridge) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  char mac[18];
  std::snprintf(mac, sizeof mac, "02:53:%02x:%02x:%02x:%02x", (h >> 24) & 0xff, (h >> 16) & 0xff,
                (h >> 8) & 0xff, h & 0xff);
  return mac;
}

// Calls fn(name, counters) for each interface line of /proc/net/dev, counters as the interface sees
// them (in = received).
template <typename Fn>
void ForEachNetDev(const std::string& text, Fn fn) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    size_t colon = text.find(':', pos);
    if (colon < end) {
      size_t start = text.find_first_not_of(' ', pos);
      std::string_view name(text.data() + start, colon - start);
      uint64_t v[16] = {};
      const char* p = text.data() + colon + 1;
      for (auto& x : v) {
        char* next = nullptr;
        x = std::strtoull(p, &next, 10);
        if (next == p || next > text.data() + end) break;
        p = next;
      }
      InterfaceCounters c;
      c.network_in_bytes = v[0];
      c.network_in_packets = v[1];
      c.network_out_bytes = v[8];
      c.network_out_packets = v[9];
      fn(name, c);
    }
    pos = end + 1;
  }
}

// Parses the line of `ifname` in /proc/net/dev.
Result<InterfaceCounters> ParseProcNetDev(const std::string& text, const std::string& ifname) {
  std::optional<InterfaceCounters> found;
  ForEachNetDev(text, [&](std::string_view name, const InterfaceCounters& c) {
    if (name == ifname) found = c;
  });
  if (!found) return NotFound("no interface " + ifname);
  return *found;
}

}  // namespace

Result<std::unique_ptr<HostNetwork>> HostNetwork::Create(HostNetworkConfig config) {
  if (!ValidName(config.name))
    return InvalidArgument("network name '" + config.name + "' must be 1..10 characters of a-z and 0-9");
  STRATUS_ASSIGN_OR_RETURN(Ipv4Cidr vpc, ParseCidr(config.vpc_cidr));
  if (config.subnets.empty() || config.subnets.size() > 100) return InvalidArgument("need 1..100 subnets");
  if (config.state_dir.empty()) return InvalidArgument("state_dir is empty");
  if (config.metadata_port != 0 && !ValidPort(config.metadata_port))
    return InvalidArgument("metadata_port must be 1..65535");
  if (config.api_port != 0 && !ValidPort(config.api_port))
    return InvalidArgument("api_port must be 0..65535");
  std::unique_ptr<HostNetwork> hn(new HostNetwork(config));
  hn->vpc_ = vpc;
  for (size_t i = 0; i < config.subnets.size(); i++) {
    const SubnetSpec& s = config.subnets[i];
    if (s.subnet_id.empty()) return InvalidArgument("subnet " + s.cidr + " has no id");
    if (!ValidSubnetId(s.subnet_id))  // it names the subnet's address store, a directory
      return InvalidArgument("subnet id '" + s.subnet_id + "' must be 1..64 characters of A-Z, a-z, 0-9 and -");
    STRATUS_ASSIGN_OR_RETURN(Ipv4Cidr c, ParseCidr(s.cidr));
    if (!vpc.Contains(c.network) || c.prefix < vpc.prefix)
      return InvalidArgument("subnet " + s.cidr + " is not inside the VPC " + config.vpc_cidr);
    if (c.prefix > 28) return InvalidArgument("subnet " + s.cidr + " is smaller than /28");
    for (const Subnet& other : hn->subnets_) {
      if (other.cidr.Overlaps(c)) return InvalidArgument("subnet " + s.cidr + " overlaps " + other.spec.cidr);
      if (other.spec.subnet_id == s.subnet_id) return InvalidArgument("duplicate subnet id " + s.subnet_id);
    }
    hn->subnets_.push_back({s, c, hn->BridgeName(i), FormatIpv4(c.FirstHost())});
  }
  return hn;
}

HostNetwork::HostNetwork(HostNetworkConfig config)
    : config_(std::move(config)), cni_(config_.cni_plugin_dir) {}

HostNetwork::~HostNetwork() {
  StopPool();  // its namespaces go; the addresses are released
  {
    std::lock_guard<std::mutex> lock(unbind_mu_);
    stopping_ = true;
  }
  unbind_cv_.notify_all();
  if (unbind_thread_.joinable()) unbind_thread_.join();  // drains the queue first
}

void HostNetwork::UnbindLater(std::string host_veth, std::string ip) {
  std::lock_guard<std::mutex> lock(unbind_mu_);
  unbind_queue_.emplace_back(std::move(host_veth), std::move(ip));
  if (!unbind_thread_.joinable()) unbind_thread_ = std::thread([this] { UnbindLoop(); });
  unbind_cv_.notify_all();
}

void HostNetwork::UnbindLoop() {
  std::unique_lock<std::mutex> lock(unbind_mu_);
  for (;;) {
    unbind_cv_.wait(lock, [this] { return stopping_ || !unbind_queue_.empty(); });
    if (unbind_queue_.empty()) return;  // stopping, nothing left
    auto item = std::move(unbind_queue_.front());
    unbind_queue_.pop_front();
    unbind_busy_ = true;
    lock.unlock();
    Status st = BindPort(item.first, item.second, false);
    if (!st.ok()) LogDebug("unbind port", {{"veth", item.first}, {"error", st.ToString()}});
    lock.lock();
    unbind_busy_ = false;
    unbind_cv_.notify_all();
  }
}

void HostNetwork::WaitForUnbindsForTest() {
  std::unique_lock<std::mutex> lock(unbind_mu_);
  unbind_cv_.wait(lock, [this] { return unbind_queue_.empty() && !unbind_busy_; });
}

std::string HostNetwork::NetnsName(const std::string& instance_id) const {
  return config_.name + "-" + instance_id;
}
std::string HostNetwork::BridgeName(size_t i) const { return config_.name + "br" + std::to_string(i); }
std::string HostNetwork::IpamRoot() const { return config_.state_dir + "/ipam"; }
std::string HostNetwork::IpamDir(const Subnet& s) const { return IpamRoot() + "/" + s.spec.subnet_id; }

Status HostNetwork::ReleaseLeases(const std::string& container_id, const std::string& ip) const {
  if (const Subnet* s = ip.empty() ? nullptr : SubnetOf(ip))
    return ReleaseHostLocalLeases(IpamDir(*s), config_.name, container_id, "eth0", ip);
  Status first;
  for (const Subnet& s : subnets_) {
    Status st = ReleaseHostLocalLeases(IpamDir(s), config_.name, container_id, "eth0");
    if (!st.ok() && first.ok()) first = st;
  }
  return first;
}

void HostNetwork::MigrateSharedLeaseStore() const {
  const std::string shared = IpamRoot() + "/" + config_.name;  // subnet ids never equal a name: "-"
  if (!PathExists(shared)) return;
  Result<std::vector<HostLocalLease>> leases = ListHostLocalLeases(IpamRoot(), config_.name);
  if (leases.ok()) {
    for (const HostLocalLease& l : *leases) {
      const Subnet* s = SubnetOf(l.ip);
      if (s == nullptr) continue;  // not in any subnet any more: nothing can use it
      const std::string dir = IpamDir(*s) + "/" + config_.name;
      Status st = MakeDirs(dir, 0700);
      if (!st.ok() || rename((shared + "/" + l.ip).c_str(), (dir + "/" + l.ip).c_str()) != 0)
        LogWarn("cannot move a lease to its subnet's store", {{"ip", l.ip}, {"error", st.ToString()}});
    }
  }
  Status st = RemoveAll(shared);
  if (!st.ok()) LogWarn("cannot remove the shared lease store", {{"error", st.ToString()}});
}
std::string HostNetwork::MetadataAddress() const { return subnets_.front().gateway; }

const HostNetwork::Subnet* HostNetwork::FindSubnet(const std::string& subnet_id) const {
  for (const Subnet& s : subnets_) {
    if (s.spec.subnet_id == subnet_id) return &s;
  }
  return nullptr;
}

nlohmann::json HostNetwork::CniConfig(const Subnet& s) const {
  // One address store per subnet: host-local continues after the last address it reserved in the
  // store's range, so each subnet rotates through its range before reusing an address (as EC2
  // does). With one store for all subnets the last reservation is always another subnet's, and
  // host-local restarts every subnet from its lowest free address: a just-freed one.
  return BridgeNetworkJson({config_.name, s.bridge, s.spec.cidr, s.gateway, IpamDir(s), true});
}

std::string HostNetwork::NftRuleset(const std::vector<Attachment>& live) const {
  std::string bridges;
  for (const Subnet& s : subnets_) bridges += (bridges.empty() ? "\"" : ", \"") + s.bridge + "\"";
  const std::string br = "iifname { " + bridges + " }";
  const std::string vpc = vpc_.ToString();
  const std::string md = MetadataAddress() + ":" + std::to_string(config_.metadata_port);
  std::string t = "table inet " + config_.name + " {\n";
  t += "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n";
  t += "    " + br + " ip daddr " + kMetadataIp + " tcp dport 80 dnat ip to " + md + "\n  }\n";
  t += "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n";
  t += "    ip saddr " + vpc + " ip daddr != " + vpc + " masquerade\n  }\n";
  t += "  chain input {\n    type filter hook input priority filter; policy accept;\n";
  if (config_.api_port != 0) t += "    " + br + " tcp dport " + std::to_string(config_.api_port) + " drop\n";
  t += "    " + br + " ct state established,related accept\n";
  t += "    " + br + " ip daddr " + MetadataAddress() + " tcp dport " +
       std::to_string(config_.metadata_port) + " accept\n";
  t += "    " + br + " icmp type echo-request accept\n";
  t += "    " + br + " drop\n  }\n}\n";
  // Anti-spoofing on the bridges: a frame from an instance's veth must carry that instance's IPv4
  // address (IP source and ARP sender), so no instance can pose as another to the metadata service
  // or to its peers. Frames from ports not in @ports (other daemons' instances) are not ours.
  std::string ports, bindings;
  for (const Attachment& a : live) {
    if (a.host_veth.empty() || a.ip.empty()) continue;
    ports += (ports.empty() ? "\"" : ", \"") + a.host_veth + "\"";
    bindings += (bindings.empty() ? "\"" : ", \"") + a.host_veth + "\" . " + a.ip;
  }
  t += "table bridge " + config_.name + " {\n";
  t += "  set ports {\n    type ifname;\n" + (ports.empty() ? "" : "    elements = { " + ports + " }\n") +
       "  }\n";
  t += "  set bindings {\n    type ifname . ipv4_addr;\n" +
       (bindings.empty() ? "" : "    elements = { " + bindings + " }\n") + "  }\n";
  t += "  chain prerouting {\n    type filter hook prerouting priority filter; policy accept;\n";
  t += "    iifname != @ports accept\n";
  t += "    iifname . ip saddr != @bindings drop\n";
  t += "    iifname . arp saddr ip != @bindings drop\n  }\n}\n";
  return t;
}

Status HostNetwork::BindPort(const std::string& host_veth, const std::string& ip, bool add) const {
  std::string verb = add ? "add" : "delete";  // one nft transaction: both sets change together
  std::string script = verb + " element bridge " + config_.name + " bindings { \"" + host_veth + "\" . " +
                       ip + " }\n" + verb + " element bridge " + config_.name + " ports { \"" + host_veth +
                       "\" }\n";
  RunOptions opts;
  opts.stdin_data = script;
  Result<ProcessResult> r = RunChecked({"nft", "-f", "-"}, opts);
  return r.ok() ? Status::Ok() : r.status();
}

Status HostNetwork::CheckNoOverlap() const {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return Internal(std::string("getifaddrs: ") + strerror(errno));
  Status st;
  for (ifaddrs* x = list; x != nullptr && st.ok(); x = x->ifa_next) {
    if (x->ifa_addr == nullptr || x->ifa_netmask == nullptr || x->ifa_addr->sa_family != AF_INET) continue;
    Ipv4Cidr net;
    net.prefix = __builtin_popcount(reinterpret_cast<sockaddr_in*>(x->ifa_netmask)->sin_addr.s_addr);
    net.network = ntohl(reinterpret_cast<sockaddr_in*>(x->ifa_addr)->sin_addr.s_addr) & net.Mask();
    if (net.prefix == 0) continue;
    for (const Subnet& s : subnets_) {
      if (s.bridge != x->ifa_name && s.cidr.Overlaps(net)) {
        st = FailedPrecondition("subnet " + s.spec.cidr + " overlaps " + net.ToString() + " on interface " +
                                x->ifa_name + " (another stratusd? choose another --vpc-cidr)");
        break;
      }
    }
  }
  freeifaddrs(list);
  return st;
}

Status HostNetwork::SetupBridges() const {
  std::string batch;
  for (const Subnet& s : subnets_) {
    if (!LinkExists(s.bridge)) batch += "link add " + s.bridge + " type bridge\n";
    batch += "link set " + s.bridge + " address " + BridgeMac(s.bridge) + "\n";
    batch += "addr replace " + s.gateway + "/" + std::to_string(s.cidr.prefix) + " dev " + s.bridge + "\n";
    batch += "link set " + s.bridge + " up\n";
  }
  RunOptions opts;
  opts.stdin_data = batch;
  Result<ProcessResult> r = RunChecked({"ip", "-batch", "-"}, opts);
  return r.ok() ? Status::Ok() : r.status().WithContext("create bridges");
}

Status HostNetwork::Setup() {
  if (config_.metadata_port == 0) return InvalidArgument("host network setup needs a metadata_port");
  STRATUS_RETURN_IF_ERROR(MakeDirs(IpamRoot(), 0700));
  STRATUS_RETURN_IF_ERROR(WriteProcFile("/proc/sys/net/ipv4/ip_forward", "1"));
  // Security groups filter at the inet forward hook, which frames between two ports of one bridge reach only
  // through br_netfilter (as Kubernetes requires it). Never reset: other daemons rely on it too.
  if (!PathExists(kBridgeNfCallIptables)) {
    return FailedPrecondition("security groups need br_netfilter (modprobe br_netfilter): " +
                              std::string(kBridgeNfCallIptables) + " is missing");
  }
  STRATUS_RETURN_IF_ERROR(WriteProcFile(kBridgeNfCallIptables, "1"));
  STRATUS_RETURN_IF_ERROR(CheckNoOverlap());
  STRATUS_RETURN_IF_ERROR(SetupBridges());
  StopPool();              // a re-run starts from an empty pool
  RemovePoolNamespaces();  // and one left by a crash goes
  MigrateSharedLeaseStore();
  ReleaseOrphanLeases();
  // Create-delete-create in one transaction: replaces an old version of the table atomically.
  RunOptions opts;
  // Instances attached before a restart keep their port bindings.
  std::vector<Attachment> live;
  Result<std::vector<std::string>> ids = ListAttached();
  if (ids.ok()) {
    for (const std::string& id : *ids) {
      Result<Attachment> a = Inspect(id);
      if (a.ok() && !a->host_veth.empty()) {
        live.push_back(*a);
      } else {
        LogWarn("attached instance without a readable address or veth: no spoofing protection for it",
                {{"instance", id}, {"error", a.ok() ? "no host veth" : a.status().ToString()}});
      }
    }
  }
  opts.stdin_data = "table inet " + config_.name + " {}\ndelete table inet " + config_.name + "\n" +
                    "table bridge " + config_.name + " {}\ndelete table bridge " + config_.name + "\n" +
                    NftRuleset(live);
  Result<ProcessResult> r = RunChecked({"nft", "-f", "-"}, opts);
  if (!r.ok()) return r.status().WithContext("install nftables tables " + config_.name);
  StartPool();
  LogInfo("host network ready", {{"name", config_.name},
                                 {"vpc", vpc_.ToString()},
                                 {"subnets", std::to_string(subnets_.size())},
                                 {"metadata", MetadataAddress()}});
  return Status::Ok();
}

const HostNetwork::Subnet* HostNetwork::SubnetOf(const std::string& ip) const {
  Result<uint32_t> addr = ParseIpv4(ip);
  if (!addr.ok()) return nullptr;
  for (const Subnet& s : subnets_) {
    if (s.cidr.Contains(*addr)) return &s;
  }
  return nullptr;
}

Result<std::string> HostNetwork::CreateNamespace(const std::string& instance_id) {
  if (!IsValidId(instance_id, "i")) return InvalidArgument("invalid instance id '" + instance_id + "'");
  Status st = CreateNetns(NetnsName(instance_id));
  if (st.code() == Code::kAlreadyExists)
    return AlreadyExists("instance " + instance_id + " is already attached");
  if (!st.ok()) return st;
  return NetnsPath(NetnsName(instance_id));
}

Result<Attachment> HostNetwork::Connect(const std::string& instance_id, const std::string& subnet_id,
                                        const std::string& requested_ip) {
  if (!IsValidId(instance_id, "i")) return InvalidArgument("invalid instance id '" + instance_id + "'");
  const Subnet* subnet = FindSubnet(subnet_id);
  if (subnet == nullptr) return NotFound("subnet " + subnet_id + " is not configured on this host");
  if (!NetnsExists(NetnsName(instance_id)))
    return NotFound("instance " + instance_id + " has no network namespace");
  return AddToNamespace(instance_id, NetnsName(instance_id), *subnet, requested_ip);
}

Result<Attachment> HostNetwork::AddToNamespace(const std::string& container_id, const std::string& netns_name,
                                               const Subnet& subnet, const std::string& requested_ip) {
  CniRuntime rt{container_id, NetnsPath(netns_name), "eth0", ""};
  std::optional<PoolPause> pause;
  if (!requested_ip.empty()) {
    STRATUS_ASSIGN_OR_RETURN(uint32_t ip, ParseIpv4(requested_ip));
    if (!subnet.cidr.Contains(ip) || ip <= subnet.cidr.FirstHost() ||
        ip == (subnet.cidr.network | ~subnet.cidr.Mask()))
      return InvalidArgument("address " + requested_ip + " is not usable in subnet " + subnet.spec.cidr);
    rt.args = "IgnoreUnknown=1;IP=" + requested_ip;
    pause.emplace(this);  // the pool must not lease that address while we ask for it
  }
  nlohmann::json conf = CniConfig(subnet);
  Result<CniResult> added = cni_.Add(conf, rt);
  const bool taken = !added.ok() && added.status().message().find("not available") != std::string::npos;
  if (!added.ok() && added.status().message().find("duplicate allocation") != std::string::npos) {
    // A lease of this container outlived its namespace (a crash, a reboot): release it and retry.
    STRATUS_RETURN_IF_ERROR(ReleaseHostLocalLeases(IpamDir(subnet), config_.name, container_id, "eth0"));
    STRATUS_RETURN_IF_ERROR(DeleteFailedEth0(rt.netns_path));
    added = cni_.Add(conf, rt);
  } else if (taken && !requested_ip.empty() && EvictPooledAddress(requested_ip)) {
    // A pooled namespace held it (the pool refilled before reconcile asked for a recorded address).
    STRATUS_RETURN_IF_ERROR(DeleteFailedEth0(rt.netns_path));
    added = cni_.Add(conf, rt);
  }
  if (!added.ok()) {
    // The bridge plugin releases the address itself when it fails after IPAM.
    if (!requested_ip.empty() && added.status().message().find("not available") != std::string::npos)
      return FailedPrecondition("address " + requested_ip + " is in use by another instance");
    return added.status().WithContext("attach " + container_id);
  }
  if (added->host_veth.empty()) return Internal("CNI ADD for " + container_id + " reported no host veth");
  // The bridge plugin gave eth0 a random MAC; the address's own replaces it.
  Result<std::string> mac = PublishAddress(rt.netns_path, "eth0", added->ip);
  if (!mac.ok()) return mac.status().WithContext("attach " + container_id);
  STRATUS_RETURN_IF_ERROR(BindPort(added->host_veth, added->ip, true).WithContext("attach " + container_id));
  return Attachment{container_id,         subnet.spec.subnet_id, added->ip,
                    added->prefix_length, added->gateway,        *mac,
                    rt.netns_path,        added->host_veth};
}

Result<Attachment> HostNetwork::Attach(const std::string& instance_id, const std::string& subnet_id,
                                       const std::string& requested_ip) {
  if (FindSubnet(subnet_id) == nullptr)
    return NotFound("subnet " + subnet_id + " is not configured on this host");
  if (!IsValidId(instance_id, "i")) return InvalidArgument("invalid instance id '" + instance_id + "'");
  if (requested_ip.empty() && config_.pool_size > 0 && !NetnsExists(NetnsName(instance_id))) {
    if (std::optional<Attachment> ready = TakeFromPool(instance_id, subnet_id)) return *ready;
  }
  Result<std::string> path = CreateNamespace(instance_id);
  if (!path.ok()) return path.status();
  NetnsGuard guard(NetnsName(instance_id));
  if (!requested_ip.empty()) {
    // The namespace is new, so a lease of this very instance for that address is stale (the host
    // rebooted: namespaces gone, state dir not) and would make host-local refuse it: drop it.
    STRATUS_RETURN_IF_ERROR(ReleaseLeases(instance_id, requested_ip));
  }
  Result<Attachment> a = Connect(instance_id, subnet_id, requested_ip);
  if (!a.ok()) {
    // Belt and braces for a plugin killed half-way: the namespace is ours and new, so is any lease.
    Status rel = ReleaseLeases(instance_id);
    if (!rel.ok())
      LogWarn("release lease after failed attach", {{"instance", instance_id}, {"error", rel.ToString()}});
    return a.status();
  }
  guard.Release();
  return a;
}

void HostNetwork::ReleaseOrphanLeases() {
  for (const Subnet& s : subnets_) {
    Result<std::vector<HostLocalLease>> leases = ListHostLocalLeases(IpamDir(s), config_.name);
    if (!leases.ok()) {
      LogWarn("cannot list IPAM leases", {{"subnet", s.spec.subnet_id}, {"error", leases.status().ToString()}});
      continue;
    }
    for (const HostLocalLease& l : *leases) {
      if (l.container_id.empty() || NetnsExists(NetnsName(l.container_id))) continue;
      LogInfo("releasing orphaned address", {{"ip", l.ip}, {"owner", l.container_id}});
      Status st = ReleaseHostLocalLeases(IpamDir(s), config_.name, l.container_id, "eth0", l.ip);
      if (!st.ok()) LogWarn("cannot release orphaned address", {{"ip", l.ip}, {"error", st.ToString()}});
    }
  }
}

Result<Attachment> HostNetwork::Reattach(const std::string& instance_id) {
  STRATUS_ASSIGN_OR_RETURN(Attachment a, Inspect(instance_id));
  STRATUS_ASSIGN_OR_RETURN(a.mac, PublishAddress(a.netns_path, "eth0", a.ip));
  return a;
}

Result<std::string> HostNetwork::PublishAddress(const std::string& netns_path, const std::string& ifname,
                                                const std::string& ip, bool primary,
                                                const std::string& current_mac) {
  const Subnet* subnet = SubnetOf(ip);
  if (subnet == nullptr) return InvalidArgument("address " + ip + " is in no subnet of this host");
  STRATUS_ASSIGN_OR_RETURN(uint32_t addr, ParseIpv4(ip));
  std::string mac = primary ? MacForIpv4(addr) : current_mac;
  if (current_mac.empty() || current_mac != mac) {  // else nothing in the namespace changes
    STRATUS_RETURN_IF_ERROR(RunInNetns(netns_path, [&]() -> Status {
      STRATUS_ASSIGN_OR_RETURN(std::string current, LinkMac(ifname));
      if (!primary) {
        mac = current;
        return Status::Ok();
      }
      // Setting even the same MAC notifies the whole stack (NETDEV_CHANGEADDR); Reattach finds it set.
      return current == mac ? Status::Ok() : SetLinkMac(ifname, mac);
    }));
  }
  // Replaced rather than announced with a gratuitous ARP: what the kernel does with an unsolicited
  // ARP depends on sysctls (arp_accept=0: only an existing entry is updated) and its version, and a
  // packet is asynchronous; RTM_NEWNEIGH with NLM_F_REPLACE sets the entry, whatever its state, now.
  STRATUS_RETURN_IF_ERROR(ReplaceNeighbour(subnet->bridge, ip, mac));
  return mac;
}

Status HostNetwork::WithdrawAddress(const std::string& ip) {
  const Subnet* subnet = SubnetOf(ip);
  if (subnet == nullptr) return Status::Ok();  // never published here
  return DeleteNeighbour(subnet->bridge, ip);
}

Status HostNetwork::Detach(const std::string& instance_id) {
  std::string name = NetnsName(instance_id);
  if (!IsValidNetnsName(name)) return InvalidArgument("invalid instance id '" + instance_id + "'");
  std::string ip;
  if (NetnsExists(name)) {
    Result<Attachment> a = Inspect(instance_id);
    if (a.ok()) {
      ip = a->ip;
      if (!a->host_veth.empty()) {
        UnbindLater(a->host_veth, a->ip);
      }
    }
  }
  // Before the address is free for another interface: the next holder's PublishAddress must not be
  // undone. (Traffic still in flight may re-learn the entry meanwhile; it is the address's own MAC.)
  if (!ip.empty()) {
    Status st = WithdrawAddress(ip);
    if (!st.ok()) LogWarn("remove neighbour entry", {{"ip", ip}, {"error", st.ToString()}});
  }
  Status released = ReleaseLeases(instance_id, ip);
  // The namespace goes even when the release failed: a retry still finds the lease by scanning.
  Status gone = DeleteNetns(name);
  if (!released.ok()) return released.WithContext("detach " + instance_id);
  return gone;
}

Result<std::vector<std::string>> HostNetwork::ListAttached() const {
  std::string prefix = config_.name + "-";
  STRATUS_ASSIGN_OR_RETURN(std::vector<std::string> names, ListNetns(prefix));
  std::vector<std::string> ids;
  for (auto& n : names) {
    // Only <name>-i-<hex>: other namespaces that happen to share the prefix are not ours.
    if (IsValidId(n.substr(prefix.size()), "i")) ids.push_back(n.substr(prefix.size()));
  }
  return ids;
}

Result<Attachment> HostNetwork::Inspect(const std::string& instance_id) const {
  std::string name = NetnsName(instance_id);
  if (!NetnsExists(name)) return NotFound("instance " + instance_id + " is not attached");
  Attachment a;
  a.instance_id = instance_id;
  a.netns_path = NetnsPath(name);
  int peer_index = 0;
  STRATUS_RETURN_IF_ERROR(RunInNetns(a.netns_path, [&]() -> Status {
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return Internal(std::string("getifaddrs: ") + strerror(errno));
    for (ifaddrs* x = list; x != nullptr; x = x->ifa_next) {
      if (x->ifa_addr == nullptr || std::strcmp(x->ifa_name, "eth0") != 0) continue;
      if (x->ifa_addr->sa_family == AF_INET && a.ip.empty()) {
        char buf[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(x->ifa_addr)->sin_addr, buf, sizeof buf);
        a.ip = buf;
        if (x->ifa_netmask != nullptr)
          a.prefix_length =
              __builtin_popcount(reinterpret_cast<sockaddr_in*>(x->ifa_netmask)->sin_addr.s_addr);
      } else if (x->ifa_addr->sa_family == AF_PACKET) {
        auto* ll = reinterpret_cast<sockaddr_ll*>(x->ifa_addr);
        char mac[18];
        if (ll->sll_halen == 6) {
          std::snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", ll->sll_addr[0], ll->sll_addr[1],
                        ll->sll_addr[2], ll->sll_addr[3], ll->sll_addr[4], ll->sll_addr[5]);
          a.mac = mac;
        }
      }
    }
    freeifaddrs(list);
    Result<int> peer = LinkPeerIndex("eth0");
    if (peer.ok()) peer_index = *peer;
    return Status::Ok();
  }));
  char veth[IF_NAMESIZE];
  if (peer_index > 0 && if_indextoname(static_cast<unsigned>(peer_index), veth) != nullptr)
    a.host_veth = veth;
  if (a.ip.empty()) return NotFound("instance " + instance_id + " has no IPv4 address on eth0");
  if (const Subnet* s = SubnetOf(a.ip)) {
    a.subnet_id = s->spec.subnet_id;
    a.gateway = s->gateway;
  }
  return a;
}

Result<std::string> HostNetwork::InstanceIp(const std::string& instance_id) const {
  STRATUS_ASSIGN_OR_RETURN(Attachment a, Inspect(instance_id));
  return a.ip;
}

Result<InterfaceCounters> HostNetwork::Counters(const std::string& instance_id) const {
  std::string name = NetnsName(instance_id);
  if (!NetnsExists(name)) return NotFound("instance " + instance_id + " is not attached");
  std::string text;
  STRATUS_RETURN_IF_ERROR(RunInNetns(NetnsPath(name), [&]() -> Status {
    STRATUS_ASSIGN_OR_RETURN(text, ReadFile("/proc/thread-self/net/dev"));
    return Status::Ok();
  }));
  return ParseProcNetDev(text, "eth0");
}

std::map<std::string, InterfaceCounters> HostNetwork::CountersOf(const std::vector<std::string>& instance_ids) const {
  std::map<std::string, InterfaceCounters> out;
  auto text = ReadFile("/proc/net/dev");  // the daemon's network namespace: the host's
  if (!text.ok()) return out;
  std::map<std::string, InterfaceCounters, std::less<>> host;
  ForEachNetDev(*text, [&](std::string_view name, const InterfaceCounters& c) { host.emplace(name, c); });
  std::lock_guard<std::mutex> lock(veths_mu_);
  std::map<std::string, std::string> kept;  // forgets instances no longer asked for
  for (const std::string& id : instance_ids) {
    auto known = veths_.find(id);
    std::string veth = known != veths_.end() ? known->second : "";
    if (veth.empty() || !host.count(veth)) {  // new, or its veth changed: ask its namespace once
      Result<Attachment> a = Inspect(id);
      veth = a.ok() ? a->host_veth : "";
    }
    auto c = host.find(veth);
    if (veth.empty() || c == host.end()) continue;
    kept[id] = veth;
    // The host end sends what the instance receives.
    out[id] = InterfaceCounters{c->second.network_out_bytes, c->second.network_in_bytes,
                                c->second.network_out_packets, c->second.network_in_packets};
  }
  veths_ = std::move(kept);
  return out;
}

Status HostNetwork::Teardown() {
  Status first;
  auto keep = [&first](Status st) {
    if (!st.ok() && first.ok()) first = st;
  };
  StopPool();
  RemovePoolNamespaces();
  Result<std::vector<std::string>> attached = ListAttached();
  keep(attached.status());
  if (attached.ok()) {
    for (const std::string& id : *attached) keep(DeleteNetns(NetnsName(id)));
  }
  for (const Subnet& s : subnets_) {
    if (LinkExists(s.bridge)) keep(RunChecked({"ip", "link", "del", s.bridge}).status());
  }
  for (const char* family : {"inet", "bridge"}) {
    Result<ProcessResult> nft = RunProcess({"nft", "delete", "table", family, config_.name});
    keep(nft.status());
    if (nft.ok() && nft->exit_code != 0 && nft->err.find("No such file") == std::string::npos)
      keep(Internal(std::string("nft delete table ") + family + " " + config_.name + ": " + nft->err));
  }
  keep(RemoveAll(IpamRoot()));
  return first;
}

}  // namespace stratus::net
