#include "api/rest_scaling.h"

#include "api/request_json.h"
#include "api/rest_api.h"
#include "scaling/request_json.h"

namespace stratus {

using nlohmann::json;
using namespace scaling;

namespace {

Result<json> Body(const httplib::Request& req) { return JsonObjectBody(req, "ValidationError"); }

// Reads an optional field; a field of the wrong JSON type is a ValidationError naming it.
template <typename T>
Status Read(const json& j, const char* name, T& out) {
  return ReadJsonField(j, name, out, "ValidationError");
}

template <typename F>
void Handle(httplib::Response& res, F&& f) {
  Result<json> r = f();
  ReplyJson(res, r);
}

std::vector<std::string> ListParam(const httplib::Request& req, const char* name) {
  std::vector<std::string> out;
  for (size_t k = 0; k < req.get_param_value_count(name); ++k) {
    for (auto& s : SplitCommas(req.get_param_value(name, k))) out.push_back(s);
  }
  return out;
}

}  // namespace

void RestScaling::Mount(httplib::Server& server) {
  MountTemplates(server);
  MountGroups(server);
  MountGroupActions(server);
  MountPolicies(server);
  MountRefreshes(server);
}

void RestScaling::MountTemplates(httplib::Server& server) {
  server.Post("/v1/launch-templates", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(json b, Body(req));
      std::string name, description;
      STRATUS_RETURN_IF_ERROR(Read(b, "LaunchTemplateName", name));
      STRATUS_RETURN_IF_ERROR(Read(b, "VersionDescription", description));
      if (name.empty()) return InvalidArgument("LaunchTemplateName is required").WithErrorCode("MissingParameter");
      STRATUS_ASSIGN_OR_RETURN(auto data, DataFromJson(b.value("LaunchTemplateData", json::object())));
      STRATUS_ASSIGN_OR_RETURN(auto lt, templates_->Create(name, data, description));
      return json{{"LaunchTemplate", ToJson(lt)}};
    });
  });
  server.Get("/v1/launch-templates", [this](const httplib::Request&, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(auto list, templates_->Describe({}));
      json a = json::array();
      for (const auto& lt : list) a.push_back(ToJson(lt));
      return json{{"LaunchTemplates", a}};
    });
  });
  server.Get(R"(/v1/launch-templates/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(auto lt, templates_->Find(req.matches[1].str()));
      json j = ToJson(lt);
      json versions = json::array();
      for (auto it = lt.versions.rbegin(); it != lt.versions.rend(); ++it) versions.push_back(ToJson(lt, *it));
      j["LaunchTemplateVersions"] = versions;
      return json{{"LaunchTemplate", j}};
    });
  });
  server.Get(R"(/v1/launch-templates/([^/]+)/versions)", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(auto lt, templates_->Find(req.matches[1].str()));
      json versions = json::array();
      auto wanted = ListParam(req, "version");
      if (wanted.empty()) {
        for (auto it = lt.versions.rbegin(); it != lt.versions.rend(); ++it) versions.push_back(ToJson(lt, *it));
      }
      for (const auto& w : wanted) {
        STRATUS_ASSIGN_OR_RETURN(auto v, templates_->ResolveVersion(lt.launch_template_id, w));
        versions.push_back(ToJson(lt, v));
      }
      return json{{"LaunchTemplateVersions", versions}};
    });
  });
  server.Post(R"(/v1/launch-templates/([^/]+)/versions)", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(json b, Body(req));
      std::string source, description;
      STRATUS_RETURN_IF_ERROR(Read(b, "SourceVersion", source));
      STRATUS_RETURN_IF_ERROR(Read(b, "VersionDescription", description));
      STRATUS_ASSIGN_OR_RETURN(auto data, DataFromJson(b.value("LaunchTemplateData", json::object())));
      STRATUS_ASSIGN_OR_RETURN(auto created, templates_->CreateVersion(req.matches[1].str(), data, source, description));
      for (const auto& v : created.first.versions) {
        if (v.version_number == created.second) return json{{"LaunchTemplateVersion", ToJson(created.first, v)}};
      }
      return Internal("the new version vanished");
    });
  });
  server.Patch(R"(/v1/launch-templates/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(json b, Body(req));
      std::string version;
      STRATUS_RETURN_IF_ERROR(Read(b, "DefaultVersion", version));
      if (version.empty()) return InvalidArgument("DefaultVersion is required").WithErrorCode("MissingParameter");
      STRATUS_ASSIGN_OR_RETURN(auto lt, templates_->ModifyDefaultVersion(req.matches[1].str(), version));
      return json{{"LaunchTemplate", ToJson(lt)}};
    });
  });
  server.Delete(R"(/v1/launch-templates/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(auto deleted, templates_->Delete(req.matches[1].str()));
      return json{{"LaunchTemplate", ToJson(deleted)}};
    });
  });
}

