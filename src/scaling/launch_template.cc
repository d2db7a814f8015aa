#include "scaling/launch_template.h"

#include <algorithm>
#include <cstdlib>

#include "common/ids.h"
#include "common/time_format.h"
#include "compute/instance.h"  // Base64Encode / Base64Decode
#include "compute/instance_service.h"  // RunRequest

namespace stratus::scaling {

using nlohmann::json;

namespace {

constexpr char kPrefix[] = "launch-templates/";

Status LtNotFound(const std::string& what) {
  return NotFound("launch template " + what + " does not exist").WithErrorCode("InvalidLaunchTemplateId.NotFound");
}

json VersionToStore(const LaunchTemplateVersion& v) {
  return {{"VersionNumber", v.version_number}, {"VersionDescription", v.version_description},
          {"CreateTime", v.create_time}, {"LaunchTemplateData", DataToJson(v.data)}};
}

json ToStoreJson(const LaunchTemplate& lt) {
  json j = ToJson(lt);
  j["Versions"] = json::array();
  for (const auto& v : lt.versions) j["Versions"].push_back(VersionToStore(v));
  return j;
}

Result<LaunchTemplate> FromStoreJson(const json& j) {
  try {
    LaunchTemplate lt;
    lt.launch_template_id = j.at("LaunchTemplateId").get<std::string>();
    lt.launch_template_name = j.at("LaunchTemplateName").get<std::string>();
    lt.create_time = j.value("CreateTime", "");
    lt.default_version_number = j.at("DefaultVersionNumber").get<int64_t>();
    lt.latest_version_number = j.at("LatestVersionNumber").get<int64_t>();
    for (const auto& vj : j.at("Versions")) {
      LaunchTemplateVersion v;
      v.version_number = vj.at("VersionNumber").get<int64_t>();
      v.version_description = vj.value("VersionDescription", "");
      v.create_time = vj.value("CreateTime", "");
      STRATUS_ASSIGN_OR_RETURN(v.data, DataFromJson(vj.at("LaunchTemplateData")));
      lt.versions.push_back(std::move(v));
    }
    return lt;
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("bad launch template record: ") + e.what());
  }
}

Status ValidateTemplateName(const std::string& name) {
  if (name.size() < 3 || name.size() > 128) {
    return InvalidArgument("LaunchTemplateName must be 3 to 128 characters").WithErrorCode("InvalidLaunchTemplateName.MalformedException");
  }
  for (char c : name) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '(' || c == ')' || c == '.' || c == '-' || c == '/' || c == '_')) {
      return InvalidArgument("LaunchTemplateName " + name + ": only letters, digits and ( ) . - / _")
          .WithErrorCode("InvalidLaunchTemplateName.MalformedException");
    }
  }
  return Status::Ok();
}

}  // namespace

json DataToJson(const LaunchTemplateData& d) {
  json j = json::object();
  if (!d.image_id.empty()) j["ImageId"] = d.image_id;
  if (!d.instance_type.empty()) j["InstanceType"] = d.instance_type;
  if (!d.user_data.empty()) j["UserData"] = Base64Encode(d.user_data);
  if (!d.tags.empty()) j["TagSpecifications"] = json::array({{{"ResourceType", "instance"}, {"Tags", TagsToJson(d.tags)}}});
  if (!d.sysctls.empty()) j["Sysctls"] = d.sysctls;
  return j;
}

Result<LaunchTemplateData> DataFromJson(const json& j) {
  LaunchTemplateData d;
  if (!j.is_object()) return InvalidArgument("LaunchTemplateData must be an object").WithErrorCode("ValidationError");
  try {
    d.image_id = j.value("ImageId", "");
    d.instance_type = j.value("InstanceType", "");
    auto decoded = Base64Decode(j.value("UserData", ""));
    if (!decoded.ok()) return decoded.status().WithContext("UserData").WithErrorCode("InvalidUserData.Malformed");
    d.user_data = std::move(*decoded);
    if (j.contains("Sysctls")) d.sysctls = j["Sysctls"].get<std::map<std::string, std::string>>();
    if (j.contains("TagSpecifications")) {
      for (const auto& spec : j["TagSpecifications"]) {
        if (spec.value("ResourceType", "instance") != "instance") continue;
        STRATUS_ASSIGN_OR_RETURN(auto tags, TagsFromJson(spec.value("Tags", json::array())));
        d.tags.insert(d.tags.end(), tags.begin(), tags.end());
      }
    }
    if (j.contains("Tags")) {
      STRATUS_ASSIGN_OR_RETURN(auto tags, TagsFromJson(j["Tags"]));
      d.tags.insert(d.tags.end(), tags.begin(), tags.end());
    }
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("LaunchTemplateData: ") + e.what()).WithErrorCode("ValidationError");
  }
  return d;
}

json ToJson(const LaunchTemplate& lt) {
  return {{"LaunchTemplateId", lt.launch_template_id}, {"LaunchTemplateName", lt.launch_template_name},
          {"CreateTime", lt.create_time}, {"DefaultVersionNumber", lt.default_version_number},
          {"LatestVersionNumber", lt.latest_version_number}};
}

