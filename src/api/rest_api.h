// RestApi: the native REST/JSON API of docs/api.md, served by cpp-httplib, over the service layer.
#pragma once

#include <string>
#include <vector>

#include <httplib.h>

#include "compute/instance_service.h"
#include "compute/instance_types.h"
#include "image/image_store.h"
#include "net/vpc.h"

namespace stratus {

struct RestServices {
  InstanceService* instances = nullptr;
  ImageStore* images = nullptr;
  const InstanceTypeTable* types = nullptr;
  VpcInfo vpc;
  std::string name;     // the daemon's --name
  std::string version;
  std::string state_dir;  // the daemon's state directory (host capacity: its file system's disk)
};

class RestApi {
 public:
  explicit RestApi(RestServices services);

  // Registers every route of docs/api.md on `server`.
  void Mount(httplib::Server& server);

 private:
  void MountImages(httplib::Server& server);
  void MountInstances(httplib::Server& server);
  void MountInstanceActions(httplib::Server& server);
  void MountHost(httplib::Server& server);
  // An image as the API shows it: its record plus SizeBytes and LayerSizes (ImageStore::ImageSizes).
  nlohmann::json ImageJson(const Image& image) const;

  RestServices s_;
};

// Parses "K=V" filter strings ("state=running", "tag:Name=web") into instance filters;
// InvalidArgument for a malformed one.
Result<std::vector<InstanceFilter>> ParseFilterParams(const std::vector<std::string>& params);

// Every value of query parameter `name`, read from the raw target: a value may hold '=' unescaped
// ("filter=tag:Name=web"), which httplib's own parsing splits apart.
std::vector<std::string> QueryValues(const httplib::Request& req, const std::string& name);

// Writes `result` (or its error, with the matching HTTP status) as JSON into `res`.
void ReplyJson(httplib::Response& res, const Result<nlohmann::json>& result);

// Writes {} when `status` is ok (a delete or an action that returns nothing), else its error as ReplyJson does.
void ReplyStatus(httplib::Response& res, const Status& status);

}  // namespace stratus
