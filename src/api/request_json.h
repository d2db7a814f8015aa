// Reading the JSON bodies of the native REST API: one body parser and one field reader for every route file.
// Each route file passes the error code its failures carry (MalformedRequest, ValidationError, ...).
#pragma once

#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/status.h"

namespace stratus {

// The request body as a JSON object ({} when the body is empty). InvalidArgument "the request body is not a JSON
// object" with `error_code` when it is not JSON or not an object.
Result<nlohmann::json> JsonObjectBody(const httplib::Request& req, const std::string& error_code);

// Reads member `name` of `body` into `out` when it is present and not null; otherwise leaves `out` as it is.
// InvalidArgument "field NAME has the wrong type" with `error_code` when its JSON type does not convert to T.
template <typename T>
Status ReadJsonField(const nlohmann::json& body, const char* name, T& out, const std::string& error_code) {
  if (!body.contains(name) || body[name].is_null()) return Status::Ok();
  try {
    out = body[name].get<T>();
    return Status::Ok();
  } catch (const nlohmann::json::exception&) {
    return InvalidArgument(std::string("field ") + name + " has the wrong type").WithErrorCode(error_code);
  }
}

}  // namespace stratus
