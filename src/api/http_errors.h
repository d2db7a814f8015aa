// Mapping from Status to HTTP and to the native API's error body.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace stratus {

// HTTP status for a failed Status: InvalidArgument 400, NotFound 404, AlreadyExists/FailedPrecondition/
// Conflict 409, ResourceExhausted 400 (a limit, as AWS answers), Unauthenticated 401, PermissionDenied 403,
// Unavailable 503, Internal 500.
int HttpStatusFor(const Status& status);

// The API error code: the Status's error_code() when set, else the native column of common/error_codes.h's table
// (NotFound, InvalidParameterValue, IncorrectState, ...).
std::string ApiErrorCode(const Status& status);

// {"Error": {"Code": ..., "Message": ...}}
nlohmann::json ErrorBody(const Status& status);

}  // namespace stratus
