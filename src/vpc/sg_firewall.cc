#include "vpc/sg_firewall.h"

#include <algorithm>
#include <cctype>

#include "common/log.h"
#include "common/subprocess.h"

namespace stratus::vpc {
namespace {

// Base chains: egress before ingress at the forward hook. An accept ends only its own base chain, so a packet
// must pass its sender's egress rules and then its receiver's ingress rules; a drop in either is final.
constexpr int kEgressPriority = -10;
constexpr int kIngressPriority = 0;

// Ids become nftables names: only what ids are made of, so nothing in a record can reach nft's syntax.
bool SafeName(const std::string& s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
  });
}

bool SafeAddress(const std::string& s) {
  return !s.empty() && s.size() <= 18 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '/';
  });
}

std::string MemberSet(const std::string& group_id) { return "m-" + group_id; }
std::string GroupChain(const std::string& group_id, bool egress) { return group_id + (egress ? "-out" : "-in"); }
std::string IfaceChain(const std::string& instance_id, bool egress) {
  return instance_id + (egress ? "-out" : "-in");
}

// The groups a group's rules name (their member sets must exist before the rules are added).
std::set<std::string> Referenced(const SecurityGroup& g) {
  std::set<std::string> out = {g.group_id};
  for (const Rule& r : g.rules) {
    if (!r.referenced_group_id.empty()) out.insert(r.referenced_group_id);
  }
  return out;
}

Status CheckGroup(const SecurityGroup& g) {
  for (const auto& id : Referenced(g)) {
    if (!SafeName(id)) return InvalidArgument("security group id '" + id + "' cannot name an nftables set");
  }
  for (const Rule& r : g.rules) {
    if (!r.cidr.empty() && !SafeAddress(r.cidr)) return InvalidArgument("rule CIDR '" + r.cidr + "' is malformed");
  }
  return Status::Ok();
}

Status CheckInterface(const FilteredInterface& i) {
  if (!SafeName(i.instance_id)) return InvalidArgument("instance id '" + i.instance_id + "' is malformed");
  if (!SafeAddress(i.ip) || i.ip.find('/') != std::string::npos) {
    return InvalidArgument("address '" + i.ip + "' of " + i.instance_id + " is malformed");
  }
  if (i.group_ids.empty()) return InvalidArgument("interface of " + i.instance_id + " has no security group");
  for (const auto& g : i.group_ids) {
    if (!SafeName(g)) return InvalidArgument("security group id '" + g + "' is malformed");
  }
  return Status::Ok();
}

std::string PortMatch(const std::string& proto, int from, int to) {
  if (from < 0 || (from == 0 && to == 65535)) return "meta l4proto " + proto;
  if (from == to) return proto + " dport " + std::to_string(from);
  return proto + " dport " + std::to_string(from) + "-" + std::to_string(to);
}

}  // namespace

std::string RuleMatch(const Rule& r) {
  std::vector<std::string> parts;
  const std::string dir = r.egress ? "ip daddr " : "ip saddr ";
  if (!r.referenced_group_id.empty()) {
    parts.push_back(dir + "@" + MemberSet(r.referenced_group_id));
  } else if (!r.cidr.empty() && r.cidr != "0.0.0.0/0") {
    parts.push_back(dir + r.cidr);
  }
  if (r.protocol == "tcp" || r.protocol == "udp") {
    parts.push_back(PortMatch(r.protocol, r.from_port, r.to_port));
  } else if (r.protocol == "icmp") {
    if (r.from_port < 0) {
      parts.push_back("meta l4proto icmp");
    } else {
      parts.push_back("icmp type " + std::to_string(r.from_port));
      if (r.to_port >= 0) parts.push_back("icmp code " + std::to_string(r.to_port));
    }
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " ") + p;
  return out;
}

SecurityGroupFirewall::SecurityGroupFirewall(FirewallOptions options) : options_(std::move(options)) {
  if (!options_.apply) {
    options_.apply = [](const std::string& script) {
      RunOptions o;
      o.stdin_data = script;
      return RunChecked({"nft", "-f", "-"}, o).status();
    };
  }
}