void RestScaling::MountGroups(httplib::Server& server) {
  server.Post("/v1/auto-scaling-groups", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(json b, Body(req));
      STRATUS_ASSIGN_OR_RETURN(auto spec, ParseGroupSpec(b));
      STRATUS_ASSIGN_OR_RETURN(auto g, groups_->CreateGroup(spec));
      return json{{"AutoScalingGroup", ToJson(g)}};
    });
  });
  server.Get("/v1/auto-scaling-groups", [this](const httplib::Request& req, httplib::Response& res) {
    json a = json::array();
    for (const auto& g : groups_->DescribeGroups(ListParam(req, "name"))) a.push_back(ToJson(g));
    ReplyJson(res, json{{"AutoScalingGroups", a}});
  });
  server.Get(R"(/v1/auto-scaling-groups/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(auto g, groups_->GetGroup(req.matches[1].str()));
      return json{{"AutoScalingGroup", ToJson(g)}};
    });
  });
  server.Patch(R"(/v1/auto-scaling-groups/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(json b, Body(req));
      STRATUS_ASSIGN_OR_RETURN(auto spec, ParseGroupSpec(b));
      spec.name = req.matches[1].str();
      STRATUS_ASSIGN_OR_RETURN(auto g, groups_->UpdateGroup(spec));
      return json{{"AutoScalingGroup", ToJson(g)}};
    });
  });
  server.Delete(R"(/v1/auto-scaling-groups/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      std::string force = req.get_param_value("force");
      STRATUS_RETURN_IF_ERROR(groups_->DeleteGroup(req.matches[1].str(), force == "true" || force == "1"));
      return json::object();
    });
  });
  server.Get("/v1/auto-scaling-instances", [this](const httplib::Request& req, httplib::Response& res) {
    json a = json::array();
    for (const auto& [g, i] : groups_->DescribeInstances(ListParam(req, "id"))) a.push_back(ToJson(g, i));
    ReplyJson(res, json{{"AutoScalingInstances", a}});
  });
  server.Post(R"(/v1/auto-scaling-instances/([^/]+)/terminate)", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(json b, Body(req));
      bool decrement = false;
      STRATUS_RETURN_IF_ERROR(Read(b, "ShouldDecrementDesiredCapacity", decrement));
      STRATUS_ASSIGN_OR_RETURN(auto r, groups_->TerminateInstance(req.matches[1].str(), decrement));
      return json{{"Activity", ToJson(r.first, r.second)}};
    });
  });
}

void RestScaling::MountGroupActions(httplib::Server& server) {
  server.Post(R"(/v1/auto-scaling-groups/([^/]+)/desired-capacity)", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(json b, Body(req));
      std::optional<int> desired;
      bool honor = false;
      STRATUS_RETURN_IF_ERROR(Read(b, "DesiredCapacity", desired));
      STRATUS_RETURN_IF_ERROR(Read(b, "HonorCooldown", honor));
      if (!desired) return InvalidArgument("DesiredCapacity is required").WithErrorCode("MissingParameter");
      STRATUS_ASSIGN_OR_RETURN(auto g, groups_->SetDesiredCapacity(req.matches[1].str(), *desired, honor));
      return json{{"AutoScalingGroup", ToJson(g)}};
    });
  });
  server.Get(R"(/v1/auto-scaling-groups/([^/]+)/activities)", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(auto g, groups_->GetGroup(req.matches[1].str()));
      json a = json::array();
      for (const auto& act : g.activities) a.push_back(ToJson(g, act));
      return json{{"Activities", a}};
    });
  });
  for (const char* verb : {"suspend", "resume"}) {
    bool suspend = std::string(verb) == "suspend";
    server.Post(std::string(R"(/v1/auto-scaling-groups/([^/]+)/)") + verb,
                [this, suspend](const httplib::Request& req, httplib::Response& res) {
                  Handle(res, [&]() -> Result<json> {
                    STRATUS_ASSIGN_OR_RETURN(json b, Body(req));
                    std::vector<std::string> processes;
                    STRATUS_RETURN_IF_ERROR(Read(b, "ScalingProcesses", processes));
                    STRATUS_RETURN_IF_ERROR(groups_->SetProcessesSuspended(req.matches[1].str(), processes, suspend));
                    return json::object();
                  });
                });
  }
  server.Post(R"(/v1/auto-scaling-groups/([^/]+)/instance-protection)", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(json b, Body(req));
      std::vector<std::string> ids;
      std::optional<bool> protect;
      STRATUS_RETURN_IF_ERROR(Read(b, "InstanceIds", ids));
      STRATUS_RETURN_IF_ERROR(Read(b, "ProtectedFromScaleIn", protect));
      if (!protect) return InvalidArgument("ProtectedFromScaleIn is required").WithErrorCode("MissingParameter");
      STRATUS_RETURN_IF_ERROR(groups_->SetInstanceProtection(req.matches[1].str(), ids, *protect));
      return json::object();
    });
  });
}

