#include "api/rest_api.h"

#include "api/http_errors.h"
#include "api/request_json.h"
#include "common/base64.h"
#include "compute/host_capacity.h"

namespace stratus {

using nlohmann::json;

void ReplyJson(httplib::Response& res, const Result<json>& result) {
  if (result.ok()) {
    res.status = 200;
    res.set_content(result->dump(), "application/json");
    return;
  }
  res.status = HttpStatusFor(result.status());
  res.set_content(ErrorBody(result.status()).dump(), "application/json");
}

void ReplyStatus(httplib::Response& res, const Status& status) {
  ReplyJson(res, status.ok() ? Result<json>(json::object()) : Result<json>(status));
}

std::vector<std::string> QueryValues(const httplib::Request& req, const std::string& name) {
  std::vector<std::string> values;
  auto q = req.target.find('?');
  if (q == std::string::npos) return values;
  std::string query = req.target.substr(q + 1);
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    std::string part = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    auto eq = part.find('=');
    if (eq != std::string::npos && httplib::detail::decode_url(part.substr(0, eq), true) == name) {
      values.push_back(httplib::detail::decode_url(part.substr(eq + 1), true));
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return values;
}

Result<std::vector<InstanceFilter>> ParseFilterParams(const std::vector<std::string>& params) {
  std::vector<InstanceFilter> filters;
  for (const auto& p : params) {
    auto eq = p.find('=', p.rfind("tag:", 0) == 0 ? 4 : 0);
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument("filter " + p + " is not NAME=VALUE (e.g. state=running, tag:Name=web)")
          .WithErrorCode("InvalidParameterValue");
    }
    std::string name = p.substr(0, eq);
    std::string values = p.substr(eq + 1);
    InstanceFilter f{name, {}};
    size_t start = 0;
    // Several values for one filter are comma separated: state=running,pending.
    for (size_t comma; (comma = values.find(',', start)) != std::string::npos; start = comma + 1) {
      f.values.push_back(values.substr(start, comma - start));
    }
    f.values.push_back(values.substr(start));
    filters.push_back(std::move(f));
  }
  return filters;
}

namespace {

Result<json> ParseBody(const httplib::Request& req) { return JsonObjectBody(req, "MalformedRequest"); }

json InstancesJson(const std::vector<Instance>& instances) {
  json a = json::array();
  for (const auto& i : instances) a.push_back(ToJson(i));
  return {{"Instances", a}};
}

// Reads an optional field of the expected JSON type; InvalidParameterValue names the field when it is another type.
template <typename T>
Status ReadField(const json& body, const char* name, T& out) {
  return ReadJsonField(body, name, out, "InvalidParameterValue");
}

Result<RunRequest> ParseRunRequest(const json& body) {
  RunRequest r;
  STRATUS_RETURN_IF_ERROR(ReadField(body, "ImageId", r.image));
  if (body.contains("LaunchTemplate")) {
    const json& lt = body["LaunchTemplate"];
    if (!lt.is_object()) return InvalidArgument("field LaunchTemplate has the wrong type").WithErrorCode("InvalidParameterValue");
    STRATUS_RETURN_IF_ERROR(ReadField(lt, "LaunchTemplateName", r.launch_template));
    STRATUS_RETURN_IF_ERROR(ReadField(lt, "LaunchTemplateId", r.launch_template));
    STRATUS_RETURN_IF_ERROR(ReadField(lt, "Version", r.launch_template_version));
  }
  STRATUS_RETURN_IF_ERROR(ReadField(body, "InstanceType", r.instance_type));
  STRATUS_RETURN_IF_ERROR(ReadField(body, "Count", r.count));
  STRATUS_RETURN_IF_ERROR(ReadField(body, "SubnetId", r.subnet_id));
  STRATUS_RETURN_IF_ERROR(ReadField(body, "SecurityGroupIds", r.security_group_ids));
  STRATUS_RETURN_IF_ERROR(ReadField(body, "ClientToken", r.client_token));
  STRATUS_RETURN_IF_ERROR(ReadField(body, "Sysctls", r.sysctls));
  std::string user_data;
  STRATUS_RETURN_IF_ERROR(ReadField(body, "UserData", user_data));
  auto decoded = Base64Decode(user_data);
  if (!decoded.ok()) return decoded.status().WithContext("UserData").WithErrorCode("InvalidParameterValue");
  r.user_data = std::move(*decoded);
  if (body.contains("Tags")) {
    auto tags = TagsFromJson(body["Tags"]);
    if (!tags.ok()) return tags.status().WithErrorCode("InvalidParameterValue");
    r.tags = std::move(*tags);
  }
  return r;
}

constexpr auto kWaitTimeout = std::chrono::seconds(120);

}  // namespace

RestApi::RestApi(RestServices services) : s_(std::move(services)) {}

void RestApi::Mount(httplib::Server& server) {
  MountImages(server);
  MountInstances(server);
  MountInstanceActions(server);
  MountHost(server);
}

json RestApi::ImageJson(const Image& image) const {
  json j = ToJson(image);
  ImageStore::Sizes sizes = s_.images->ImageSizes(image);
  j["SizeBytes"] = sizes.total;
  json layers = json::array();
  for (size_t i = 0; i < image.layers.size(); ++i) layers.push_back({{"Digest", image.layers[i]}, {"SizeBytes", sizes.layers[i]}});
  j["LayerSizes"] = layers;
  return j;
}

void RestApi::MountImages(httplib::Server& server) {
  server.Get("/v1/images", [this](const httplib::Request&, httplib::Response& res) {
    json a = json::array();
    for (const auto& image : s_.images->List()) a.push_back(ImageJson(image));
    ReplyJson(res, json{{"Images", a}});
  });
  server.Get(R"(/v1/images/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto image = s_.images->Find(req.matches[1].str());
    if (!image.ok()) return ReplyJson(res, image.status().WithErrorCode("InvalidAMIID.NotFound"));
    ReplyJson(res, ImageJson(*image));
  });
}

