// Launch templates (EC2 CreateLaunchTemplate and friends): named, versioned instance specifications
// that Auto Scaling groups launch from. Records live in the Store under "launch-templates/<lt-id>".
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/tags.h"
#include "store/store.h"

namespace stratus {
struct RunRequest;
}

namespace stratus::scaling {

// LaunchTemplateData: the subset of EC2's that Stratus instances use.
struct LaunchTemplateData {
  std::string image_id;
  std::string instance_type;
  std::string user_data;  // raw bytes (base64 on the wire)
  std::vector<Tag> tags;  // TagSpecifications with ResourceType instance
  std::map<std::string, std::string> sysctls;
};

struct LaunchTemplateVersion {
  int64_t version_number = 0;
  std::string version_description;
  std::string create_time;
  LaunchTemplateData data;
};

struct LaunchTemplate {
  std::string launch_template_id;  // lt-...
  std::string launch_template_name;
  std::string create_time;
  int64_t default_version_number = 1;
  int64_t latest_version_number = 1;
  std::vector<LaunchTemplateVersion> versions;  // ascending
};

struct LaunchTemplateOptions {
  // Checks an image id or name; returns the image id, NotFound for an unknown one.
  std::function<Result<std::string>(const std::string& image)> resolve_image;
  // Checks an instance type; NotFound-style error for an unknown one.
  std::function<Status(const std::string& type)> validate_type;
  std::function<Status(const std::map<std::string, std::string>& sysctls)> validate_sysctls;
  size_t max_user_data = 16 * 1024;
};

// API forms (EC2 field names; LaunchTemplateData.UserData base64).
nlohmann::json ToJson(const LaunchTemplate& lt);
nlohmann::json ToJson(const LaunchTemplate& lt, const LaunchTemplateVersion& v);
nlohmann::json DataToJson(const LaunchTemplateData& d);
// Parses EC2's LaunchTemplateData (UserData base64, TagSpecifications or Tags, Sysctls).
Result<LaunchTemplateData> DataFromJson(const nlohmann::json& j);

class LaunchTemplateService {
 public:
  // `store` must outlive the service.
  LaunchTemplateService(Store* store, LaunchTemplateOptions options);

  // Loads the records from the store.
  Status Load();

  // Creates a template with version 1 (the default). AlreadyExists
  // (InvalidLaunchTemplateName.AlreadyExistsException) for a taken name; InvalidArgument for bad data.
  Result<LaunchTemplate> Create(const std::string& name, const LaunchTemplateData& data, const std::string& description);

  // Adds a version. With `source_version` the new version starts from that one's data and `data`'s
  // non-empty fields override it. Returns the template and the new version number.
  Result<std::pair<LaunchTemplate, int64_t>> CreateVersion(const std::string& id_or_name, LaunchTemplateData data,
                                                           const std::string& source_version,
                                                           const std::string& description);

  // Templates by id or name (all when both empty). NotFound for an unknown one.
  Result<std::vector<LaunchTemplate>> Describe(const std::vector<std::string>& ids_or_names) const;
  Result<LaunchTemplate> Find(const std::string& id_or_name) const;

  // Makes `version` ("3", "$Latest") the default version.
  Result<LaunchTemplate> ModifyDefaultVersion(const std::string& id_or_name, const std::string& version);

  // Deletes the template and every version; NotFound when unknown, and the refusal of an in-use check
  // (FailedPrecondition, ResourceInUse) while something launches from it.
  Result<LaunchTemplate> Delete(const std::string& id_or_name);

  // Adds a check Delete consults ("does an auto scaling group launch from this template"): it returns the
  // refusal, or Ok. Checks run without the service's lock held. The daemon wires them (daemon/service_rules.h).
  using InUseCheck = std::function<Status(const LaunchTemplate& lt)>;
  void AddInUseCheck(InUseCheck check);

  // Launch from a template (EC2 RunInstances with a LaunchTemplate member, and the REST API's): fills what
  // `request` leaves empty from version `request.launch_template_version` of template
  // `request.launch_template` — image, instance type, user data, sysctls not set, and tags whose keys it
  // lacks. NotFound for an unknown template or version.
  Status ApplyTo(RunRequest& request) const;

  // Resolves "$Latest", "$Default" or a number to a version of the template.
  Result<LaunchTemplateVersion> ResolveVersion(const std::string& id_or_name, const std::string& version) const;

  // True when a version of any template launches `image_id` (DeregisterImage can refuse then).
  bool UsesImage(const std::string& image_id) const;

 private:
  Status Validate(LaunchTemplateData& data) const;
  const LaunchTemplate* FindLocked(const std::string& id_or_name) const;  // requires mu_
  Status Persist(const LaunchTemplate& lt);                              // requires mu_

  Store* store_;
  LaunchTemplateOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, LaunchTemplate> templates_;  // by id; GUARDED_BY(mu_)
  std::vector<InUseCheck> in_use_;                   // GUARDED_BY(mu_)
};

// Parses "$Latest" | "$Default" | "N" against a template; InvalidArgument / NotFound as EC2.
Result<int64_t> VersionNumber(const LaunchTemplate& lt, const std::string& version);

}  // namespace stratus::scaling
