// Image: ordered, content-addressed layers plus the config every instance launched from it gets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/tags.h"
#include "init/init_config.h"  // ServiceSpec: what stratus-init supervises

namespace stratus {

struct HealthCheckSpec {
  std::string protocol = "HTTP";
  int port = 0;  // 0: the first of Ports
  std::string path = "/";
  std::string matcher = "200-399";
};

struct ImageConfig {
  std::vector<std::string> env;  // "K=V"
  std::vector<ServiceSpec> services;
  std::vector<int> ports;
  HealthCheckSpec health_check;
  std::vector<std::pair<std::string, std::string>> sysctls;
};

struct Image {
  std::string image_id;                // ami-…
  std::string name;                    // unique among images
  std::string state = "available";     // pending | available | failed
  std::string creation_date;           // ISO 8601
  std::string description;
  std::vector<std::string> layers;     // "sha256:<hex>", bottom first
  ImageConfig config;
  std::vector<Tag> tags;
  bool builtin = false;
};

// JSON with AWS-style names (ImageId, Name, State, CreationDate, Layers, ...), used by the store and the API.
nlohmann::json ToJson(const Image& image);
Result<Image> ImageFromJson(const nlohmann::json& j);

}  // namespace stratus
