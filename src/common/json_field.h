// Reading members of JSON requests into typed values: one field reader for every front end and for the
// services' JSON forms of their requests. Each caller passes the error code its failures carry
// (ValidationError, InvalidParameterValue, ...).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace stratus {

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

// The same into an optional, which stays empty when the field is absent or null.
template <typename T>
Status ReadJsonField(const nlohmann::json& body, const char* name, std::optional<T>& out,
                     const std::string& error_code) {
  if (!body.contains(name) || body[name].is_null()) return Status::Ok();
  T value{};
  STRATUS_RETURN_IF_ERROR(ReadJsonField(body, name, value, error_code));
  out = std::move(value);
  return Status::Ok();
}

}  // namespace stratus