json ToJson(const LaunchTemplate& lt, const LaunchTemplateVersion& v) {
  json j = VersionToStore(v);
  j["LaunchTemplateId"] = lt.launch_template_id;
  j["LaunchTemplateName"] = lt.launch_template_name;
  j["DefaultVersion"] = v.version_number == lt.default_version_number;
  return j;
}

Result<int64_t> VersionNumber(const LaunchTemplate& lt, const std::string& version) {
  if (version.empty() || version == "$Default") return lt.default_version_number;
  if (version == "$Latest") return lt.latest_version_number;
  char* end = nullptr;
  long long n = strtoll(version.c_str(), &end, 10);
  if (*end != '\0' || n < 1) {
    return InvalidArgument("version " + version + " is not a number, $Latest or $Default")
        .WithErrorCode("InvalidLaunchTemplateId.VersionNotFound");
  }
  for (const auto& v : lt.versions) {
    if (v.version_number == n) return static_cast<int64_t>(n);
  }
  return NotFound("launch template " + lt.launch_template_id + " has no version " + version)
      .WithErrorCode("InvalidLaunchTemplateId.VersionNotFound");
}

LaunchTemplateService::LaunchTemplateService(Store* store, LaunchTemplateOptions options)
    : store_(store), options_(std::move(options)) {}

Status LaunchTemplateService::Load() {
  STRATUS_ASSIGN_OR_RETURN(auto kvs, store_->List(kPrefix));
  std::lock_guard lock(mu_);
  templates_.clear();
  for (const auto& kv : kvs) {
    json j = json::parse(kv.value, nullptr, false);
    if (j.is_discarded()) return Internal("launch template record " + kv.key + " is not JSON");
    STRATUS_ASSIGN_OR_RETURN(auto lt, FromStoreJson(j));
    templates_[lt.launch_template_id] = std::move(lt);
  }
  return Status::Ok();
}

Status LaunchTemplateService::Validate(LaunchTemplateData& d) const {
  auto bad = [](const Status& st, const char* code) { return st.WithErrorCode(code); };
  if (d.image_id.empty()) return InvalidArgument("LaunchTemplateData.ImageId is required").WithErrorCode("MissingParameter");
  if (options_.resolve_image) {
    auto id = options_.resolve_image(d.image_id);
    if (!id.ok()) return bad(id.status(), "InvalidAMIID.NotFound");
    d.image_id = *id;
  }
  if (d.instance_type.empty()) d.instance_type = "t3.micro";
  if (options_.validate_type) {
    Status st = options_.validate_type(d.instance_type);
    if (!st.ok()) return bad(InvalidArgument(st.message()), "InvalidParameterValue");
  }
  if (options_.validate_sysctls && !d.sysctls.empty()) {
    Status st = options_.validate_sysctls(d.sysctls);
    if (!st.ok()) return bad(InvalidArgument(st.message()), "InvalidParameterValue");
  }
  if (d.user_data.size() > options_.max_user_data) {
    return InvalidArgument("UserData is larger than " + std::to_string(options_.max_user_data) + " bytes")
        .WithErrorCode("InvalidUserData.Malformed");
  }
  return Status::Ok();
}

const LaunchTemplate* LaunchTemplateService::FindLocked(const std::string& id_or_name) const {
  auto it = templates_.find(id_or_name);
  if (it != templates_.end()) return &it->second;
  for (const auto& [id, lt] : templates_) {
    if (lt.launch_template_name == id_or_name) return &lt;
  }
  return nullptr;
}

Status LaunchTemplateService::Persist(const LaunchTemplate& lt) {
  return store_->Put(kPrefix + lt.launch_template_id, ToStoreJson(lt).dump()).status();
}

Result<LaunchTemplate> LaunchTemplateService::Create(const std::string& name, const LaunchTemplateData& data,
                                                     const std::string& description) {
  STRATUS_RETURN_IF_ERROR(ValidateTemplateName(name));
  LaunchTemplateData d = data;
  STRATUS_RETURN_IF_ERROR(Validate(d));
  std::lock_guard lock(mu_);
  if (FindLocked(name)) {
    return AlreadyExists("launch template name " + name + " already in use")
        .WithErrorCode("InvalidLaunchTemplateName.AlreadyExistsException");
  }
  LaunchTemplate lt;
  lt.launch_template_id = NewId("lt");
  lt.launch_template_name = name;
  lt.create_time = NowIso8601();
  lt.versions.push_back({1, description, lt.create_time, std::move(d)});
  STRATUS_RETURN_IF_ERROR(Persist(lt));
  templates_[lt.launch_template_id] = lt;
  return lt;
}