void RestScaling::MountPolicies(httplib::Server& server) {
  server.Put(R"(/v1/auto-scaling-groups/([^/]+)/policies/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(json b, Body(req));
      STRATUS_ASSIGN_OR_RETURN(auto p, ParseScalingPolicy(b));
      p.policy_name = req.matches[2].str();
      STRATUS_ASSIGN_OR_RETURN(auto g, groups_->GetGroup(req.matches[1].str()));
      STRATUS_ASSIGN_OR_RETURN(auto put, groups_->PutScalingPolicy(req.matches[1].str(), p));
      json j = ToJson(g, put);
      return json{{"PolicyARN", put.policy_arn}, {"Alarms", j["Alarms"]}, {"ScalingPolicy", j}};
    });
  });
  server.Get(R"(/v1/auto-scaling-groups/([^/]+)/policies)", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(auto g, groups_->GetGroup(req.matches[1].str()));
      json a = json::array();
      for (const auto& p : g.policies) a.push_back(ToJson(g, p));
      return json{{"ScalingPolicies", a}};
    });
  });
  server.Delete(R"(/v1/auto-scaling-groups/([^/]+)/policies/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_RETURN_IF_ERROR(groups_->DeletePolicy(req.matches[1].str(), req.matches[2].str()));
      return json::object();
    });
  });
  server.Post(R"(/v1/auto-scaling-groups/([^/]+)/policies/([^/]+)/execute)", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(json b, Body(req));
      std::optional<double> metric;
      bool honor = false;
      STRATUS_RETURN_IF_ERROR(Read(b, "MetricValue", metric));
      STRATUS_RETURN_IF_ERROR(Read(b, "HonorCooldown", honor));
      STRATUS_RETURN_IF_ERROR(groups_->ExecutePolicy(req.matches[1].str(), req.matches[2].str(), metric, honor));
      return json::object();
    });
  });
  server.Put(R"(/v1/auto-scaling-groups/([^/]+)/scheduled-actions/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(json b, Body(req));
      ScheduledAction a;
      a.name = req.matches[2].str();
      std::string start, end;
      STRATUS_RETURN_IF_ERROR(Read(b, "Recurrence", a.recurrence));
      STRATUS_RETURN_IF_ERROR(Read(b, "TimeZone", a.time_zone));
      STRATUS_RETURN_IF_ERROR(Read(b, "StartTime", start));
      STRATUS_RETURN_IF_ERROR(Read(b, "EndTime", end));
      STRATUS_RETURN_IF_ERROR(Read(b, "MinSize", a.min_size));
      STRATUS_RETURN_IF_ERROR(Read(b, "MaxSize", a.max_size));
      STRATUS_RETURN_IF_ERROR(Read(b, "DesiredCapacity", a.desired_capacity));
      if (!start.empty()) {
        STRATUS_ASSIGN_OR_RETURN(a.start_ms, ParseTime(start));
      }
      if (!end.empty()) {
        STRATUS_ASSIGN_OR_RETURN(a.end_ms, ParseTime(end));
      }
      STRATUS_ASSIGN_OR_RETURN(auto g, groups_->GetGroup(req.matches[1].str()));
      STRATUS_ASSIGN_OR_RETURN(auto put, groups_->PutScheduledAction(req.matches[1].str(), a));
      return json{{"ScheduledUpdateGroupAction", ToJson(g, put)}};
    });
  });
  server.Get(R"(/v1/auto-scaling-groups/([^/]+)/scheduled-actions)", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(auto g, groups_->GetGroup(req.matches[1].str()));
      json a = json::array();
      for (const auto& s : g.scheduled_actions) a.push_back(ToJson(g, s));
      return json{{"ScheduledUpdateGroupActions", a}};
    });
  });
  server.Delete(R"(/v1/auto-scaling-groups/([^/]+)/scheduled-actions/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_RETURN_IF_ERROR(groups_->DeleteScheduledAction(req.matches[1].str(), req.matches[2].str()));
      return json::object();
    });
  });
}

void RestScaling::MountRefreshes(httplib::Server& server) {
  server.Post(R"(/v1/auto-scaling-groups/([^/]+)/instance-refreshes)", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(json b, Body(req));
      int min_healthy = 90, warmup = -1;
      if (b.contains("Preferences")) {
        STRATUS_RETURN_IF_ERROR(Read(b["Preferences"], "MinHealthyPercentage", min_healthy));
        STRATUS_RETURN_IF_ERROR(Read(b["Preferences"], "InstanceWarmup", warmup));
      }
      STRATUS_ASSIGN_OR_RETURN(auto id, groups_->StartInstanceRefresh(req.matches[1].str(), min_healthy, warmup));
      return json{{"InstanceRefreshId", id}};
    });
  });
  server.Get(R"(/v1/auto-scaling-groups/([^/]+)/instance-refreshes)", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(auto g, groups_->GetGroup(req.matches[1].str()));
      json a = json::array();
      for (const auto& r : g.refreshes) a.push_back(ToJson(g, r));
      return json{{"InstanceRefreshes", a}};
    });
  });
  server.Delete(R"(/v1/auto-scaling-groups/([^/]+)/instance-refreshes)", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(res, [&]() -> Result<json> {
      STRATUS_ASSIGN_OR_RETURN(auto id, groups_->CancelInstanceRefresh(req.matches[1].str()));
      return json{{"InstanceRefreshId", id}};
    });
  });
}

}  // namespace stratus
