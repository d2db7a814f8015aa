#include "api/rest_volumes.h"

#include "api/http_errors.h"
#include "api/request_json.h"
#include "api/rest_api.h"
#include "common/json_field.h"

namespace stratus {
namespace {

using nlohmann::json;

Result<json> Body(const httplib::Request& req) { return JsonObjectBody(req, "MalformedRequest"); }

Result<std::vector<VolumeFilter>> Filters(const httplib::Request& req) {
  STRATUS_ASSIGN_OR_RETURN(auto parsed, ParseFilterParams(QueryValues(req, "filter")));
  std::vector<VolumeFilter> filters;
  for (auto& f : parsed) filters.push_back({std::move(f.name), std::move(f.values)});
  return filters;
}

Result<json> Create(VolumeService* volumes, const httplib::Request& req) {
  STRATUS_ASSIGN_OR_RETURN(json body, Body(req));
  STRATUS_ASSIGN_OR_RETURN(CreateVolumeRequest request, CreateVolumeRequestFromJson(body));
  STRATUS_ASSIGN_OR_RETURN(Volume v, volumes->Create(request));
  return json{{"Volume", ToJson(v)}};
}

Result<json> List(VolumeService* volumes, const httplib::Request& req) {
  STRATUS_ASSIGN_OR_RETURN(auto filters, Filters(req));
  STRATUS_ASSIGN_OR_RETURN(auto list, volumes->Describe({}, filters));
  json out = json::array();
  for (const auto& v : list) out.push_back(ToJson(v));
  return json{{"Volumes", out}};
}

Result<json> Modify(VolumeService* volumes, const httplib::Request& req) {
  STRATUS_ASSIGN_OR_RETURN(json body, Body(req));
  STRATUS_ASSIGN_OR_RETURN(ModifyVolumeRequest request, ModifyVolumeRequestFromJson(body));
  STRATUS_ASSIGN_OR_RETURN(Volume v, volumes->Modify(req.matches[1].str(), request));
  return json{{"Volume", ToJson(v)}, {"VolumeModification", ModificationJson(v)}};
}

Result<json> Modifications(VolumeService* volumes) {
  STRATUS_ASSIGN_OR_RETURN(auto list, volumes->DescribeModifications({}));
  json out = json::array();
  for (const auto& v : list) out.push_back(ModificationJson(v));
  return json{{"VolumesModifications", out}};
}

Result<json> TagVolume(VolumeService* volumes, const httplib::Request& req) {
  STRATUS_ASSIGN_OR_RETURN(json body, Body(req));
  auto tags = TagsFromJson(body.value("Tags", json::array()));
  if (!tags.ok()) return tags.status().WithErrorCode("InvalidParameterValue");
  STRATUS_ASSIGN_OR_RETURN(Volume v, volumes->ChangeTags(req.matches[1].str(), *tags, {}));
  return json{{"Volume", ToJson(v)}};
}

Result<json> UntagVolume(VolumeService* volumes, const httplib::Request& req) {
  STRATUS_ASSIGN_OR_RETURN(Volume v, volumes->ChangeTags(req.matches[1].str(), {}, QueryValues(req, "key")));
  return json{{"Volume", ToJson(v)}};
}

Result<json> Attach(VolumeService* volumes, const httplib::Request& req) {
  STRATUS_ASSIGN_OR_RETURN(json body, Body(req));
  std::string instance, device;
  STRATUS_RETURN_IF_ERROR(ReadJsonField(body, "InstanceId", instance, "InvalidParameterValue"));
  STRATUS_RETURN_IF_ERROR(ReadJsonField(body, "Device", device, "InvalidParameterValue"));
  STRATUS_ASSIGN_OR_RETURN(Volume v, volumes->Attach(req.matches[1].str(), instance, device));
  return json{{"Volume", ToJson(v)}};
}

Result<json> Detach(VolumeService* volumes, const httplib::Request& req) {
  STRATUS_ASSIGN_OR_RETURN(json body, Body(req));
  std::string instance, device;
  bool force = false;
  STRATUS_RETURN_IF_ERROR(ReadJsonField(body, "InstanceId", instance, "InvalidParameterValue"));
  STRATUS_RETURN_IF_ERROR(ReadJsonField(body, "Device", device, "InvalidParameterValue"));
  STRATUS_RETURN_IF_ERROR(ReadJsonField(body, "Force", force, "InvalidParameterValue"));
  STRATUS_ASSIGN_OR_RETURN(Volume v, volumes->Detach(req.matches[1].str(), instance, device, force));
  return json{{"Volume", ToJson(v)}};
}

Result<json> CreateSnapshot(VolumeService* volumes, const httplib::Request& req) {
  STRATUS_ASSIGN_OR_RETURN(json body, Body(req));
  STRATUS_ASSIGN_OR_RETURN(CreateSnapshotRequest request, CreateSnapshotRequestFromJson(body));
  STRATUS_ASSIGN_OR_RETURN(Snapshot s, volumes->CreateSnapshot(request));
  return json{{"Snapshot", ToJson(s)}};
}

Result<json> CopySnapshot(VolumeService* volumes, const httplib::Request& req) {
  STRATUS_ASSIGN_OR_RETURN(json body, Body(req));
  body["SourceSnapshotId"] = req.matches[1].str();
  STRATUS_ASSIGN_OR_RETURN(CopySnapshotRequest request, CopySnapshotRequestFromJson(body));
  STRATUS_ASSIGN_OR_RETURN(Snapshot s, volumes->CopySnapshot(request));
  return json{{"Snapshot", ToJson(s)}};
}

Result<json> ListSnapshots(VolumeService* volumes, const httplib::Request& req) {
  STRATUS_ASSIGN_OR_RETURN(auto filters, Filters(req));
  STRATUS_ASSIGN_OR_RETURN(auto list, volumes->DescribeSnapshots({}, {}, filters));
  json out = json::array();
  for (const auto& s : list) out.push_back(ToJson(s));
  return json{{"Snapshots", out}};
}

Result<json> TagSnapshot(VolumeService* volumes, const httplib::Request& req) {
  STRATUS_ASSIGN_OR_RETURN(json body, Body(req));
  auto tags = TagsFromJson(body.value("Tags", json::array()));
  if (!tags.ok()) return tags.status().WithErrorCode("InvalidParameterValue");
  STRATUS_ASSIGN_OR_RETURN(Snapshot s, volumes->ChangeSnapshotTags(req.matches[1].str(), *tags, {}));
  return json{{"Snapshot", ToJson(s)}};
}

Result<json> UntagSnapshot(VolumeService* volumes, const httplib::Request& req) {
  STRATUS_ASSIGN_OR_RETURN(Snapshot s, volumes->ChangeSnapshotTags(req.matches[1].str(), {}, QueryValues(req, "key")));
  return json{{"Snapshot", ToJson(s)}};
}

}  // namespace

void MountVolumeRoutes(httplib::Server& server, VolumeService* volumes) {
  using Req = const httplib::Request&;
  using Res = httplib::Response&;
  server.Post("/v1/volumes", [volumes](Req req, Res res) { ReplyJson(res, Create(volumes, req)); });
  server.Get("/v1/volumes", [volumes](Req req, Res res) { ReplyJson(res, List(volumes, req)); });
  // Literal paths before the {id} patterns: httplib tries routes in registration order.
  server.Get("/v1/volumes/modifications", [volumes](Req, Res res) { ReplyJson(res, Modifications(volumes)); });
  server.Get(R"(/v1/volumes/([^/]+))", [volumes](Req req, Res res) {
    auto v = volumes->Get(req.matches[1].str());
    ReplyJson(res, v.ok() ? Result<json>(json{{"Volume", ToJson(*v)}}) : Result<json>(v.status()));
  });
  server.Patch(R"(/v1/volumes/([^/]+))", [volumes](Req req, Res res) { ReplyJson(res, Modify(volumes, req)); });
  server.Delete(R"(/v1/volumes/([^/]+))", [volumes](Req req, Res res) {
    ReplyStatus(res, volumes->Delete(req.matches[1].str()));
  });
  server.Post(R"(/v1/volumes/([^/]+)/attach)", [volumes](Req req, Res res) { ReplyJson(res, Attach(volumes, req)); });
  server.Post(R"(/v1/volumes/([^/]+)/detach)", [volumes](Req req, Res res) { ReplyJson(res, Detach(volumes, req)); });
  server.Post(R"(/v1/volumes/([^/]+)/tags)", [volumes](Req req, Res res) { ReplyJson(res, TagVolume(volumes, req)); });
  server.Delete(R"(/v1/volumes/([^/]+)/tags)", [volumes](Req req, Res res) { ReplyJson(res, UntagVolume(volumes, req)); });

  server.Post("/v1/snapshots", [volumes](Req req, Res res) { ReplyJson(res, CreateSnapshot(volumes, req)); });
  server.Get("/v1/snapshots", [volumes](Req req, Res res) { ReplyJson(res, ListSnapshots(volumes, req)); });
  server.Get(R"(/v1/snapshots/([^/]+))", [volumes](Req req, Res res) {
    auto s = volumes->GetSnapshot(req.matches[1].str());
    ReplyJson(res, s.ok() ? Result<json>(json{{"Snapshot", ToJson(*s)}}) : Result<json>(s.status()));
  });
  server.Delete(R"(/v1/snapshots/([^/]+))", [volumes](Req req, Res res) {
    ReplyStatus(res, volumes->DeleteSnapshot(req.matches[1].str()));
  });
  server.Post(R"(/v1/snapshots/([^/]+)/copy)", [volumes](Req req, Res res) { ReplyJson(res, CopySnapshot(volumes, req)); });
  server.Post(R"(/v1/snapshots/([^/]+)/tags)", [volumes](Req req, Res res) { ReplyJson(res, TagSnapshot(volumes, req)); });
  server.Delete(R"(/v1/snapshots/([^/]+)/tags)", [volumes](Req req, Res res) { ReplyJson(res, UntagSnapshot(volumes, req)); });
}

}  // namespace stratus