Result<std::pair<LaunchTemplate, int64_t>> LaunchTemplateService::CreateVersion(const std::string& id_or_name,
                                                                               LaunchTemplateData data,
                                                                               const std::string& source_version,
                                                                               const std::string& description) {
  std::lock_guard lock(mu_);
  const LaunchTemplate* found = FindLocked(id_or_name);
  if (!found) return LtNotFound(id_or_name);
  LaunchTemplate lt = *found;
  if (!source_version.empty()) {
    STRATUS_ASSIGN_OR_RETURN(int64_t n, VersionNumber(lt, source_version));
    const LaunchTemplateData& src = lt.versions[0].data;
    LaunchTemplateData base = src;
    for (const auto& v : lt.versions) {
      if (v.version_number == n) base = v.data;
    }
    if (data.image_id.empty()) data.image_id = base.image_id;
    if (data.instance_type.empty()) data.instance_type = base.instance_type;
    if (data.user_data.empty()) data.user_data = base.user_data;
    if (data.tags.empty()) data.tags = base.tags;
    if (data.sysctls.empty()) data.sysctls = base.sysctls;
  }
  STRATUS_RETURN_IF_ERROR(Validate(data));
  int64_t number = lt.latest_version_number + 1;
  lt.versions.push_back({number, description, NowIso8601(), std::move(data)});
  lt.latest_version_number = number;
  STRATUS_RETURN_IF_ERROR(Persist(lt));
  templates_[lt.launch_template_id] = lt;
  return std::make_pair(lt, number);
}

Result<std::vector<LaunchTemplate>> LaunchTemplateService::Describe(const std::vector<std::string>& ids_or_names) const {
  std::lock_guard lock(mu_);
  std::vector<LaunchTemplate> out;
  if (ids_or_names.empty()) {
    for (const auto& [id, lt] : templates_) out.push_back(lt);
    return out;
  }
  for (const auto& x : ids_or_names) {
    const LaunchTemplate* lt = FindLocked(x);
    if (!lt) return LtNotFound(x);
    out.push_back(*lt);
  }
  return out;
}

Result<LaunchTemplate> LaunchTemplateService::Find(const std::string& id_or_name) const {
  std::lock_guard lock(mu_);
  const LaunchTemplate* lt = FindLocked(id_or_name);
  if (!lt) return LtNotFound(id_or_name);
  return *lt;
}

Result<LaunchTemplate> LaunchTemplateService::ModifyDefaultVersion(const std::string& id_or_name,
                                                                   const std::string& version) {
  std::lock_guard lock(mu_);
  const LaunchTemplate* found = FindLocked(id_or_name);
  if (!found) return LtNotFound(id_or_name);
  LaunchTemplate lt = *found;
  STRATUS_ASSIGN_OR_RETURN(lt.default_version_number, VersionNumber(lt, version));
  STRATUS_RETURN_IF_ERROR(Persist(lt));
  templates_[lt.launch_template_id] = lt;
  return lt;
}

Result<LaunchTemplate> LaunchTemplateService::Delete(const std::string& id_or_name) {
  LaunchTemplate lt;
  std::vector<InUseCheck> checks;
  {
    std::lock_guard lock(mu_);
    const LaunchTemplate* found = FindLocked(id_or_name);
    if (!found) return LtNotFound(id_or_name);
    lt = *found;
    checks = in_use_;
  }
  for (const auto& check : checks) STRATUS_RETURN_IF_ERROR(check(lt));
  std::lock_guard lock(mu_);
  if (!templates_.count(lt.launch_template_id)) return LtNotFound(id_or_name);
  STRATUS_RETURN_IF_ERROR(store_->Delete(kPrefix + lt.launch_template_id));
  templates_.erase(lt.launch_template_id);
  return lt;
}

void LaunchTemplateService::AddInUseCheck(InUseCheck check) {
  std::lock_guard lock(mu_);
  in_use_.push_back(std::move(check));
}

Status LaunchTemplateService::ApplyTo(RunRequest& req) const {
  STRATUS_ASSIGN_OR_RETURN(auto version, ResolveVersion(req.launch_template, req.launch_template_version));
  const LaunchTemplateData& d = version.data;
  if (req.image.empty()) req.image = d.image_id;
  if (req.instance_type.empty()) req.instance_type = d.instance_type;
  if (req.user_data.empty()) req.user_data = d.user_data;
  for (const auto& t : d.tags) {
    bool present = std::any_of(req.tags.begin(), req.tags.end(), [&](const Tag& x) { return x.key == t.key; });
    if (!present) req.tags.push_back(t);
  }
  for (const auto& [k, v] : d.sysctls) req.sysctls.emplace(k, v);
  return Status::Ok();
}

Result<LaunchTemplateVersion> LaunchTemplateService::ResolveVersion(const std::string& id_or_name,
                                                                    const std::string& version) const {
  std::lock_guard lock(mu_);
  const LaunchTemplate* lt = FindLocked(id_or_name);
  if (!lt) return LtNotFound(id_or_name);
  STRATUS_ASSIGN_OR_RETURN(int64_t n, VersionNumber(*lt, version));
  for (const auto& v : lt->versions) {
    if (v.version_number == n) return v;
  }
  return Internal("launch template version vanished");
}

bool LaunchTemplateService::UsesImage(const std::string& image_id) const {
  std::lock_guard lock(mu_);
  for (const auto& [id, lt] : templates_) {
    for (const auto& v : lt.versions) {
      if (v.data.image_id == image_id) return true;
    }
  }
  return false;
}

}  // namespace stratus::scaling
