// EC2 images (ImageStore / ImageService), launch templates (LaunchTemplateService), instance types, and the
// zones and regions the daemon runs (VPCs, subnets and security groups: handler_ec2_vpc.cc).
#include <algorithm>
#include <cmath>
#include <set>

#include "aws/handler.h"
#include "aws/handler_util.h"
#include "common/ids.h"
#include "compute/instance_types.h"
#include "image/image_service.h"
#include "image/image_store.h"
#include "scaling/launch_template.h"

namespace stratus::aws {

namespace {

constexpr char kService[] = "ec2";
using Output = StratusAwsHandler::Output;

json ImageJson(const Image& im, const AwsCallContext& ctx) {
  return DropEmpty({{"ImageId", im.image_id},
                    {"Name", im.name},
                    {"State", im.state},
                    {"CreationDate", im.creation_date},
                    {"Description", im.description},
                    {"OwnerId", im.builtin ? std::string("amazon") : ctx.account_id},
                    {"ImageOwnerAlias", im.builtin ? "amazon" : ""},
                    {"ImageLocation", ctx.account_id + "/" + im.name},
                    {"Public", im.builtin},
                    {"Architecture", "x86_64"},
                    {"ImageType", "machine"},
                    {"RootDeviceType", "instance-store"},
                    {"VirtualizationType", "hvm"},
                    {"Hypervisor", "xen"},
                    {"PlatformDetails", "Linux/UNIX"},
                    {"Tags", TagList(im.tags)}});
}

// A DescribeImages filter; InvalidParameterValue for an unknown name.
Result<bool> ImageMatches(const Image& im, const std::string& name, const std::vector<std::string>& values) {
  if (name == "name") return AnyGlob(values, im.name);
  if (name == "image-id") return AnyGlob(values, im.image_id);
  if (name == "state") return AnyGlob(values, im.state);
  if (name == "description") return AnyGlob(values, im.description);
  if (name == "is-public") return AnyGlob(values, im.builtin ? "true" : "false");
  if (name == "tag-key") {
    return std::any_of(im.tags.begin(), im.tags.end(), [&](const Tag& t) { return AnyGlob(values, t.key); });
  }
  if (name.rfind("tag:", 0) == 0) {
    std::string key = name.substr(4);
    return std::any_of(im.tags.begin(), im.tags.end(), [&](const Tag& t) { return t.key == key && AnyGlob(values, t.value); });
  }
  return InvalidArgument("The filter '" + name + "' is invalid; supported: name, image-id, state, description, "
                         "is-public, tag-key, tag:<key>").WithErrorCode("InvalidParameterValue");
}

Output DescribeImages(const AwsServices& s, const json& in, const AwsCallContext& ctx) {
  auto ids = StrList(in, "ImageIds");
  std::vector<Image> candidates;
  if (!ids.empty()) {
    for (const auto& id : ids) {
      auto im = s.images->Find(id);
      if (!im.ok() || im->image_id != id) {
        bool malformed = !IsValidId(id, "ami");
        return AwsError{malformed ? "InvalidAMIID.Malformed" : "InvalidAMIID.NotFound",
                        "The image id '[" + id + "]' does not exist", 400};
      }
      candidates.push_back(*im);
    }
  } else {
    candidates = s.images->List();
  }
  auto owners = StrList(in, "Owners");
  json images = json::array();
  for (const auto& im : candidates) {
    bool ok = true;
    if (!owners.empty()) {
      bool self = std::find(owners.begin(), owners.end(), "self") != owners.end() ||
                  std::find(owners.begin(), owners.end(), ctx.account_id) != owners.end();
      bool amazon = std::find(owners.begin(), owners.end(), "amazon") != owners.end();
      ok = im.builtin ? amazon : self;
    }
    for (const auto& f : in.value("Filters", json::array())) {
      if (!ok) break;
      AWS_ASSIGN_OR_RETURN(m, ImageMatches(im, Str(f, "Name"), StrList(f, "Values")));
      ok = m;
    }
    if (ok) images.push_back(ImageJson(im, ctx));
  }
  return json{{"Images", images}};
}

Output CreateImage(const AwsServices& s, const json& in) {
  CreateImageRequest req;
  req.instance_id = Str(in, "InstanceId");
  req.name = Str(in, "Name");
  req.description = Str(in, "Description");
  req.tags = TagSpecTags(in, "image");
  AWS_ASSIGN_OR_RETURN(image, s.image_service->CreateFromInstance(req));
  return json{{"ImageId", image.image_id}};
}

json TemplateVersionJson(const scaling::LaunchTemplate& lt, const scaling::LaunchTemplateVersion& v) {
  return DropEmpty(scaling::ToJson(lt, v));
}

Output CreateLaunchTemplate(const AwsServices& s, const json& in) {
  AWS_ASSIGN_OR_RETURN(data, scaling::DataFromJson(in.value("LaunchTemplateData", json::object())));
  AWS_ASSIGN_OR_RETURN(lt, s.templates->Create(Str(in, "LaunchTemplateName"), data, Str(in, "VersionDescription")));
  return json{{"LaunchTemplate", DropEmpty(scaling::ToJson(lt))}};
}

std::string TemplateRef(const json& in) { return Str(in, "LaunchTemplateId", Str(in, "LaunchTemplateName")); }

Output CreateLaunchTemplateVersion(const AwsServices& s, const json& in) {
  std::string ref = TemplateRef(in);
  if (ref.empty()) return MissingParam(kService, "LaunchTemplateId or LaunchTemplateName");
  AWS_ASSIGN_OR_RETURN(data, scaling::DataFromJson(in.value("LaunchTemplateData", json::object())));
  AWS_ASSIGN_OR_RETURN(created, s.templates->CreateVersion(ref, data, Str(in, "SourceVersion"),
                                                           Str(in, "VersionDescription")));
  for (const auto& v : created.first.versions) {
    if (v.version_number == created.second) return json{{"LaunchTemplateVersion", TemplateVersionJson(created.first, v)}};
  }
  return AwsError{"InternalError", "the new version is missing from the template", 500};
}

Output DescribeLaunchTemplates(const AwsServices& s, const json& in) {
  auto refs = StrList(in, "LaunchTemplateIds");
  for (auto& n : StrList(in, "LaunchTemplateNames")) refs.push_back(n);
  AWS_ASSIGN_OR_RETURN(list, s.templates->Describe(refs));
  json out = json::array();
  for (const auto& lt : list) out.push_back(DropEmpty(scaling::ToJson(lt)));
  return json{{"LaunchTemplates", out}};
}

Output DescribeLaunchTemplateVersions(const AwsServices& s, const json& in) {
  std::string ref = TemplateRef(in);
  if (ref.empty()) return MissingParam(kService, "LaunchTemplateId or LaunchTemplateName");
  AWS_ASSIGN_OR_RETURN(lt, s.templates->Find(ref));
  auto wanted = StrList(in, "Versions");
  json out = json::array();
  for (const auto& v : lt.versions) {
    bool ok = wanted.empty();
    for (const auto& w : wanted) {
      auto n = scaling::VersionNumber(lt, w);
      if (n.ok() && *n == v.version_number) ok = true;
    }
    if (ok) out.push_back(TemplateVersionJson(lt, v));
  }
  return json{{"LaunchTemplateVersions", out}};
}

json InstanceTypeJson(const InstanceType& t) {
  int vcpus = std::max(1, static_cast<int>(std::ceil(t.vcpus)));
  return {{"InstanceType", t.name},
          {"CurrentGeneration", true},
          {"SupportedUsageClasses", {"on-demand"}},
          {"SupportedRootDeviceTypes", {"instance-store"}},
          {"SupportedVirtualizationTypes", {"hvm"}},
          {"BareMetal", false},
          {"Hypervisor", "xen"},
          {"ProcessorInfo", {{"SupportedArchitectures", {"x86_64"}}}},
          {"VCpuInfo", {{"DefaultVCpus", vcpus}, {"DefaultCores", vcpus}, {"DefaultThreadsPerCore", 1}}},
          {"MemoryInfo", {{"SizeInMiB", t.memory_mib}}},
          {"InstanceStorageSupported", false},
          {"FreeTierEligible", t.name == "t2.micro" || t.name == "t3.micro"}};
}

Output DescribeInstanceTypes(const AwsServices& s, const json& in) {
  json out = json::array();
  auto names = StrList(in, "InstanceTypes");
  if (names.empty()) {
    for (const auto& t : s.types->List()) out.push_back(InstanceTypeJson(t));
  } else {
    for (const auto& n : names) {
      auto t = s.types->Find(n);
      if (!t.ok()) return AwsError{"InvalidInstanceType", "The following supplied instance types do not exist: [" + n + "]", 400};
      out.push_back(InstanceTypeJson(*t));
    }
  }
  return json{{"InstanceTypes", out}};
}

std::string ZoneName(const SubnetInfo& sn, const std::string& region) {
  return sn.availability_zone.empty() ? region + "a" : sn.availability_zone;
}

Output DescribeAvailabilityZones(const AwsServices& s, const json& in, const AwsCallContext& ctx) {
  std::set<std::string> zones;
  for (const auto& sn : s.vpc.subnets) zones.insert(ZoneName(sn, ctx.region));
  if (zones.empty()) zones.insert(ctx.region + "a");
  auto names = StrList(in, "ZoneNames");
  json out = json::array();
  for (const auto& z : zones) {
    if (!names.empty() && std::find(names.begin(), names.end(), z) == names.end()) continue;
    if (!FilterAccepts(in, "zone-name", z) || !FilterAccepts(in, "state", "available")) continue;
    out.push_back({{"ZoneName", z}, {"ZoneId", z}, {"State", "available"}, {"RegionName", ctx.region},
                   {"ZoneType", "availability-zone"}, {"OptInStatus", "opt-in-not-required"},
                   {"GroupName", ctx.region}, {"NetworkBorderGroup", ctx.region}});
  }
  return json{{"AvailabilityZones", out}};
}

Output DescribeRegions(const AwsServices& s, const json& in, const AwsCallContext& ctx) {
  std::set<std::string> regions = {s.region, ctx.region};
  auto names = StrList(in, "RegionNames");
  json out = json::array();
  for (const auto& r : regions) {
    if (!names.empty() && std::find(names.begin(), names.end(), r) == names.end()) continue;
    if (!FilterAccepts(in, "region-name", r)) continue;
    out.push_back({{"RegionName", r}, {"Endpoint", "ec2." + r + ".stratus"}, {"OptInStatus", "opt-in-not-required"}});
  }
  return json{{"Regions", out}};
}

}  // namespace

void StratusAwsHandler::RegisterEc2Images() {
  const AwsServices& s = s_;
  ops_["ec2/DescribeImages"] = RequireService(s.images, "DescribeImages", "image store",
                                              [&s](const json& in, const AwsCallContext& ctx) -> Output {
                                                return DescribeImages(s, in, ctx);
                                              });
  ops_["ec2/CreateImage"] = RequireService(s.image_service, "CreateImage", "image service",
                                           [&s](const json& in, const AwsCallContext&) -> Output {
                                             return CreateImage(s, in);
                                           });
  ops_["ec2/DeregisterImage"] = RequireService(s.image_service, "DeregisterImage", "image service",
                                               [&s](const json& in, const AwsCallContext&) -> Output {
                                                 AWS_RETURN_IF_ERROR(s.image_service->Delete(Str(in, "ImageId")));
                                                 return json{{"Return", true}};
                                               });
  auto with_templates = [&s](const char* op, std::function<Output(const json&)> f) {
    return RequireService(s.templates, op, "launch template service",
                          [f](const json& in, const AwsCallContext&) { return f(in); });
  };
  ops_["ec2/CreateLaunchTemplate"] =
      with_templates("CreateLaunchTemplate", [&s](const json& in) { return CreateLaunchTemplate(s, in); });
  ops_["ec2/CreateLaunchTemplateVersion"] = with_templates(
      "CreateLaunchTemplateVersion", [&s](const json& in) { return CreateLaunchTemplateVersion(s, in); });
  ops_["ec2/DescribeLaunchTemplates"] =
      with_templates("DescribeLaunchTemplates", [&s](const json& in) { return DescribeLaunchTemplates(s, in); });
  ops_["ec2/DescribeLaunchTemplateVersions"] = with_templates(
      "DescribeLaunchTemplateVersions", [&s](const json& in) { return DescribeLaunchTemplateVersions(s, in); });
  ops_["ec2/DeleteLaunchTemplate"] = with_templates("DeleteLaunchTemplate", [&s](const json& in) -> Output {
    AWS_ASSIGN_OR_RETURN(lt, s.templates->Delete(TemplateRef(in)));
    return json{{"LaunchTemplate", DropEmpty(scaling::ToJson(lt))}};
  });
  ops_["ec2/ModifyLaunchTemplate"] = with_templates("ModifyLaunchTemplate", [&s](const json& in) -> Output {
    AWS_ASSIGN_OR_RETURN(lt, s.templates->ModifyDefaultVersion(TemplateRef(in), Str(in, "DefaultVersion", "$Latest")));
    return json{{"LaunchTemplate", DropEmpty(scaling::ToJson(lt))}};
  });
}

void StratusAwsHandler::RegisterEc2Network() {
  const AwsServices& s = s_;
  ops_["ec2/DescribeInstanceTypes"] = RequireService(s.types, "DescribeInstanceTypes", "instance type table",
                                                     [&s](const json& in, const AwsCallContext&) -> Output {
                                                       return DescribeInstanceTypes(s, in);
                                                     });
  ops_["ec2/DescribeAvailabilityZones"] = [&s](const json& in, const AwsCallContext& ctx) {
    return DescribeAvailabilityZones(s, in, ctx);
  };
  ops_["ec2/DescribeRegions"] = [&s](const json& in, const AwsCallContext& ctx) { return DescribeRegions(s, in, ctx); };
}

}  // namespace stratus::aws
