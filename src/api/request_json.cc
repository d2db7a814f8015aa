#include "api/request_json.h"

namespace stratus {

Result<nlohmann::json> JsonObjectBody(const httplib::Request& req, const std::string& error_code) {
  if (req.body.empty()) return nlohmann::json::object();
  nlohmann::json j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument("the request body is not a JSON object").WithErrorCode(error_code);
  }
  return j;
}

}  // namespace stratus
