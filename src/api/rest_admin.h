// REST routes for the operator (docs/api.md, "Admin"): GET /v1/admin/backup (an online copy of the state store)
// and GET /v1/admin/df (what uses the state dir's disk).
#pragma once

#include <functional>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "store/store.h"

namespace stratus {

struct AdminServices {
  Store* store = nullptr;
  std::string state_dir;     // backups are staged here before they are sent
  std::string installation;  // --name, which the backup carries
  int schema_version = 0;
  std::function<Result<nlohmann::json>()> disk_usage;  // the df report
};

void MountAdminRoutes(httplib::Server& server, AdminServices services);

}  // namespace stratus
