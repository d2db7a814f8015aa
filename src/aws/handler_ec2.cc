// EC2 instances and tags over InstanceService (RunInstances, DescribeInstances, state changes, tags, console).
#include <algorithm>
#include <set>

#include "aws/handler.h"
#include "aws/handler_util.h"
#include "common/base64.h"
#include "common/ids.h"
#include "common/time_format.h"
#include "compute/instance_service.h"
#include "image/image_service.h"
#include "image/image_store.h"
#include "volume/volume_service.h"
#include "vpc/vpc_service.h"

namespace stratus::aws {

namespace {

constexpr char kService[] = "ec2";
using Output = StratusAwsHandler::Output;

std::string ZoneOf(const VpcInfo& vpc, const std::string& subnet_id, const std::string& region) {
  for (const auto& s : vpc.subnets) {
    if (s.subnet_id == subnet_id && !s.availability_zone.empty()) return s.availability_zone;
  }
  return region + "a";
}

json StateJson(InstanceState state) { return {{"Code", static_cast<int>(state)}, {"Name", StateName(state)}}; }

// One instance in EC2's Instance shape.
json InstanceJson(const Instance& i, const AwsServices& s, int launch_index) {
  json j = {
      {"InstanceId", i.instance_id},
      {"ImageId", i.image_id},
      {"InstanceType", i.instance_type},
      {"State", StateJson(i.state)},
      {"StateTransitionReason", i.state_reason},
      {"PrivateIpAddress", i.private_ip},
      {"PrivateDnsName", i.PrivateDnsName()},
      {"SubnetId", i.subnet_id},
      {"VpcId", i.vpc_id},
      {"LaunchTime", i.launch_time},
      {"AmiLaunchIndex", launch_index},
      {"Architecture", "x86_64"},
      {"RootDeviceType", "instance-store"},
      {"VirtualizationType", "hvm"},
      {"Hypervisor", "xen"},
      {"ClientToken", i.client_token},
      {"Placement", {{"AvailabilityZone", ZoneOf(s.vpc, i.subnet_id, s.region)}, {"Tenancy", "default"}}},
      {"Monitoring", {{"State", "enabled"}}},
      {"Tags", TagList(i.tags)},
  };
  json groups = json::array();
  for (const auto& g : i.security_group_ids) {
    json e = {{"GroupId", g}};
    auto found = s.vpcs != nullptr ? s.vpcs->FindGroup({g, ""}) : Result<vpc::SecurityGroup>(NotFound(g));
    if (found.ok()) e["GroupName"] = found->group_name;
    groups.push_back(std::move(e));
  }
  j["SecurityGroups"] = groups;
  bool down = i.state != InstanceState::kPending && i.state != InstanceState::kRunning;
  if (down && !i.state_reason.empty()) {
    std::string code = i.state_reason.find("User initiated") != std::string::npos ? "Client.UserInitiatedShutdown"
                                                                                  : "Server.InternalError";
    j["StateReason"] = {{"Code", code}, {"Message", i.state_reason}};
  }
  if (!i.mac.empty()) {
    j["NetworkInterfaces"] = json::array({{{"MacAddress", i.mac},
                                           {"PrivateIpAddress", i.private_ip},
                                           {"SubnetId", i.subnet_id},
                                           {"VpcId", i.vpc_id},
                                           {"Groups", groups},
                                           {"Status", "in-use"}}});
  }
  return DropEmpty(std::move(j));
}

// EC2 groups instances by reservation; Stratus keeps no reservation records, so each instance gets the
// reservation id derived from its own id (instances of one RunInstances call share the first one's).
std::string ReservationIdOf(const std::string& instance_id) {
  return "r-" + (instance_id.size() > 2 ? instance_id.substr(2) : instance_id);
}

json Reservation(const std::vector<Instance>& instances, const AwsServices& s, const AwsCallContext& ctx) {
  json list = json::array();
  int index = 0;
  for (const auto& i : instances) list.push_back(InstanceJson(i, s, index++));
  return {{"ReservationId", ReservationIdOf(instances.empty() ? "" : instances.front().instance_id)},
          {"OwnerId", ctx.account_id},
          {"Groups", json::array()},
          {"Instances", list}};
}

Result<RunRequest> ParseRun(const json& in) {
  RunRequest req;
  req.image = Str(in, "ImageId");
  req.instance_type = Str(in, "InstanceType");
  int64_t min = OptInt(in, "MinCount").value_or(1), max = OptInt(in, "MaxCount").value_or(1);
  if (min < 1 || max < min) {
    return InvalidArgument("MinCount must be at least 1 and at most MaxCount").WithErrorCode("InvalidParameterValue");
  }
  req.count = static_cast<int>(max);
  std::string user_data = Str(in, "UserData");
  if (!user_data.empty()) {
    auto raw = Base64Decode(user_data, Base64Decoding::kLenient);
    if (!raw.ok()) return InvalidArgument("UserData is not valid base64").WithErrorCode("InvalidUserData.Malformed");
    req.user_data = *raw;
  }
  req.tags = TagSpecTags(in, "instance");
  req.subnet_id = Str(in, "SubnetId");
  req.security_group_ids = StrList(in, "SecurityGroupIds");
  req.client_token = Str(in, "ClientToken");
  if (in.contains("LaunchTemplate")) {
    const json& lt = in["LaunchTemplate"];
    req.launch_template = Str(lt, "LaunchTemplateId", Str(lt, "LaunchTemplateName"));
    req.launch_template_version = Str(lt, "Version", "$Default");
  }
  return req;
}

// Describe filters in InstanceService's form, InstanceIds as an instance-id filter.
std::vector<InstanceFilter> FiltersOf(const json& in) {
  std::vector<InstanceFilter> filters;
  for (const auto& f : in.value("Filters", json::array())) filters.push_back({Str(f, "Name"), StrList(f, "Values")});
  auto ids = StrList(in, "InstanceIds");
  if (!ids.empty()) filters.push_back({"instance-id", ids});
  return filters;
}

// Every id must exist, as EC2 answers InvalidInstanceID.NotFound naming the unknown ones.
Status CheckIds(InstanceService& svc, const std::vector<std::string>& ids) {
  std::vector<std::string> missing;
  for (const auto& id : ids) {
    if (!svc.Get(id).ok()) missing.push_back(id);
  }
  if (missing.empty()) return Status::Ok();
  std::string list;
  for (const auto& id : missing) list += (list.empty() ? "" : ", ") + id;
  bool malformed = std::any_of(missing.begin(), missing.end(), [](const std::string& id) { return !IsValidId(id, "i"); });
  return NotFound("The instance ID '" + list + "' does not exist")
      .WithErrorCode(malformed ? "InvalidInstanceID.Malformed" : "InvalidInstanceID.NotFound");
}

using Transition = std::function<Result<Instance>(InstanceService&, const std::string&)>;

// Start/Stop/Terminate: the ids' previous and current states, in EC2's InstanceStateChange shape.
Output ChangeStates(InstanceService& svc, const json& in, const char* out_member, const Transition& change) {
  auto ids = StrList(in, "InstanceIds");
  if (ids.empty()) return MissingParam(kService, "InstanceIds");
  AWS_RETURN_IF_ERROR(CheckIds(svc, ids));
  json changes = json::array();
  for (const auto& id : ids) {
    AWS_ASSIGN_OR_RETURN(before, svc.Get(id));
    AWS_ASSIGN_OR_RETURN(after, change(svc, id));
    changes.push_back({{"InstanceId", id}, {"PreviousState", StateJson(before.state)}, {"CurrentState", StateJson(after.state)}});
  }
  return json{{out_member, changes}};
}

Output RunInstances(const AwsServices& s, const json& in, const AwsCallContext& ctx) {
  AWS_ASSIGN_OR_RETURN(req, ParseRun(in));
  AWS_ASSIGN_OR_RETURN(instances, s.instances->Run(req));
  return Reservation(instances, s, ctx);
}

Output DescribeInstances(const AwsServices& s, const json& in, const AwsCallContext& ctx) {
  AWS_RETURN_IF_ERROR(CheckIds(*s.instances, StrList(in, "InstanceIds")));
  AWS_ASSIGN_OR_RETURN(all, s.instances->Describe(FiltersOf(in)));
  size_t start = 0;
  std::string token = Str(in, "NextToken");
  if (!token.empty()) {
    char* end = nullptr;
    start = strtoull(token.c_str(), &end, 10);
    if (*end != '\0') return ParamError(kService, "NextToken " + token + " is not one this endpoint gave out");
  }
  size_t page = all.size();
  if (auto max = OptInt(in, "MaxResults")) {
    if (*max < 5 || *max > 1000) return ParamError(kService, "MaxResults must be between 5 and 1000");
    page = static_cast<size_t>(*max);
  }
  json reservations = json::array();
  size_t i = start;
  for (; i < all.size() && i < start + page; ++i) reservations.push_back(Reservation({all[i]}, s, ctx));
  json out = {{"Reservations", reservations}};
  if (i < all.size()) out["NextToken"] = std::to_string(i);
  return out;
}

Output ModifyInstanceAttribute(const AwsServices& s, const json& in) {
  std::string id = Str(in, "InstanceId");
  if (in.contains("Groups")) {
    AWS_RETURN_IF_ERROR(CheckIds(*s.instances, {id}));
    AWS_RETURN_IF_ERROR(s.instances->ModifySecurityGroups(id, StrList(in, "Groups")).status());
    return json::object();
  }
  std::string type = Str(in.value("InstanceType", json::object()), "Value");
  if (type.empty() && Str(in, "Attribute") == "instanceType") type = Str(in, "Value");
  if (type.empty()) {
    return AwsError{"UnsupportedOperation", "Stratus can modify only the InstanceType and Groups attributes", 400};
  }
  AWS_RETURN_IF_ERROR(CheckIds(*s.instances, {id}));
  AWS_ASSIGN_OR_RETURN(changed, s.instances->ModifyInstanceType(id, type));
  (void)changed;
  return json::object();
}

Output GetConsoleOutput(const AwsServices& s, const json& in) {
  std::string id = Str(in, "InstanceId");
  AWS_RETURN_IF_ERROR(CheckIds(*s.instances, {id}));
  AWS_ASSIGN_OR_RETURN(text, s.instances->ConsoleOutput(id));
  return json{{"InstanceId", id}, {"Timestamp", NowIso8601()}, {"Output", Base64Encode(text)}};
}

// Tags of instances (i-), images (ami-), volumes (vol-) and snapshots (snap-): CreateTags / DeleteTags.
Status ChangeResourceTags(const AwsServices& s, const std::string& id, const std::vector<Tag>& add,
                          const std::vector<std::string>& remove) {
  if (id.rfind("i-", 0) == 0 && s.instances != nullptr) {
    STRATUS_RETURN_IF_ERROR(CheckIds(*s.instances, {id}));
    return s.instances->ChangeTags(id, add, remove).status();
  }
  if (id.rfind("ami-", 0) == 0 && s.image_service != nullptr) return s.image_service->ChangeTags(id, add, remove).status();
  if (id.rfind("vol-", 0) == 0 && s.volumes != nullptr) return s.volumes->ChangeTags(id, add, remove).status();
  if (id.rfind("snap-", 0) == 0 && s.volumes != nullptr) return s.volumes->ChangeSnapshotTags(id, add, remove).status();
  return InvalidArgument("Stratus keeps tags on instances (i-), images (ami-), volumes (vol-) and snapshots (snap-) only; " + id +
                         " is none of them")
      .WithErrorCode("InvalidID");
}

Output DeleteTags(const AwsServices& s, const json& in) {
  auto resources = StrList(in, "Resources");
  for (const auto& id : resources) {
    std::vector<Tag> current;
    if (id.rfind("i-", 0) == 0 && s.instances != nullptr) {
      if (auto i = s.instances->Get(id); i.ok()) current = i->tags;
    } else if (id.rfind("ami-", 0) == 0 && s.images != nullptr) {
      if (auto im = s.images->Find(id); im.ok()) current = im->tags;
    } else if (id.rfind("vol-", 0) == 0 && s.volumes != nullptr) {
      if (auto v = s.volumes->Get(id); v.ok()) current = v->tags;
    } else if (id.rfind("snap-", 0) == 0 && s.volumes != nullptr) {
      if (auto sn = s.volumes->GetSnapshot(id); sn.ok()) current = sn->tags;
    }
    std::vector<std::string> remove;
    for (const auto& t : in.value("Tags", json::array())) {
      std::string key = Str(t, "Key");
      bool value_given = t.contains("Value");
      for (const auto& c : current) {
        if (c.key == key && (!value_given || c.value == Str(t, "Value"))) remove.push_back(key);
      }
    }
    if (!in.contains("Tags")) {
      for (const auto& c : current) remove.push_back(c.key);
    }
    AWS_RETURN_IF_ERROR(ChangeResourceTags(s, id, {}, remove));
  }
  return json::object();
}

bool TagFilterMatches(const json& filters, const std::string& id, const std::string& type, const Tag& tag) {
  for (const auto& f : filters) {
    std::string name = Str(f, "Name");
    auto values = StrList(f, "Values");
    auto any = [&](const std::string& v) { return std::find(values.begin(), values.end(), v) != values.end(); };
    if (name == "resource-id" && !any(id)) return false;
    if (name == "resource-type" && !any(type)) return false;
    if (name == "key" && !any(tag.key)) return false;
    if (name == "value" && !any(tag.value)) return false;
    if (name.rfind("tag:", 0) == 0 && (tag.key != name.substr(4) || !any(tag.value))) return false;
  }
  return true;
}

Output DescribeTags(const AwsServices& s, const json& in) {
  json filters = in.value("Filters", json::array());
  for (const auto& f : filters) {
    static const std::set<std::string> kKnown = {"resource-id", "resource-type", "key", "value"};
    std::string name = Str(f, "Name");
    if (!kKnown.count(name) && name.rfind("tag:", 0) != 0) {
      return AwsError{"InvalidParameterValue", "The filter '" + name + "' is invalid", 400};
    }
  }
  json tags = json::array();
  auto add = [&](const std::string& id, const std::string& type, const std::vector<Tag>& list) {
    for (const auto& t : list) {
      if (TagFilterMatches(filters, id, type, t)) {
        tags.push_back({{"ResourceId", id}, {"ResourceType", type}, {"Key", t.key}, {"Value", t.value}});
      }
    }
  };
  if (s.instances != nullptr) {
    if (auto all = s.instances->Describe({}); all.ok()) {
      for (const auto& i : *all) add(i.instance_id, "instance", i.tags);
    }
  }
  if (s.images != nullptr) {
    for (const auto& im : s.images->List()) add(im.image_id, "image", im.tags);
  }
  if (s.volumes != nullptr) {
    if (auto all = s.volumes->Describe({}, {}); all.ok()) {
      for (const auto& v : *all) add(v.volume_id, "volume", v.tags);
    }
  }
  return json{{"Tags", tags}};
}

}  // namespace

void StratusAwsHandler::RegisterEc2() {
  const AwsServices& s = s_;
  auto with_instances = [&s](const char* op, Op f) {
    return RequireService(s.instances, op, "instance service", std::move(f));
  };
  ops_["ec2/RunInstances"] = with_instances("RunInstances", [&s](const json& in, const AwsCallContext& ctx) {
    return RunInstances(s, in, ctx);
  });
  ops_["ec2/DescribeInstances"] = with_instances("DescribeInstances", [&s](const json& in, const AwsCallContext& ctx) {
    return DescribeInstances(s, in, ctx);
  });
  ops_["ec2/StartInstances"] = with_instances("StartInstances", [&s](const json& in, const AwsCallContext&) {
    return ChangeStates(*s.instances, in, "StartingInstances",
                        [](InstanceService& svc, const std::string& id) { return svc.Start(id); });
  });
  ops_["ec2/StopInstances"] = with_instances("StopInstances", [&s](const json& in, const AwsCallContext&) {
    bool force = OptBool(in, "Force").value_or(false);
    return ChangeStates(*s.instances, in, "StoppingInstances",
                        [force](InstanceService& svc, const std::string& id) { return svc.Stop(id, force); });
  });
  ops_["ec2/TerminateInstances"] = with_instances("TerminateInstances", [&s](const json& in, const AwsCallContext&) {
    return ChangeStates(*s.instances, in, "TerminatingInstances",
                        [](InstanceService& svc, const std::string& id) { return svc.Terminate(id); });
  });
  ops_["ec2/RebootInstances"] = with_instances("RebootInstances", [&s](const json& in, const AwsCallContext&) -> Output {
    auto ids = StrList(in, "InstanceIds");
    AWS_RETURN_IF_ERROR(CheckIds(*s.instances, ids));
    for (const auto& id : ids) AWS_RETURN_IF_ERROR(s.instances->Reboot(id).status());
    return json::object();
  });
  ops_["ec2/ModifyInstanceAttribute"] = with_instances(
      "ModifyInstanceAttribute", [&s](const json& in, const AwsCallContext&) { return ModifyInstanceAttribute(s, in); });
  ops_["ec2/GetConsoleOutput"] = with_instances(
      "GetConsoleOutput", [&s](const json& in, const AwsCallContext&) { return GetConsoleOutput(s, in); });
  ops_["ec2/CreateTags"] = [&s](const json& in, const AwsCallContext&) -> Output {
    auto tags = TagsOf(in.value("Tags", json::array()));
    for (const auto& id : StrList(in, "Resources")) AWS_RETURN_IF_ERROR(ChangeResourceTags(s, id, tags, {}));
    return json::object();
  };
  ops_["ec2/DeleteTags"] = [&s](const json& in, const AwsCallContext&) { return DeleteTags(s, in); };
  ops_["ec2/DescribeTags"] = [&s](const json& in, const AwsCallContext&) { return DescribeTags(s, in); };
}

}  // namespace stratus::aws
