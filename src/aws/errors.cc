#include "aws/errors.h"

namespace stratus::aws {

AwsError AwsErrorFromStatus(const Status& status, const std::string& service) {
  const bool ec2 = service == "ec2";
  const bool validation = service == "elasticloadbalancing" || service == "autoscaling";
  const std::string invalid = validation ? "ValidationError" : "InvalidParameterValue";
  const std::string& m = status.message();
  switch (status.code()) {
    case Code::kOk:
    case Code::kInternal: return {ec2 ? "InternalError" : "InternalFailure", m, 500};
    case Code::kInvalidArgument: return {invalid, m, 400};
    case Code::kNotFound:
      if (service == "monitoring") return {"ResourceNotFound", m, 404};
      return {invalid, m, 400};
    case Code::kAlreadyExists: return {ec2 ? "InvalidParameterValue" : "AlreadyExists", m, 400};
    case Code::kFailedPrecondition: return {ec2 ? "IncorrectState" : invalid, m, 400};
    case Code::kConflict: return {"ResourceContention", m, 400};
    case Code::kResourceExhausted: return {ec2 ? "ResourceLimitExceeded" : "LimitExceeded", m, 400};
    case Code::kUnauthenticated:
      if (ec2) return {"AuthFailure", m, 401};
      return {"InvalidClientTokenId", m, 403};
    case Code::kPermissionDenied: return {ec2 ? "UnauthorizedOperation" : "AccessDenied", m, 403};
    case Code::kUnavailable: return {"ServiceUnavailable", m, 503};
  }
  return {"InternalFailure", m, 500};
}

}  // namespace stratus::aws
