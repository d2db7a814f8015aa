#include "api/http_errors.h"

#include "common/error_codes.h"

namespace stratus {

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kNotFound: return 404;
    case Code::kAlreadyExists:
    case Code::kFailedPrecondition:
    case Code::kConflict: return 409;
    case Code::kResourceExhausted: return 400;
    case Code::kUnauthenticated: return 401;
    case Code::kPermissionDenied: return 403;
    case Code::kUnavailable: return 503;
    case Code::kInternal: return 500;
  }
  return 500;
}

std::string ApiErrorCode(const Status& status) { return AwsErrorCode(status, kNativeApi); }

nlohmann::json ErrorBody(const Status& status) {
  return {{"Error", {{"Code", ApiErrorCode(status)}, {"Message", status.message()}}}};
}

}  // namespace stratus
