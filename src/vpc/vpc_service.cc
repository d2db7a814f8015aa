#include "vpc/vpc_service.h"

#include <algorithm>
#include <set>

#include "common/ids.h"
#include "net/ipv4.h"

namespace stratus::vpc {

using nlohmann::json;

namespace {

constexpr char kVpcs[] = "network/vpcs/";
constexpr char kSubnets[] = "network/subnets/";
constexpr char kGroups[] = "network/security-groups/";
constexpr size_t kGroupsPerInterface = 5;  // AWS's default quota

Status Coded(Status st, const char* code) { return st.WithErrorCode(code); }

Status VpcNotFound(const std::string& id) {
  return Coded(NotFound("The vpc ID '" + id + "' does not exist"), "InvalidVpcID.NotFound");
}
Status SubnetNotFound(const std::string& id) {
  return Coded(NotFound("The subnet ID '" + id + "' does not exist"), "InvalidSubnetID.NotFound");
}
Status GroupNotFound(const std::string& what) {
  return Coded(NotFound("The security group '" + what + "' does not exist"), "InvalidGroup.NotFound");
}

template <typename T>
Result<std::vector<T>> ListRecords(Store* store, const char* prefix, Result<T> (*parse)(const json&)) {
  STRATUS_ASSIGN_OR_RETURN(auto kvs, store->List(prefix));
  std::vector<T> out;
  for (const auto& kv : kvs) {
    STRATUS_ASSIGN_OR_RETURN(T v, parse(json::parse(kv.value, nullptr, false)));
    out.push_back(std::move(v));
  }
  return out;
}

// find(id) for each of `ids`, in order; the first failure.
template <typename T, typename Find>
Result<std::vector<T>> EachOf(const std::vector<std::string>& ids, Find find) {
  std::vector<T> out;
  for (const auto& id : ids) {
    STRATUS_ASSIGN_OR_RETURN(T v, find(id));
    out.push_back(std::move(v));
  }
  return out;
}

// Blocks no instance may use: 0.0.0.0/8, loopback, link-local (the metadata address), multicast and above.
bool ReservedBlock(const net::Ipv4Cidr& c) {
  const net::Ipv4Cidr reserved[] = {{0x00000000, 8}, {0x7f000000, 8}, {0xa9fe0000, 16}, {0xe0000000, 3}};
  return std::any_of(std::begin(reserved), std::end(reserved), [&](const net::Ipv4Cidr& r) { return r.Overlaps(c); });
}

TxnOp PutOp(std::string key, const json& value, int64_t revision) {
  return {TxnOp::Type::kPut, std::move(key), value.dump(), revision};
}

// The one rule every new group starts with: all outbound traffic.
Rule AllEgress(const std::string& group_id) {
  Rule r;
  r.rule_id = NewId("sgr");
  r.group_id = group_id;
  r.egress = true;
  r.protocol = "-1";
  r.cidr = "0.0.0.0/0";
  return r;
}

std::string Describe(const Rule& r) {
  std::string ports = r.protocol == "-1" ? "all" : std::to_string(r.from_port) + "-" + std::to_string(r.to_port);
  return std::string(r.egress ? "egress " : "ingress ") + r.protocol + " " + ports + " " +
         (r.cidr.empty() ? r.referenced_group_id : r.cidr);
}

}  // namespace

VpcService::VpcService(Store* store, VpcLimits limits) : store_(store), limits_(limits) {}

void VpcService::AddInUseCheck(InUseCheck check) {
  std::lock_guard<std::mutex> lock(mu_);
  in_use_.push_back(std::move(check));
}

void VpcService::AddGroupListener(GroupListener listener) {
  std::lock_guard<std::mutex> lock(mu_);
  group_listeners_.push_back(std::move(listener));
}

void VpcService::Notify(const std::string& group_id, const SecurityGroup* now) const {
  for (const auto& l : group_listeners_) l(group_id, now);
}

Status VpcService::CheckInUse(const std::string& resource_id) const {
  for (const auto& check : in_use_) STRATUS_RETURN_IF_ERROR(check(resource_id));
  return Status::Ok();
}

SecurityGroup VpcService::DefaultGroupOf(const std::string& vpc_id) const {
  // AWS's default group: all traffic from members of the group itself, all traffic out.
  SecurityGroup g;
  g.group_id = NewId("sg");
  g.group_name = "default";
  g.description = "default VPC security group";
  g.vpc_id = vpc_id;
  Rule self;
  self.rule_id = NewId("sgr");
  self.group_id = g.group_id;
  self.protocol = "-1";
  self.referenced_group_id = g.group_id;
  g.rules = {self, AllEgress(g.group_id)};
  return g;
}

Status VpcService::Init(const VpcInfo& default_vpc) {
  std::lock_guard<std::mutex> lock(mu_);
  zones_.clear();
  for (const auto& s : default_vpc.subnets) {
    if (std::find(zones_.begin(), zones_.end(), s.availability_zone) == zones_.end())
      zones_.push_back(s.availability_zone);
  }
  std::vector<TxnOp> ops;
  if (!store_->Get(kVpcs + default_vpc.vpc_id).ok()) {
    Vpc v{default_vpc.vpc_id, default_vpc.cidr, true, true, true, {}};  // AWS's default VPC has DNS hostnames on
    ops.push_back(PutOp(kVpcs + v.vpc_id, ToJson(v), kMustNotExist));
    for (const auto& si : default_vpc.subnets) {
      Subnet s{si.subnet_id, v.vpc_id, si.cidr, si.availability_zone, false, true, {}};
      ops.push_back(PutOp(kSubnets + s.subnet_id, ToJson(s), kMustNotExist));
    }
  }
  STRATUS_ASSIGN_OR_RETURN(auto vpcs, AllVpcs());
  if (!ops.empty()) vpcs.push_back({default_vpc.vpc_id, default_vpc.cidr, true, true, true, {}});
  STRATUS_ASSIGN_OR_RETURN(auto groups, AllGroups());
  for (const Vpc& v : vpcs) {
    bool has = std::any_of(groups.begin(), groups.end(),
                           [&](const SecurityGroup& g) { return g.vpc_id == v.vpc_id && g.IsDefault(); });
    if (has) continue;
    SecurityGroup g = DefaultGroupOf(v.vpc_id);
    ops.push_back(PutOp(kGroups + g.group_id, ToJson(g), kMustNotExist));
  }
  return store_->Commit(ops).status();
}

Result<std::vector<Vpc>> VpcService::AllVpcs() const { return ListRecords<Vpc>(store_, kVpcs, VpcFromJson); }
Result<std::vector<Subnet>> VpcService::AllSubnets() const {
  return ListRecords<Subnet>(store_, kSubnets, SubnetFromJson);
}
Result<std::vector<SecurityGroup>> VpcService::AllGroups() const {
  return ListRecords<SecurityGroup>(store_, kGroups, SecurityGroupFromJson);
}

Result<Vpc> VpcService::FindVpc(const std::string& vpc_id) const {
  auto kv = store_->Get(kVpcs + vpc_id);
  if (!kv.ok()) return kv.status().code() == Code::kNotFound ? VpcNotFound(vpc_id) : kv.status();
  return VpcFromJson(json::parse(kv->value, nullptr, false));
}

Result<std::string> VpcService::DefaultVpcId() const {
  STRATUS_ASSIGN_OR_RETURN(auto vpcs, AllVpcs());
  for (const Vpc& v : vpcs) {
    if (v.is_default) return v.vpc_id;
  }
  return Coded(NotFound("there is no default VPC"), "VPCIdNotSpecified");
}

// ---- VPCs

Result<Vpc> VpcService::CreateVpc(const std::string& cidr, const std::vector<Tag>& tags) {
  auto block = net::ParseCidr(cidr);
  if (!block.ok()) return Coded(InvalidArgument("The CIDR '" + cidr + "' is invalid."), "InvalidParameterValue");
  if (block->prefix < 16 || block->prefix > 28 || ReservedBlock(*block)) {
    return Coded(InvalidArgument("The CIDR '" + cidr + "' is invalid: a VPC is a /16 to /28 block outside "
                                 "0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16 and 224.0.0.0/3"),
                 "InvalidVpc.Range");
  }
  std::lock_guard<std::mutex> lock(mu_);
  STRATUS_ASSIGN_OR_RETURN(auto vpcs, AllVpcs());
  size_t own = std::count_if(vpcs.begin(), vpcs.end(), [](const Vpc& v) { return !v.is_default; });
  if (own >= limits_.vpcs) {
    return Coded(ResourceExhausted("The maximum number of VPCs (" + std::to_string(limits_.vpcs) +
                                   ") has been reached."),
                 "VpcLimitExceeded");
  }
  Vpc v{NewId("vpc"), block->ToString(), false, true, false, tags};
  SecurityGroup g = DefaultGroupOf(v.vpc_id);
  STRATUS_RETURN_IF_ERROR(store_->Commit({PutOp(kVpcs + v.vpc_id, ToJson(v), kMustNotExist),
                                          PutOp(kGroups + g.group_id, ToJson(g), kMustNotExist)})
                              .status());
  Notify(g.group_id, &g);
  return v;
}

Status VpcService::DeleteVpc(const std::string& vpc_id) {
  std::lock_guard<std::mutex> lock(mu_);
  STRATUS_ASSIGN_OR_RETURN(Vpc v, FindVpc(vpc_id));
  if (v.is_default) {
    return Coded(FailedPrecondition("The default VPC " + vpc_id + " is the daemon's own network and cannot be "
                                    "deleted"),
                 "OperationNotPermitted");
  }
  STRATUS_ASSIGN_OR_RETURN(auto subnets, AllSubnets());
  for (const Subnet& s : subnets) {
    if (s.vpc_id == vpc_id) {
      return Coded(FailedPrecondition("The vpc '" + vpc_id + "' has dependencies and cannot be deleted: subnet " +
                                      s.subnet_id),
                   "DependencyViolation");
    }
  }
  STRATUS_ASSIGN_OR_RETURN(auto groups, AllGroups());
  std::vector<TxnOp> ops = {{TxnOp::Type::kDelete, kVpcs + vpc_id, "", kAnyRevision}};
  std::vector<std::string> gone;
  for (const SecurityGroup& g : groups) {
    if (g.vpc_id != vpc_id) continue;
    if (!g.IsDefault()) {
      return Coded(FailedPrecondition("The vpc '" + vpc_id + "' has dependencies and cannot be deleted: "
                                      "security group " + g.group_id),
                   "DependencyViolation");
    }
    STRATUS_RETURN_IF_ERROR(CheckInUse(g.group_id));
    ops.push_back({TxnOp::Type::kDelete, kGroups + g.group_id, "", kAnyRevision});
    gone.push_back(g.group_id);
  }
  STRATUS_RETURN_IF_ERROR(store_->Commit(ops).status());
  for (const auto& id : gone) Notify(id, nullptr);
  return Status::Ok();
}

Result<std::vector<Vpc>> VpcService::DescribeVpcs(const std::vector<std::string>& ids) const {
  if (ids.empty()) return AllVpcs();
  return EachOf<Vpc>(ids, [this](const std::string& id) { return FindVpc(id); });
}

Result<Vpc> VpcService::ModifyVpcAttribute(const std::string& vpc_id, std::optional<bool> dns_support,
                                           std::optional<bool> dns_hostnames) {
  if (dns_support.has_value() == dns_hostnames.has_value()) {
    return Coded(InvalidArgument("give exactly one attribute: EnableDnsSupport or EnableDnsHostnames"),
                 "InvalidParameterCombination");
  }
  std::lock_guard<std::mutex> lock(mu_);
  STRATUS_ASSIGN_OR_RETURN(Vpc v, FindVpc(vpc_id));
  if (dns_support) v.enable_dns_support = *dns_support;
  if (dns_hostnames) v.enable_dns_hostnames = *dns_hostnames;
  STRATUS_RETURN_IF_ERROR(store_->Put(kVpcs + vpc_id, ToJson(v).dump()).status());
  return v;
}

// ---- subnets

Result<Subnet> VpcService::CreateSubnet(const SubnetRequest& r) {
  auto block = net::ParseCidr(r.cidr);
  if (!block.ok()) return Coded(InvalidArgument("The CIDR '" + r.cidr + "' is invalid."), "InvalidParameterValue");
  std::lock_guard<std::mutex> lock(mu_);
  STRATUS_ASSIGN_OR_RETURN(Vpc v, FindVpc(r.vpc_id));
  auto vpc_block = net::ParseCidr(v.cidr);
  if (!vpc_block.ok()) return vpc_block.status();
  if (block->prefix < 16 || block->prefix > 28 || block->prefix < vpc_block->prefix ||
      !vpc_block->Contains(block->network)) {
    return Coded(InvalidArgument("The CIDR '" + r.cidr + "' is invalid: a subnet is a /16 to /28 block inside "
                                 "its VPC's " + v.cidr),
                 "InvalidSubnet.Range");
  }
  std::string zone = r.availability_zone;
  if (!zone.empty() && std::find(zones_.begin(), zones_.end(), zone) == zones_.end()) {
    std::string list;
    for (const auto& z : zones_) list += (list.empty() ? "" : ", ") + z;
    return Coded(InvalidArgument("Value (" + zone + ") for parameter availabilityZone is invalid. Subnets can "
                                 "currently only be created in the following availability zones: " + list + "."),
                 "InvalidParameterValue");
  }
  STRATUS_ASSIGN_OR_RETURN(auto subnets, AllSubnets());
  size_t in_vpc = 0;
  for (const Subnet& s : subnets) {
    if (s.vpc_id != v.vpc_id) continue;
    in_vpc++;
    auto other = net::ParseCidr(s.cidr);
    if (other.ok() && other->Overlaps(*block)) {
      return Coded(InvalidArgument("The CIDR '" + r.cidr + "' conflicts with another subnet (" + s.subnet_id +
                                   ", " + s.cidr + ")"),
                   "InvalidSubnet.Conflict");
    }
  }
  if (in_vpc >= limits_.subnets_per_vpc) {
    return Coded(ResourceExhausted("The maximum number of subnets per VPC (" +
                                   std::to_string(limits_.subnets_per_vpc) + ") has been reached."),
                 "SubnetLimitExceeded");
  }
  if (zone.empty()) zone = zones_.empty() ? std::string() : zones_[in_vpc % zones_.size()];
  Subnet s{NewId("subnet"), v.vpc_id, block->ToString(), zone, r.map_public_ip_on_launch, false, r.tags};
  STRATUS_RETURN_IF_ERROR(store_->Put(kSubnets + s.subnet_id, ToJson(s).dump(), kMustNotExist).status());
  return s;
}

Result<Subnet> VpcService::FindSubnet(const std::string& subnet_id) const {
  auto kv = store_->Get(kSubnets + subnet_id);
  if (!kv.ok()) return kv.status().code() == Code::kNotFound ? SubnetNotFound(subnet_id) : kv.status();
  return SubnetFromJson(json::parse(kv->value, nullptr, false));
}

Status VpcService::DeleteSubnet(const std::string& subnet_id) {
  std::lock_guard<std::mutex> lock(mu_);
  STRATUS_ASSIGN_OR_RETURN(Subnet s, FindSubnet(subnet_id));
  if (s.default_for_az) {
    return Coded(FailedPrecondition("The subnet " + subnet_id + " is one of the default VPC's subnets, which the "
                                    "daemon's network is made of; it cannot be deleted"),
                 "OperationNotPermitted");
  }
  STRATUS_RETURN_IF_ERROR(CheckInUse(subnet_id));
  return store_->Delete(kSubnets + subnet_id);
}

Result<std::vector<Subnet>> VpcService::DescribeSubnets(const std::vector<std::string>& ids) const {
  if (ids.empty()) return AllSubnets();
  return EachOf<Subnet>(ids, [this](const std::string& id) { return FindSubnet(id); });
}

Result<Subnet> VpcService::ModifySubnetAttribute(const std::string& subnet_id, std::optional<bool> map_public) {
  if (!map_public) {
    return Coded(InvalidArgument("give the attribute to change: MapPublicIpOnLaunch"), "MissingParameter");
  }
  std::lock_guard<std::mutex> lock(mu_);
  STRATUS_ASSIGN_OR_RETURN(Subnet s, FindSubnet(subnet_id));
  s.map_public_ip_on_launch = *map_public;
  STRATUS_RETURN_IF_ERROR(store_->Put(kSubnets + subnet_id, ToJson(s).dump()).status());
  return s;
}

// ---- security groups

Result<KeyValue> VpcService::GroupRecord(const GroupRef& ref, SecurityGroup* group) const {
  if (!ref.group_id.empty()) {
    auto kv = store_->Get(kGroups + ref.group_id);
    if (!kv.ok()) return kv.status().code() == Code::kNotFound ? GroupNotFound(ref.group_id) : kv.status();
    STRATUS_ASSIGN_OR_RETURN(*group, SecurityGroupFromJson(json::parse(kv->value, nullptr, false)));
    return kv;
  }
  if (ref.group_name.empty()) {
    return Coded(InvalidArgument("give a GroupId or a GroupName"), "MissingParameter");
  }
  // By name: a group of the default VPC, as EC2 resolves GroupName.
  STRATUS_ASSIGN_OR_RETURN(std::string default_vpc, DefaultVpcId());
  STRATUS_ASSIGN_OR_RETURN(auto kvs, store_->List(kGroups));
  for (auto& kv : kvs) {
    STRATUS_ASSIGN_OR_RETURN(SecurityGroup g, SecurityGroupFromJson(json::parse(kv.value, nullptr, false)));
    if (g.vpc_id == default_vpc && g.group_name == ref.group_name) {
      *group = std::move(g);
      return kv;
    }
  }
  return GroupNotFound(ref.group_name);
}

Result<SecurityGroup> VpcService::FindGroup(const GroupRef& ref) const {
  SecurityGroup g;
  STRATUS_RETURN_IF_ERROR(GroupRecord(ref, &g).status());
  return g;
}

Result<std::vector<std::string>> VpcService::ResolveGroups(const std::string& vpc_id,
                                                          const std::vector<std::string>& ids) const {
  std::vector<std::string> out;
  for (const auto& id : ids) {
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
  if (out.size() > kGroupsPerInterface) {
    return Coded(ResourceExhausted("an interface has at most " + std::to_string(kGroupsPerInterface) +
                                   " security groups"),
                 "SecurityGroupsPerInterfaceLimitExceeded");
  }
  for (const auto& id : out) {
    STRATUS_ASSIGN_OR_RETURN(SecurityGroup g, FindGroup({id, ""}));
    if (g.vpc_id != vpc_id) {
      return Coded(InvalidArgument("Security group " + id + " and the instance belong to different networks (" +
                                   g.vpc_id + ", " + vpc_id + ")"),
                   "InvalidParameter");
    }
  }
  if (!out.empty()) return out;
  STRATUS_ASSIGN_OR_RETURN(auto groups, AllGroups());
  for (const SecurityGroup& g : groups) {
    if (g.vpc_id == vpc_id && g.IsDefault()) return std::vector<std::string>{g.group_id};
  }
  return VpcNotFound(vpc_id);
}

Result<SecurityGroup> VpcService::CreateSecurityGroup(const GroupRequest& r) {
  if (r.group_name.empty()) return Coded(InvalidArgument("GroupName is required"), "MissingParameter");
  if (r.description.empty()) return Coded(InvalidArgument("GroupDescription is required"), "MissingParameter");
  if (r.group_name.size() > 255 || r.description.size() > 255) {
    return Coded(InvalidArgument("GroupName and GroupDescription are at most 255 characters"),
                 "InvalidParameterValue");
  }
  if (r.group_name.rfind("sg-", 0) == 0) {
    return Coded(InvalidArgument("Group names may not be in the format sg-*"), "InvalidParameterValue");
  }
  if (r.group_name == "default") {
    return Coded(InvalidArgument("The security group 'default' is reserved"), "InvalidGroup.Reserved");
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::string vpc_id = r.vpc_id;
  if (vpc_id.empty()) {
    STRATUS_ASSIGN_OR_RETURN(vpc_id, DefaultVpcId());
  }
  STRATUS_RETURN_IF_ERROR(FindVpc(vpc_id).status());
  STRATUS_ASSIGN_OR_RETURN(auto groups, AllGroups());
  size_t in_vpc = 0;
  for (const SecurityGroup& g : groups) {
    if (g.vpc_id != vpc_id) continue;
    in_vpc++;
    if (g.group_name == r.group_name) {
      return Coded(AlreadyExists("The security group '" + r.group_name + "' already exists for VPC '" + vpc_id +
                                 "'"),
                   "InvalidGroup.Duplicate");
    }
  }
  if (in_vpc >= limits_.groups_per_vpc) {
    return Coded(ResourceExhausted("The maximum number of security groups per VPC (" +
                                   std::to_string(limits_.groups_per_vpc) + ") has been reached."),
                 "SecurityGroupLimitExceeded");
  }
  SecurityGroup g{NewId("sg"), r.group_name, r.description, vpc_id, r.tags, {}};
  g.rules.push_back(AllEgress(g.group_id));
  STRATUS_RETURN_IF_ERROR(store_->Put(kGroups + g.group_id, ToJson(g).dump(), kMustNotExist).status());
  Notify(g.group_id, &g);
  return g;
}

Status VpcService::DeleteSecurityGroup(const GroupRef& ref) {
  std::lock_guard<std::mutex> lock(mu_);
  SecurityGroup g;
  STRATUS_ASSIGN_OR_RETURN(KeyValue kv, GroupRecord(ref, &g));
  if (g.IsDefault()) {
    return Coded(FailedPrecondition("the default security group of a VPC cannot be deleted"), "CannotDelete");
  }
  STRATUS_ASSIGN_OR_RETURN(auto groups, AllGroups());
  for (const SecurityGroup& other : groups) {
    if (other.group_id == g.group_id) continue;
    for (const Rule& r : other.rules) {
      if (r.referenced_group_id == g.group_id) {
        return Coded(FailedPrecondition("resource " + g.group_id + " has a dependent object: a rule of " +
                                        other.group_id + " references it"),
                     "DependencyViolation");
      }
    }
  }
  STRATUS_RETURN_IF_ERROR(CheckInUse(g.group_id));
  STRATUS_RETURN_IF_ERROR(store_->Delete(kv.key, kv.revision));
  Notify(g.group_id, nullptr);
  return Status::Ok();
}

Result<std::vector<SecurityGroup>> VpcService::DescribeSecurityGroups(const std::vector<std::string>& ids,
                                                                      const std::vector<std::string>& names) const {
  if (ids.empty() && names.empty()) return AllGroups();
  std::vector<SecurityGroup> out;
  std::set<std::string> seen;
  for (const auto& id : ids) {
    STRATUS_ASSIGN_OR_RETURN(SecurityGroup g, FindGroup({id, ""}));
    if (seen.insert(g.group_id).second) out.push_back(std::move(g));
  }
  for (const auto& name : names) {
    STRATUS_ASSIGN_OR_RETURN(SecurityGroup g, FindGroup({"", name}));
    if (seen.insert(g.group_id).second) out.push_back(std::move(g));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
  return out;
}

Result<std::vector<Rule>> VpcService::AuthorizeRules(const GroupRef& ref, bool egress, const std::vector<Rule>& rules) {
  if (rules.empty()) return Coded(InvalidArgument("no rules given"), "MissingParameter");
  std::lock_guard<std::mutex> lock(mu_);
  SecurityGroup g;
  STRATUS_ASSIGN_OR_RETURN(KeyValue kv, GroupRecord(ref, &g));
  std::vector<Rule> added;
  for (Rule r : rules) {
    r.egress = egress;
    r.group_id = g.group_id;
    if (!r.referenced_group_id.empty() && r.referenced_group_id != g.group_id) {
      auto other = FindGroup({r.referenced_group_id, ""});
      if (!other.ok()) return other.status();
      if (other->vpc_id != g.vpc_id) {
        return Coded(NotFound("The security group '" + r.referenced_group_id + "' is not in " + g.vpc_id +
                              ", the VPC of " + g.group_id),
                     "InvalidGroup.NotFound");
      }
    }
    auto same = [&](const Rule& o) { return o.SameTraffic(r); };
    if (std::any_of(g.rules.begin(), g.rules.end(), same) || std::any_of(added.begin(), added.end(), same)) {
      return Coded(AlreadyExists("the specified rule \"" + Describe(r) + "\" already exists"),
                   "InvalidPermission.Duplicate");
    }
    r.rule_id = NewId("sgr");
    added.push_back(std::move(r));
  }
  size_t count = std::count_if(g.rules.begin(), g.rules.end(), [&](const Rule& o) { return o.egress == egress; });
  if (count + added.size() > limits_.rules_per_direction) {
    return Coded(ResourceExhausted("The maximum number of rules per security group (" +
                                   std::to_string(limits_.rules_per_direction) + " " +
                                   (egress ? "outbound" : "inbound") + ") has been reached."),
                 "RulesPerSecurityGroupLimitExceeded");
  }
  g.rules.insert(g.rules.end(), added.begin(), added.end());
  STRATUS_RETURN_IF_ERROR(store_->Put(kv.key, ToJson(g).dump(), kv.revision).status());
  Notify(g.group_id, &g);
  return added;
}

Result<std::vector<Rule>> VpcService::RevokeRules(const GroupRef& ref, bool egress, const std::vector<Rule>& rules,
                                                  const std::vector<std::string>& rule_ids) {
  if (rules.empty() && rule_ids.empty()) {
    return Coded(InvalidArgument("give IpPermissions or SecurityGroupRuleIds"), "MissingParameter");
  }
  std::lock_guard<std::mutex> lock(mu_);
  SecurityGroup g;
  STRATUS_ASSIGN_OR_RETURN(KeyValue kv, GroupRecord(ref, &g));
  std::vector<Rule> removed;
  auto take = [&](auto pred) -> bool {
    auto it = std::find_if(g.rules.begin(), g.rules.end(), pred);
    if (it == g.rules.end()) return false;
    removed.push_back(*it);
    g.rules.erase(it);
    return true;
  };
  for (Rule r : rules) {
    r.egress = egress;
    if (!take([&](const Rule& o) { return o.SameTraffic(r); })) {
      return Coded(NotFound("The specified rule \"" + Describe(r) + "\" does not exist in " + g.group_id),
                   "InvalidPermission.NotFound");
    }
  }
  for (const auto& id : rule_ids) {
    if (!take([&](const Rule& o) { return o.rule_id == id && o.egress == egress; })) {
      return Coded(NotFound("The security group rule ID '" + id + "' does not exist in " + g.group_id +
                            (egress ? " (egress)" : " (ingress)")),
                   "InvalidSecurityGroupRuleId.NotFound");
    }
  }
  STRATUS_RETURN_IF_ERROR(store_->Put(kv.key, ToJson(g).dump(), kv.revision).status());
  Notify(g.group_id, &g);
  return removed;
}

Result<std::vector<Rule>> VpcService::DescribeRules(const std::vector<std::string>& group_ids,
                                                    const std::vector<std::string>& rule_ids) const {
  std::vector<SecurityGroup> groups;
  if (group_ids.empty()) {
    STRATUS_ASSIGN_OR_RETURN(groups, AllGroups());
  } else {
    STRATUS_ASSIGN_OR_RETURN(groups, DescribeSecurityGroups(group_ids, {}));
  }
  std::vector<Rule> out;
  std::set<std::string> found;
  for (const SecurityGroup& g : groups) {
    for (const Rule& r : g.rules) {
      if (!rule_ids.empty() && std::find(rule_ids.begin(), rule_ids.end(), r.rule_id) == rule_ids.end()) continue;
      found.insert(r.rule_id);
      out.push_back(r);
    }
  }
  for (const auto& id : rule_ids) {
    if (!found.count(id)) {
      return Coded(NotFound("The security group rule ID '" + id + "' does not exist"),
                   "InvalidSecurityGroupRuleId.NotFound");
    }
  }
  return out;
}

}  // namespace stratus::vpc
