// stratus template create|list|show|version|set-default|delete (EC2 launch templates)
#include <memory>

#include "cli/commands.h"
#include "cli/requests.h"
#include "cli/views.h"
#include "common/base64.h"
#include "common/files.h"

namespace stratus::cli {

namespace {

Columns TemplateColumns() {
  return {{"ID", [](const Json& j) { return FieldText(j, "LaunchTemplateId"); }},
          {"NAME", [](const Json& j) { return FieldText(j, "LaunchTemplateName"); }},
          {"DEFAULT", [](const Json& j) { return FieldText(j, "DefaultVersionNumber"); }},
          {"LATEST", [](const Json& j) { return FieldText(j, "LatestVersionNumber"); }},
          {"CREATED", [](const Json& j) { return FieldText(j, "CreateTime"); }}};
}

Columns TemplateDetails() {
  Columns c = TemplateColumns();
  c.push_back({"VERSIONS", [](const Json& j) {
                 std::string out;
                 for (const auto& v : j.value("LaunchTemplateVersions", Json::array())) {
                   const Json& d = v["LaunchTemplateData"];
                   out += (out.empty() ? "" : "; ") + FieldText(v, "VersionNumber") + ": " + FieldText(d, "ImageId") + " " +
                          FieldText(d, "InstanceType");
                 }
                 return out;
               }});
  return c;
}

struct DataArgs {
  std::string image, type, user_data_file, description, source;
  std::vector<std::string> tags, sysctls;
};

void AddDataOptions(CLI::App* sub, DataArgs& a) {
  sub->add_option("--image", a.image, "image id or name");
  sub->add_option("--type", a.type, "instance type (default t3.micro)");
  sub->add_option("--user-data", a.user_data_file, "file run once at each instance's first boot");
  sub->add_option("--tag", a.tags, "KEY=VALUE instance tag; repeatable")->check(KeyValueValidator());
  sub->add_option("--sysctl", a.sysctls, "KEY=VALUE namespaced sysctl; repeatable")->check(KeyValueValidator());
  sub->add_option("--description", a.description, "version description");
}

Result<Json> DataJson(const DataArgs& a) {
  Json d = Json::object();
  if (!a.image.empty()) d["ImageId"] = a.image;
  if (!a.type.empty()) d["InstanceType"] = a.type;
  if (!a.user_data_file.empty()) {
    auto data = ReadFile(a.user_data_file);
    if (!data.ok()) return InvalidArgument("--user-data: " + data.status().message());
    d["UserData"] = Base64Encode(*data);
  }
  Json tags = Json::array();
  for (const auto& t : a.tags) {
    STRATUS_ASSIGN_OR_RETURN(KeyValue kv, ParseKeyValue(t, "--tag"));
    tags.push_back({{"Key", kv.key}, {"Value", kv.value}});
  }
  if (!tags.empty()) d["TagSpecifications"] = Json::array({{{"ResourceType", "instance"}, {"Tags", tags}}});
  for (const auto& s : a.sysctls) {
    STRATUS_ASSIGN_OR_RETURN(KeyValue kv, ParseKeyValue(s, "--sysctl"));
    d["Sysctls"][kv.key] = kv.value;
  }
  return d;
}

}  // namespace

void RegisterTemplateCommands(CLI::App& root, CliContext& ctx) {
  CLI::App* tmpl = AddNoun(root, "template", "Launch templates (what auto scaling groups launch)");

  auto create_args = std::make_shared<DataArgs>();
  auto name = std::make_shared<std::string>();
  CLI::App* create = tmpl->add_subcommand("create", "Create a launch template (version 1)");
  create->add_option("NAME", *name, "template name")->required();
  AddDataOptions(create, *create_args);
  create->get_option("--image")->required();
  OnSelected(create, ctx, [&ctx, name, create_args]() -> int {
    auto data = DataJson(*create_args);
    if (!data.ok()) return ctx.UsageError(data.status());
    Json body = {{"LaunchTemplateName", *name}, {"LaunchTemplateData", *data}};
    if (!create_args->description.empty()) body["VersionDescription"] = create_args->description;
    return ctx.ShowEach({MakeRequest("POST", "/v1/launch-templates", body)}, "LaunchTemplate", TemplateColumns());
  });

  auto version_args = std::make_shared<DataArgs>();
  auto vname = std::make_shared<std::string>();
  CLI::App* version = tmpl->add_subcommand("version", "Add a version (unset fields come from --source, default $Latest)");
  version->add_option("TEMPLATE", *vname, "template id or name")->required();
  AddDataOptions(version, *version_args);
  version->add_option("--source", version_args->source, "version to start from")->default_str("$Latest");
  OnSelected(version, ctx, [&ctx, vname, version_args]() -> int {
    auto data = DataJson(*version_args);
    if (!data.ok()) return ctx.UsageError(data.status());
    Json body = {{"LaunchTemplateData", *data},
                 {"SourceVersion", version_args->source.empty() ? "$Latest" : version_args->source}};
    if (!version_args->description.empty()) body["VersionDescription"] = version_args->description;
    Columns cols = {{"TEMPLATE", [](const Json& j) { return FieldText(j, "LaunchTemplateId"); }},
                    {"VERSION", [](const Json& j) { return FieldText(j, "VersionNumber"); }}};
    return ctx.ShowEach({MakeRequest("POST", "/v1/launch-templates/" + *vname + "/versions", body)},
                        "LaunchTemplateVersion", cols);
  });

  CLI::App* list = tmpl->add_subcommand("list", "List launch templates");
  OnSelected(list, ctx, [&ctx] {
    return ctx.List(MakeRequest("GET", "/v1/launch-templates"), "LaunchTemplates", TemplateColumns());
  });

  AddShowEach(tmpl, ctx,
              {"show", "Show launch templates with their versions", "TEMPLATE", "template ids or names",
               [](const std::string& id) { return MakeRequest("GET", "/v1/launch-templates/" + id); }},
              "LaunchTemplate", TemplateDetails);

  auto def = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* set_default = tmpl->add_subcommand("set-default", "Make a version the default");
  set_default->add_option("TEMPLATE", def->first, "template id or name")->required();
  set_default->add_option("VERSION", def->second, "version number or $Latest")->required();
  OnSelected(set_default, ctx, [&ctx, def] {
    return ctx.ShowEach({MakeRequest("PATCH", "/v1/launch-templates/" + def->first, Json{{"DefaultVersion", def->second}})},
                        "LaunchTemplate", TemplateColumns());
  });

  AddSendEach(tmpl, ctx,
              {"delete", "Delete launch templates", "TEMPLATE", "template ids or names",
               [](const std::string& id) { return MakeRequest("DELETE", "/v1/launch-templates/" + id); }});
}

}  // namespace stratus::cli