void RestApi::MountInstances(httplib::Server& server) {
  server.Post("/v1/instances", [this](const httplib::Request& req, httplib::Response& res) {
    auto body = ParseBody(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    auto run = ParseRunRequest(*body);
    if (!run.ok()) return ReplyJson(res, run.status());
    auto created = s_.instances->Run(*run);
    if (!created.ok()) return ReplyJson(res, created.status());
    if (body->value("Wait", false)) {
      std::vector<std::string> ids;
      for (const auto& i : *created) ids.push_back(i.instance_id);
      auto done = s_.instances->WaitForState(ids, {InstanceState::kRunning, InstanceState::kTerminated}, kWaitTimeout);
      if (!done.ok()) return ReplyJson(res, done.status());
      return ReplyJson(res, InstancesJson(*done));
    }
    ReplyJson(res, InstancesJson(*created));
  });
  server.Get("/v1/instances", [this](const httplib::Request& req, httplib::Response& res) {
    auto filters = ParseFilterParams(QueryValues(req, "filter"));
    if (!filters.ok()) return ReplyJson(res, filters.status());
    auto found = s_.instances->Describe(*filters);
    if (!found.ok()) return ReplyJson(res, found.status());
    ReplyJson(res, InstancesJson(*found));
  });
  server.Get(R"(/v1/instances/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto i = s_.instances->Get(req.matches[1].str());
    if (!i.ok()) return ReplyJson(res, i.status());
    ReplyJson(res, ToJson(*i));
  });
  server.Patch(R"(/v1/instances/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto body = ParseBody(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    std::string type;
    std::optional<std::vector<std::string>> groups;
    Status st = ReadField(*body, "InstanceType", type);
    if (st.ok()) st = ReadField(*body, "SecurityGroupIds", groups);
    if (!st.ok()) return ReplyJson(res, st);
    if (type.empty() == !groups.has_value()) {
      return ReplyJson(res, InvalidArgument("give one of InstanceType and SecurityGroupIds").WithErrorCode("MissingParameter"));
    }
    auto i = groups ? s_.instances->ModifySecurityGroups(req.matches[1].str(), *groups)
                    : s_.instances->ModifyInstanceType(req.matches[1].str(), type);
    if (!i.ok()) return ReplyJson(res, i.status());
    ReplyJson(res, ToJson(*i));
  });
  server.Get(R"(/v1/instances/([^/]+)/console)", [this](const httplib::Request& req, httplib::Response& res) {
    std::string id = req.matches[1].str();
    auto out = s_.instances->ConsoleOutput(id);
    if (!out.ok()) return ReplyJson(res, out.status());
    ReplyJson(res, json{{"InstanceId", id}, {"Output", *out}});
  });
}

