#include "api/rest_images.h"

#include "api/http_errors.h"
#include "api/request_json.h"
#include "api/rest_api.h"

namespace stratus {
namespace {

using nlohmann::json;

Result<json> Body(const httplib::Request& req) { return JsonObjectBody(req, "MalformedRequest"); }

// A string field; InvalidArgument naming it when it has another type.
Status StringField(const json& body, const char* name, std::string& out) {
  if (!body.contains(name) || body[name].is_null()) return Status::Ok();
  if (!body[name].is_string()) {
    return InvalidArgument(std::string("field ") + name + " must be a string").WithErrorCode("InvalidParameterValue");
  }
  out = body[name].get<std::string>();
  return Status::Ok();
}

Result<std::vector<Tag>> TagsField(const json& body) {
  auto tags = TagsFromJson(body.value("Tags", json::array()));
  if (!tags.ok()) return tags.status().WithErrorCode("InvalidParameterValue");
  return tags;
}

json BuildJson(const BuildStatus& b) {
  json j = {{"BuildId", b.build_id}, {"State", b.state}, {"Lines", b.lines}, {"Next", b.next},
            {"Steps", b.steps}, {"CachedSteps", b.cached}};
  if (!b.image_id.empty()) j["ImageId"] = b.image_id;
  if (!b.error.ok()) j["Error"] = ErrorBody(b.error)["Error"];
  return j;
}

Result<json> StartBuild(ImageService* images, const httplib::Request& req) {
  STRATUS_ASSIGN_OR_RETURN(json body, Body(req));
  BuildRequest r;
  STRATUS_RETURN_IF_ERROR(StringField(body, "Recipe", r.recipe));
  STRATUS_RETURN_IF_ERROR(StringField(body, "ContextDir", r.context_dir));
  STRATUS_RETURN_IF_ERROR(StringField(body, "Name", r.name));
  STRATUS_RETURN_IF_ERROR(StringField(body, "Description", r.description));
  STRATUS_ASSIGN_OR_RETURN(r.tags, TagsField(body));
  if (r.recipe.empty()) return InvalidArgument("Recipe is required").WithErrorCode("MissingParameter");
  STRATUS_ASSIGN_OR_RETURN(std::string id, images->StartBuild(std::move(r)));
  if (body.value("Wait", false)) {
    Result<BuildStatus> b = images->GetBuild(id, 0);
    for (int i = 0; i < 720 && b.ok() && b->state == "running"; i++) {  // bounded: 2 hours
      b = images->WaitBuild(id, b->next, std::chrono::seconds(10));
      if (b.ok()) b = images->GetBuild(id, 0);
    }
    if (!b.ok()) return b.status();
    return BuildJson(*b);
  }
  STRATUS_ASSIGN_OR_RETURN(BuildStatus b, images->GetBuild(id, 0));
  return BuildJson(b);
}

Result<json> CreateImage(ImageService* images, const httplib::Request& req) {
  STRATUS_ASSIGN_OR_RETURN(json body, Body(req));
  CreateImageRequest r;
  STRATUS_RETURN_IF_ERROR(StringField(body, "InstanceId", r.instance_id));
  STRATUS_RETURN_IF_ERROR(StringField(body, "Name", r.name));
  STRATUS_RETURN_IF_ERROR(StringField(body, "Description", r.description));
  STRATUS_ASSIGN_OR_RETURN(r.tags, TagsField(body));
  if (r.instance_id.empty()) return InvalidArgument("InstanceId is required").WithErrorCode("MissingParameter");
  STRATUS_ASSIGN_OR_RETURN(Image image, images->CreateFromInstance(r));
  return json{{"ImageId", image.image_id}, {"Image", ToJson(image)}};
}

void MountBuilds(httplib::Server& server, ImageService* images) {
  server.Post("/v1/images/builds", [images](const httplib::Request& req, httplib::Response& res) {
    ReplyJson(res, StartBuild(images, req));
  });
  server.Get(R"(/v1/images/builds/([^/]+))", [images](const httplib::Request& req, httplib::Response& res) {
    size_t from = req.has_param("from") ? strtoul(req.get_param_value("from").c_str(), nullptr, 10) : 0;
    auto b = req.get_param_value("wait") == "1"
                 ? images->WaitBuild(req.matches[1].str(), from, std::chrono::seconds(10))
                 : images->GetBuild(req.matches[1].str(), from);
    if (!b.ok()) return ReplyJson(res, b.status());
    ReplyJson(res, BuildJson(*b));
  });
}

void MountLifecycle(httplib::Server& server, ImageService* images) {
  server.Post("/v1/images", [images](const httplib::Request& req, httplib::Response& res) {
    ReplyJson(res, CreateImage(images, req));
  });
  server.Delete(R"(/v1/images/([^/]+))", [images](const httplib::Request& req, httplib::Response& res) {
    std::string id = req.matches[1].str();
    Status st = images->Delete(id);
    if (!st.ok()) return ReplyJson(res, st);
    ReplyJson(res, json{{"ImageId", id}, {"Return", true}});
  });
  server.Post("/v1/images/prune", [images](const httplib::Request&, httplib::Response& res) {
    auto r = images->Prune();
    if (!r.ok()) return ReplyJson(res, r.status());
    ReplyJson(res, json{{"RemovedLayers", r->removed}, {"FreedBytes", r->bytes}});
  });
  server.Post(R"(/v1/images/([^/]+)/tags)", [images](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    auto tags = TagsField(*body);
    if (!tags.ok()) return ReplyJson(res, tags.status());
    auto image = images->ChangeTags(req.matches[1].str(), *tags, {});
    if (!image.ok()) return ReplyJson(res, image.status());
    ReplyJson(res, ToJson(*image));
  });
  server.Delete(R"(/v1/images/([^/]+)/tags)", [images](const httplib::Request& req, httplib::Response& res) {
    std::vector<std::string> keys;
    for (size_t i = 0; i < req.get_param_value_count("key"); i++) keys.push_back(req.get_param_value("key", i));
    auto image = images->ChangeTags(req.matches[1].str(), {}, keys);
    if (!image.ok()) return ReplyJson(res, image.status());
    ReplyJson(res, ToJson(*image));
  });
}

void MountOci(httplib::Server& server, ImageService* images) {
  server.Post(R"(/v1/images/([^/]+)/export)", [images](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    std::string path;
    Status st = StringField(*body, "Path", path);
    if (!st.ok()) return ReplyJson(res, st);
    auto r = images->Export(req.matches[1].str(), path);
    if (!r.ok()) return ReplyJson(res, r.status());
    ReplyJson(res, json{{"Path", r->path}, {"ManifestDigest", r->manifest_digest}, {"Reference", r->reference}});
  });
  server.Post("/v1/images/import", [images](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    std::string path, name, ref;
    Status st = StringField(*body, "Path", path);
    if (st.ok()) st = StringField(*body, "Name", name);
    if (st.ok()) st = StringField(*body, "Ref", ref);
    if (!st.ok()) return ReplyJson(res, st);
    auto image = images->Import(path, name, ref);
    if (!image.ok()) return ReplyJson(res, image.status());
    ReplyJson(res, json{{"ImageId", image->image_id}, {"Image", ToJson(*image)}});
  });
}

}  // namespace

void MountImageRoutes(httplib::Server& server, ImageService* images) {
  // Literal paths first: httplib tries routes in registration order.
  MountBuilds(server, images);
  MountOci(server, images);
  MountLifecycle(server, images);
}

}  // namespace stratus
