#include "cli/requests.h"

#include <set>

#include "common/base64.h"
#include "common/files.h"

namespace stratus::cli {

namespace {

ApiRequest Get(std::string path) { return ApiRequest{"GET", std::move(path), {}, std::nullopt}; }

std::string InstancePath(const std::string& id) { return "/v1/instances/" + EscapePathSegment(id); }

// Parses every "KEY=VALUE" of `items`; fails on bad syntax or a key given twice.
Result<std::vector<KeyValue>> ParseUniquePairs(const std::vector<std::string>& items,
                                               std::string_view what) {
  std::vector<KeyValue> out;
  std::set<std::string> seen;
  for (const std::string& item : items) {
    STRATUS_ASSIGN_OR_RETURN(KeyValue kv, ParseKeyValue(item, what));
    if (!seen.insert(kv.key).second) {
      return InvalidArgument(std::string(what) + ": key \"" + kv.key + "\" is given twice");
    }
    out.push_back(std::move(kv));
  }
  return out;
}

Json TagsJson(const std::vector<KeyValue>& tags) {
  Json out = Json::array();
  for (const KeyValue& kv : tags) out.push_back({{"Key", kv.key}, {"Value", kv.value}});
  return out;
}

// POST PATH/tags {Tags} for an object at PATH.
Result<ApiRequest> TagRequest(const std::string& path, const std::vector<std::string>& tags) {
  if (tags.empty()) return InvalidArgument("give at least one KEY=VALUE tag");
  STRATUS_ASSIGN_OR_RETURN(std::vector<KeyValue> pairs, ParseUniquePairs(tags, "tag"));
  return ApiRequest{"POST", path + "/tags", {}, Json{{"Tags", TagsJson(pairs)}}};
}

// GET PATH?filter=F&filter=G for a list with EC2-style filters, each checked for syntax.
Result<ApiRequest> ListWithFilters(const std::string& path, const std::vector<std::string>& filters) {
  ApiRequest req = Get(path);
  for (const std::string& f : filters) {
    STRATUS_RETURN_IF_ERROR(ValidateInstanceFilter(f, "--filter"));
    req.query.emplace_back("filter", f);
  }
  return req;
}

std::string VolumePath(const std::string& id) { return "/v1/volumes/" + EscapePathSegment(id); }
std::string SnapshotPath(const std::string& id) { return "/v1/snapshots/" + EscapePathSegment(id); }

bool IsFilterNameChar(char c) {
  return isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':';
}

// Reads the user-data file and checks its size.
Result<std::string> ReadUserData(const std::string& path) {
  Result<std::string> data = ReadFile(path);
  if (!data.ok()) return InvalidArgument("--user-data: " + data.status().message());
  if (data->size() > kMaxUserDataBytes) {
    return InvalidArgument("--user-data: " + path + " is " + std::to_string(data->size()) +
                           " bytes; user data is limited to " + std::to_string(kMaxUserDataBytes) +
                           " bytes");
  }
  return std::move(data).value();
}

}  // namespace

Result<KeyValue> ParseKeyValue(const std::string& text, std::string_view what) {
  std::string subject = (what.empty() ? "" : std::string(what) + " ") + "\"" + text + "\"";
  size_t eq = text.find('=');
  if (eq == std::string::npos) return InvalidArgument(subject + ": expected KEY=VALUE");
  if (eq == 0) return InvalidArgument(subject + ": the key before '=' is empty");
  return KeyValue{text.substr(0, eq), text.substr(eq + 1)};
}

Status ValidateInstanceFilter(const std::string& text, std::string_view what) {
  std::string subject = (what.empty() ? "" : std::string(what) + " ") + "\"" + text + "\"";
  const char* usage = ": expected state=STATE, instance-id=ID, tag-key=KEY or tag:KEY=VALUE";
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return InvalidArgument(subject + usage);
  std::string name = text.substr(0, eq);
  for (char c : name) {
    if (!IsFilterNameChar(c)) return InvalidArgument(subject + usage);
  }
  if (name == "tag:") return InvalidArgument(subject + ": the tag key after \"tag:\" is empty");
  return Status::Ok();
}

ApiRequest MakeRequest(std::string method, std::string path, std::optional<Json> body) {
  ApiRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  return r;
}

std::vector<ApiRequest> RequestsForIds(const std::vector<std::string>& ids,
                                       const std::function<ApiRequest(const std::string&)>& make) {
  std::vector<ApiRequest> out;
  for (const std::string& id : ids) out.push_back(make(id));
  return out;
}

ApiRequest ListImagesRequest() { return Get("/v1/images"); }

ApiRequest ShowImageRequest(const std::string& id_or_name) {
  return Get("/v1/images/" + EscapePathSegment(id_or_name));
}

Result<ApiRequest> LaunchRequest(const LaunchArgs& args) {
  if (args.image.empty()) return InvalidArgument("an image id or name is required");
  if (args.count < 1) return InvalidArgument("--count must be at least 1");
  STRATUS_ASSIGN_OR_RETURN(std::vector<KeyValue> tags, ParseUniquePairs(args.tags, "--tag"));
  STRATUS_ASSIGN_OR_RETURN(std::vector<KeyValue> sysctls,
                           ParseUniquePairs(args.sysctls, "--sysctl"));
  Json body = {{"ImageId", args.image}, {"Count", args.count}};
  if (!args.instance_type.empty()) body["InstanceType"] = args.instance_type;
  if (!args.user_data_file.empty()) {
    STRATUS_ASSIGN_OR_RETURN(std::string data, ReadUserData(args.user_data_file));
    body["UserData"] = Base64Encode(data);
  }
  if (!tags.empty()) body["Tags"] = TagsJson(tags);
  if (!sysctls.empty()) {
    Json s = Json::object();
    for (const KeyValue& kv : sysctls) s[kv.key] = kv.value;
    body["Sysctls"] = std::move(s);
  }
  if (!args.subnet.empty()) body["SubnetId"] = args.subnet;
  if (!args.security_groups.empty()) body["SecurityGroupIds"] = args.security_groups;
  if (args.wait) body["Wait"] = true;
  return ApiRequest{"POST", "/v1/instances", {}, std::move(body)};
}

Result<ApiRequest> ListInstancesRequest(const std::vector<std::string>& filters) {
  return ListWithFilters("/v1/instances", filters);
}

ApiRequest ShowInstanceRequest(const std::string& id) { return Get(InstancePath(id)); }

ApiRequest InstanceActionRequest(const std::string& id, std::string_view action, bool wait,
                                 bool force) {
  Json body = {{"Wait", wait}};
  if (action == "stop") body["Force"] = force;
  return ApiRequest{"POST", InstancePath(id) + "/" + std::string(action), {}, std::move(body)};
}

Result<ApiRequest> ModifyInstanceRequest(const std::string& id, const std::string& instance_type,
                                         const std::vector<std::string>& security_groups) {
  if (instance_type.empty() == security_groups.empty()) {
    return InvalidArgument("give one of --type and --security-group");
  }
  Json body = instance_type.empty() ? Json{{"SecurityGroupIds", security_groups}} : Json{{"InstanceType", instance_type}};
  return ApiRequest{"PATCH", InstancePath(id), {}, std::move(body)};
}

ApiRequest ConsoleRequest(const std::string& id) { return Get(InstancePath(id) + "/console"); }

Result<ApiRequest> TagInstanceRequest(const std::string& id,
                                      const std::vector<std::string>& tags) {
  return TagRequest(InstancePath(id), tags);
}

ApiRequest UntagInstanceRequest(const std::string& id, const std::string& key) {
  return ApiRequest{"DELETE", InstancePath(id) + "/tags", {{"key", key}}, std::nullopt};
}

ApiRequest ListInstanceTypesRequest() { return Get("/v1/instance-types"); }
ApiRequest ListVpcsRequest() { return Get("/v1/vpcs"); }
ApiRequest ListSubnetsRequest() { return Get("/v1/subnets"); }
ApiRequest HealthRequest() { return Get("/v1/health"); }

Result<ApiRequest> CreateVpcRequest(const std::string& cidr, const std::vector<std::string>& tags) {
  STRATUS_ASSIGN_OR_RETURN(std::vector<KeyValue> pairs, ParseUniquePairs(tags, "--tag"));
  Json body = {{"CidrBlock", cidr}};
  if (!pairs.empty()) body["Tags"] = TagsJson(pairs);
  return ApiRequest{"POST", "/v1/vpcs", {}, std::move(body)};
}

Result<ApiRequest> CreateSubnetRequest(const SubnetArgs& args) {
  STRATUS_ASSIGN_OR_RETURN(std::vector<KeyValue> pairs, ParseUniquePairs(args.tags, "--tag"));
  Json body = {{"VpcId", args.vpc}, {"CidrBlock", args.cidr}, {"MapPublicIpOnLaunch", args.public_ip_on_launch}};
  if (!args.zone.empty()) body["AvailabilityZone"] = args.zone;
  if (!pairs.empty()) body["Tags"] = TagsJson(pairs);
  return ApiRequest{"POST", "/v1/subnets", {}, std::move(body)};
}

Result<ApiRequest> CreateGroupRequest(const GroupArgs& args) {
  STRATUS_ASSIGN_OR_RETURN(std::vector<KeyValue> pairs, ParseUniquePairs(args.tags, "--tag"));
  Json body = {{"GroupName", args.name}, {"Description", args.description}};
  if (!args.vpc.empty()) body["VpcId"] = args.vpc;
  if (!pairs.empty()) body["Tags"] = TagsJson(pairs);
  return ApiRequest{"POST", "/v1/security-groups", {}, std::move(body)};
}

Result<ApiRequest> RuleChangeRequest(const RuleArgs& args, bool authorize) {
  Json body = {{"Direction", args.egress ? "egress" : "ingress"}};
  if (!args.cidrs.empty() || !args.source_groups.empty()) {
    Json perm = {{"IpProtocol", args.protocol == "all" ? "-1" : args.protocol}};
    if (!args.ports.empty()) {
      // "80" or "8000-8080" (icmp: TYPE or TYPE-CODE); the daemon checks the ranges.
      size_t dash = args.ports.find('-', 1);
      std::string from = args.ports.substr(0, dash), to = dash == std::string::npos ? from : args.ports.substr(dash + 1);
      char* end = nullptr;
      long f = strtol(from.c_str(), &end, 10);
      bool ok = !from.empty() && *end == 0;
      long t = strtol(to.c_str(), &end, 10);
      ok = ok && !to.empty() && *end == 0;
      if (!ok) return InvalidArgument("--port \"" + args.ports + "\": expected PORT or FROM-TO");
      perm["FromPort"] = f;
      perm["ToPort"] = args.protocol == "icmp" && dash == std::string::npos ? -1 : t;
    }
    Json ranges = Json::array(), pairs = Json::array();
    for (const auto& c : args.cidrs) ranges.push_back({{"CidrIp", c}});
    for (const auto& g : args.source_groups) pairs.push_back({{"GroupId", g}});
    perm["IpRanges"] = ranges;
    perm["UserIdGroupPairs"] = pairs;
    body["IpPermissions"] = Json::array({perm});
  } else if (authorize || args.rule_ids.empty()) {
    return InvalidArgument(authorize ? "give --cidr or --source-group" : "give --cidr, --source-group or --rule");
  }
  if (!args.rule_ids.empty()) body["SecurityGroupRuleIds"] = args.rule_ids;
  return ApiRequest{"POST", "/v1/security-groups/" + EscapePathSegment(args.group) + (authorize ? "/authorize" : "/revoke"),
                    {}, std::move(body)};
}

// ---- volumes

Result<ApiRequest> CreateVolumeCliRequest(const VolumeArgs& args) {
  if (args.snapshot_id.empty() && args.size_gib <= 0) {
    return InvalidArgument("--size: give the size in GiB (1 or more), or --snapshot");
  }
  Json body = {{"Encrypted", args.encrypted}};
  if (args.size_gib > 0) body["Size"] = args.size_gib;
  if (!args.snapshot_id.empty()) body["SnapshotId"] = args.snapshot_id;
  if (!args.type.empty()) body["VolumeType"] = args.type;
  if (!args.zone.empty()) body["AvailabilityZone"] = args.zone;
  if (args.iops > 0) body["Iops"] = args.iops;
  if (args.throughput > 0) body["Throughput"] = args.throughput;
  STRATUS_ASSIGN_OR_RETURN(std::vector<KeyValue> tags, ParseUniquePairs(args.tags, "--tag"));
  if (!tags.empty()) body["Tags"] = TagsJson(tags);
  return ApiRequest{"POST", "/v1/volumes", {}, std::move(body)};
}

Result<ApiRequest> ListVolumesRequest(const std::vector<std::string>& filters) {
  return ListWithFilters("/v1/volumes", filters);
}

ApiRequest ShowVolumeRequest(const std::string& id) { return Get(VolumePath(id)); }

ApiRequest DeleteVolumeRequest(const std::string& id) { return ApiRequest{"DELETE", VolumePath(id), {}, std::nullopt}; }

Result<ApiRequest> ModifyVolumeCliRequest(const std::string& id, const VolumeArgs& args) {
  Json body = Json::object();
  if (args.size_gib > 0) body["Size"] = args.size_gib;
  if (!args.type.empty()) body["VolumeType"] = args.type;
  if (args.iops > 0) body["Iops"] = args.iops;
  if (args.throughput > 0) body["Throughput"] = args.throughput;
  if (body.empty()) return InvalidArgument("give at least one of --size, --type, --iops, --throughput");
  return ApiRequest{"PATCH", VolumePath(id), {}, std::move(body)};
}

Result<ApiRequest> TagVolumeRequest(const std::string& id, const std::vector<std::string>& tags) {
  return TagRequest(VolumePath(id), tags);
}

ApiRequest UntagVolumeRequest(const std::string& id, const std::string& key) {
  return ApiRequest{"DELETE", VolumePath(id) + "/tags", {{"key", key}}, std::nullopt};
}

ApiRequest AttachVolumeRequest(const std::string& id, const std::string& instance_id, const std::string& device) {
  return ApiRequest{"POST", VolumePath(id) + "/attach", {}, Json{{"InstanceId", instance_id}, {"Device", device}}};
}

ApiRequest DetachVolumeRequest(const std::string& id, bool force) {
  return ApiRequest{"POST", VolumePath(id) + "/detach", {}, Json{{"Force", force}}};
}

// ---- snapshots

Result<ApiRequest> CreateSnapshotCliRequest(const SnapshotArgs& args) {
  Json body = {{"VolumeId", args.volume_id}};
  if (!args.description.empty()) body["Description"] = args.description;
  STRATUS_ASSIGN_OR_RETURN(std::vector<KeyValue> tags, ParseUniquePairs(args.tags, "--tag"));
  if (!tags.empty()) body["Tags"] = TagsJson(tags);
  return ApiRequest{"POST", "/v1/snapshots", {}, std::move(body)};
}

Result<ApiRequest> CopySnapshotCliRequest(const SnapshotArgs& args) {
  Json body = Json::object();
  if (!args.description.empty()) body["Description"] = args.description;
  STRATUS_ASSIGN_OR_RETURN(std::vector<KeyValue> tags, ParseUniquePairs(args.tags, "--tag"));
  if (!tags.empty()) body["Tags"] = TagsJson(tags);
  return ApiRequest{"POST", SnapshotPath(args.volume_id) + "/copy", {}, std::move(body)};
}

Result<ApiRequest> ListSnapshotsRequest(const std::vector<std::string>& filters) {
  return ListWithFilters("/v1/snapshots", filters);
}

ApiRequest ShowSnapshotRequest(const std::string& id) { return Get(SnapshotPath(id)); }

ApiRequest DeleteSnapshotRequest(const std::string& id) {
  return ApiRequest{"DELETE", SnapshotPath(id), {}, std::nullopt};
}

Result<ApiRequest> TagSnapshotRequest(const std::string& id, const std::vector<std::string>& tags) {
  return TagRequest(SnapshotPath(id), tags);
}

ApiRequest UntagSnapshotRequest(const std::string& id, const std::string& key) {
  return ApiRequest{"DELETE", SnapshotPath(id) + "/tags", {{"key", key}}, std::nullopt};
}

}  // namespace stratus::cli