void RestApi::MountInstanceActions(httplib::Server& server) {
  server.Post(R"(/v1/instances/([^/]+)/(stop|start|reboot|terminate))",
              [this](const httplib::Request& req, httplib::Response& res) {
                auto body = ParseBody(req);
                if (!body.ok()) return ReplyJson(res, body.status());
                std::string id = req.matches[1].str();
                std::string verb = req.matches[2].str();
                Result<Instance> r = Status(Code::kInternal, "unreachable");
                std::vector<InstanceState> target;
                if (verb == "stop") {
                  r = s_.instances->Stop(id, body->value("Force", false));
                  target = {InstanceState::kStopped};
                } else if (verb == "start") {
                  r = s_.instances->Start(id);
                  target = {InstanceState::kRunning, InstanceState::kStopped};
                } else if (verb == "reboot") {
                  r = s_.instances->Reboot(id);
                  target = {InstanceState::kRunning};
                } else {
                  r = s_.instances->Terminate(id);
                  target = {InstanceState::kTerminated};
                }
                if (!r.ok()) return ReplyJson(res, r.status());
                if (body->value("Wait", false)) {
                  auto done = s_.instances->WaitForState({id}, target, kWaitTimeout);
                  if (!done.ok()) return ReplyJson(res, done.status());
                  return ReplyJson(res, json{{"Instance", ToJson(done->front())}});
                }
                ReplyJson(res, json{{"Instance", ToJson(*r)}});
              });
  server.Post(R"(/v1/instances/([^/]+)/tags)", [this](const httplib::Request& req, httplib::Response& res) {
    auto body = ParseBody(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    auto tags = TagsFromJson(body->value("Tags", json::array()));
    if (!tags.ok()) return ReplyJson(res, tags.status().WithErrorCode("InvalidParameterValue"));
    auto i = s_.instances->ChangeTags(req.matches[1].str(), *tags, {});
    if (!i.ok()) return ReplyJson(res, i.status());
    ReplyJson(res, ToJson(*i));
  });
  server.Delete(R"(/v1/instances/([^/]+)/tags)", [this](const httplib::Request& req, httplib::Response& res) {
    auto i = s_.instances->ChangeTags(req.matches[1].str(), {}, QueryValues(req, "key"));
    if (!i.ok()) return ReplyJson(res, i.status());
    ReplyJson(res, ToJson(*i));
  });
}

void RestApi::MountHost(httplib::Server& server) {
  server.Get("/v1/health", [this](const httplib::Request&, httplib::Response& res) {
    ReplyJson(res, json{{"Status", "ok"}, {"Name", s_.name}, {"Version", s_.version}});
  });
  server.Get("/v1/instance-types", [this](const httplib::Request&, httplib::Response& res) {
    json a = json::array();
    for (const auto& t : s_.types->List()) {
      a.push_back({{"InstanceType", t.name}, {"VCpus", t.vcpus}, {"MemoryMiB", t.memory_mib}, {"Pids", t.pids_limit}});
    }
    ReplyJson(res, json{{"InstanceTypes", a}});
  });
  server.Get("/v1/host", [this](const httplib::Request&, httplib::Response& res) {
    auto c = MeasureHostCapacity(*s_.instances, *s_.types, s_.state_dir);
    if (!c.ok()) return ReplyJson(res, c.status());
    ReplyJson(res, json{{"Name", s_.name},
                        {"Capacity", {{"VCpus", c->vcpus}, {"MemoryMiB", c->memory_mib}, {"DiskBytes", c->disk_bytes}}},
                        {"Allocated", {{"VCpus", c->vcpus_allocated}, {"MemoryMiB", c->memory_mib_allocated},
                                       {"Instances", c->instances}}},
                        {"Used", {{"DiskBytes", c->disk_used_bytes}}}});
  });
}

}  // namespace stratus