Status SecurityGroupFirewall::Apply(const std::string& script) const {
  if (script.empty()) return Status::Ok();
  Status st = options_.apply(script);
  if (!st.ok()) LogError("security groups: nft transaction refused", {{"table", options_.table}, {"error", st.ToString()}});
  return st.WithContext("security groups in table inet " + options_.table);
}

std::string SecurityGroupFirewall::GroupChainsScript(const SecurityGroup& g) const {
  const std::string t = "inet " + options_.table + " ";
  std::string s;
  for (const auto& id : Referenced(g)) s += "add set " + t + MemberSet(id) + " { type ipv4_addr; }\n";
  for (bool egress : {false, true}) {
    const std::string chain = GroupChain(g.group_id, egress);
    s += "add chain " + t + chain + "\nflush chain " + t + chain + "\n";
    for (const Rule& r : g.rules) {
      if (r.egress != egress) continue;
      std::string m = RuleMatch(r);
      s += "add rule " + t + chain + " " + (m.empty() ? "" : m + " ") + "accept comment \"" + r.rule_id + "\"\n";
    }
  }
  return s;
}

std::string SecurityGroupFirewall::InterfaceScript(const FilteredInterface& i, const FilteredInterface* before) const {
  const std::string t = "inet " + options_.table + " ";
  std::string s;
  for (bool egress : {false, true}) {
    const std::string chain = IfaceChain(i.instance_id, egress);
    s += "add chain " + t + chain + "\nflush chain " + t + chain + "\n";
    for (const auto& g : i.group_ids) s += "add rule " + t + chain + " jump " + GroupChain(g, egress) + "\n";
  }
  const bool moved = before != nullptr && before->ip != i.ip;
  if (moved) {
    s += "delete element " + t + "ingress { " + before->ip + " }\n";
    s += "delete element " + t + "egress { " + before->ip + " }\n";
  }
  if (before != nullptr) {
    for (const auto& g : before->group_ids) {
      bool stays = !moved && std::count(i.group_ids.begin(), i.group_ids.end(), g);
      if (!stays) s += "delete element " + t + MemberSet(g) + " { " + before->ip + " }\n";
    }
  }
  for (const auto& g : i.group_ids) {
    bool was = before != nullptr && !moved && std::count(before->group_ids.begin(), before->group_ids.end(), g);
    if (!was) s += "add element " + t + MemberSet(g) + " { " + i.ip + " }\n";
  }
  if (before == nullptr || moved) {
    s += "add element " + t + "ingress { " + i.ip + " : jump " + IfaceChain(i.instance_id, false) + " }\n";
    s += "add element " + t + "egress { " + i.ip + " : jump " + IfaceChain(i.instance_id, true) + " }\n";
  }
  return s;
}

std::string SecurityGroupFirewall::RemoveInterfaceScript(const FilteredInterface& i) const {
  const std::string t = "inet " + options_.table + " ";
  std::string s = "delete element " + t + "ingress { " + i.ip + " }\n";
  s += "delete element " + t + "egress { " + i.ip + " }\n";
  for (const auto& g : i.group_ids) s += "delete element " + t + MemberSet(g) + " { " + i.ip + " }\n";
  for (bool egress : {false, true}) {
    const std::string chain = IfaceChain(i.instance_id, egress);
    s += "flush chain " + t + chain + "\ndelete chain " + t + chain + "\n";
  }
  return s;
}

std::string SecurityGroupFirewall::RenderTable() const {
  std::lock_guard<std::mutex> lock(mu_);
  return RenderTableLocked();
}

