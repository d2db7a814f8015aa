// Reading the JSON bodies of the native REST API: one body parser for every route file (the field reader,
// ReadJsonField, is common/json_field.h). Each route file passes the error code its failures carry.
#pragma once

#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/json_field.h"
#include "common/status.h"

namespace stratus {

// The request body as a JSON object ({} when the body is empty). InvalidArgument "the request body is not a JSON
// object" with `error_code` when it is not JSON or not an object.
Result<nlohmann::json> JsonObjectBody(const httplib::Request& req, const std::string& error_code);

}  // namespace stratus