std::string SecurityGroupFirewall::RenderTableLocked() const {
  std::map<std::string, std::vector<std::string>> members;  // group -> addresses
  for (const auto& [id, g] : groups_) {
    for (const auto& ref : Referenced(g)) members[ref];
  }
  for (const auto& [id, i] : ifaces_) {
    for (const auto& g : i.group_ids) members[g].push_back(i.ip);
  }
  auto list = [](const std::vector<std::string>& items) {
    std::string s;
    for (const auto& x : items) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  std::string t = "table inet " + options_.table + " {\n";
  t += "  set guarded {\n    type ipv4_addr\n    flags interval\n";
  if (!options_.guarded_cidrs.empty()) t += "    elements = { " + list(options_.guarded_cidrs) + " }\n";
  t += "  }\n";
  for (const auto& [g, ips] : members) {
    t += "  set " + MemberSet(g) + " {\n    type ipv4_addr\n";
    if (!ips.empty()) t += "    elements = { " + list(ips) + " }\n";
    t += "  }\n";
  }
  for (const auto& [id, g] : groups_) {
    for (bool egress : {false, true}) {
      t += "  chain " + GroupChain(id, egress) + " {\n";
      for (const Rule& r : g.rules) {
        if (r.egress != egress) continue;
        std::string m = RuleMatch(r);
        t += "    " + (m.empty() ? "" : m + " ") + "accept comment \"" + r.rule_id + "\"\n";
      }
      t += "  }\n";
    }
  }
  std::vector<std::string> in_elems, out_elems;
  for (const auto& [id, i] : ifaces_) {
    for (bool egress : {false, true}) {
      t += "  chain " + IfaceChain(id, egress) + " {\n";
      for (const auto& g : i.group_ids) t += "    jump " + GroupChain(g, egress) + "\n";
      t += "  }\n";
    }
    in_elems.push_back(i.ip + " : jump " + IfaceChain(id, false));
    out_elems.push_back(i.ip + " : jump " + IfaceChain(id, true));
  }
  for (const auto& [name, elems] : {std::pair{"ingress", in_elems}, std::pair{"egress", out_elems}}) {
    t += std::string("  map ") + name + " {\n    type ipv4_addr : verdict\n";
    if (!elems.empty()) t += "    elements = { " + list(elems) + " }\n";
    t += "  }\n";
  }
  // Known connections first: return traffic, and flows a rule change left allowed or not, as AWS tracks them.
  // An address of our subnets that no interface holds (yet) is dropped: nothing is open before its rules are.
  t += "  chain egress-filter {\n    type filter hook forward priority " + std::to_string(kEgressPriority) +
       "; policy accept;\n";
  t += "    ct state established,related accept\n    ip saddr vmap @egress\n    ip saddr @guarded drop\n  }\n";
  t += "  chain ingress-filter {\n    type filter hook forward priority " + std::to_string(kIngressPriority) +
       "; policy accept;\n";
  t += "    ct state established,related accept\n    ip daddr vmap @ingress\n    ip daddr @guarded drop\n  }\n";
  t += "}\n";
  return t;
}

Status SecurityGroupFirewall::KnowGroups(const std::vector<std::string>& ids, std::string* script) {
  for (const auto& id : ids) {
    if (groups_.count(id)) continue;
    if (!options_.lookup) return NotFound("security group " + id + " is not known to the firewall");
    Result<SecurityGroup> found = options_.lookup(id);
    if (!found.ok() && found.status().code() != Code::kNotFound) return found.status();
    // A group gone from the store (an old record names it) admits nothing: its chains stay empty.
    SecurityGroup g = found.ok() ? *found : SecurityGroup{id, "", "", "", {}, {}};
    if (!found.ok()) LogWarn("security groups: an interface names an unknown group", {{"group", id}});
    STRATUS_RETURN_IF_ERROR(CheckGroup(g));
    *script += GroupChainsScript(g);
    groups_[id] = std::move(g);  // undone by the caller when the transaction fails
  }
  return Status::Ok();
}

Status SecurityGroupFirewall::Sync(const std::vector<SecurityGroup>& groups,
                                   const std::vector<FilteredInterface>& interfaces) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& g : groups) STRATUS_RETURN_IF_ERROR(CheckGroup(g));
  for (const auto& i : interfaces) STRATUS_RETURN_IF_ERROR(CheckInterface(i));
  auto saved_groups = groups_;
  auto saved_ifaces = ifaces_;
  groups_.clear();
  for (const auto& g : groups) groups_[g.group_id] = g;
  std::map<std::string, FilteredInterface> merged;
  for (const auto& i : interfaces) {
    if (!removed_before_sync_.count(i.instance_id)) merged[i.instance_id] = i;
  }
  for (const auto& [id, i] : ifaces_) merged[id] = i;  // set since start-up: newer than the store's list
  ifaces_ = std::move(merged);
  std::string unknown;
  std::vector<std::string> used;
  for (const auto& [id, i] : ifaces_) used.insert(used.end(), i.group_ids.begin(), i.group_ids.end());
  Status known = KnowGroups(used, &unknown);  // only fills groups_; the table below has them all
  std::string script = "table inet " + options_.table + " {}\ndelete table inet " + options_.table + "\n" +
                       RenderTableLocked();
  Status st = known.ok() ? Apply(script) : known;
  if (!st.ok()) {
    groups_ = std::move(saved_groups);
    ifaces_ = std::move(saved_ifaces);
    return st;
  }
  synced_ = true;
  removed_before_sync_.clear();
  return Status::Ok();
}

Status SecurityGroupFirewall::SetGroup(const SecurityGroup& group) {
  STRATUS_RETURN_IF_ERROR(CheckGroup(group));
  std::lock_guard<std::mutex> lock(mu_);
  if (synced_) STRATUS_RETURN_IF_ERROR(Apply(GroupChainsScript(group)));
  groups_[group.group_id] = group;
  return Status::Ok();
}

Status SecurityGroupFirewall::RemoveGroup(const std::string& group_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!groups_.count(group_id)) return Status::Ok();
  for (const auto& [id, i] : ifaces_) {
    if (std::count(i.group_ids.begin(), i.group_ids.end(), group_id)) {
      return FailedPrecondition("security group " + group_id + " is used by " + id);
    }
  }
  if (synced_) {
    const std::string t = "inet " + options_.table + " ";
    std::string s;
    for (bool egress : {false, true}) {
      s += "flush chain " + t + GroupChain(group_id, egress) + "\ndelete chain " + t + GroupChain(group_id, egress) + "\n";
    }
    // The member set goes unless a remaining group's rules still name it.
    bool referenced = false;
    for (const auto& [id, g] : groups_) {
      if (id != group_id && Referenced(g).count(group_id)) referenced = true;
    }
    if (!referenced) s += "delete set " + t + MemberSet(group_id) + "\n";
    STRATUS_RETURN_IF_ERROR(Apply(s));
  }
  groups_.erase(group_id);
  return Status::Ok();
}

Status SecurityGroupFirewall::SetInterface(const FilteredInterface& iface) {
  STRATUS_RETURN_IF_ERROR(CheckInterface(iface));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = ifaces_.find(iface.instance_id);
  const FilteredInterface* before = it != ifaces_.end() ? &it->second : nullptr;
  if (before != nullptr && *before == iface) return Status::Ok();
  removed_before_sync_.erase(iface.instance_id);
  if (synced_) {
    auto saved = groups_;
    std::string script;
    Status st = KnowGroups(iface.group_ids, &script);
    if (st.ok()) st = Apply(script + InterfaceScript(iface, before));
    if (!st.ok()) {
      groups_ = std::move(saved);
      return st;
    }
  }
  ifaces_[iface.instance_id] = iface;
  return Status::Ok();
}

Status SecurityGroupFirewall::RemoveInterface(const std::string& instance_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = ifaces_.find(instance_id);
  if (!synced_) removed_before_sync_.insert(instance_id);
  if (it == ifaces_.end()) return Status::Ok();
  if (synced_) STRATUS_RETURN_IF_ERROR(Apply(RemoveInterfaceScript(it->second)));
  ifaces_.erase(it);
  return Status::Ok();
}

Status SecurityGroupFirewall::DeleteTable(const std::string& table) {
  Result<ProcessResult> r = RunProcess({"nft", "delete", "table", "inet", table});
  if (!r.ok()) return r.status();
  if (r->exit_code != 0 && r->err.find("No such file") == std::string::npos) {
    return Internal("nft delete table inet " + table + ": " + r->err);
  }
  return Status::Ok();
}

}  // namespace stratus::vpc
