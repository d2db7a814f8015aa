// A fallback from Stratus Status codes to AWS error codes, for service-layer failures that have no more specific
// AWS code. Where AWS has one, the handler should return it itself ("InvalidInstanceID.NotFound",
// "LoadBalancerNotFound", "IncorrectInstanceState", ...): SDK waiters and scripts match on those exact codes.
#pragma once

#include <string>

#include "aws/types.h"
#include "common/status.h"

namespace stratus::aws {

// Maps a non-ok `status` to the generic AWS error of `service` (ec2, elasticloadbalancing, autoscaling,
// monitoring), keeping its message:
//   InvalidArgument   -> InvalidParameterValue (ec2, monitoring) / ValidationError (elbv2, autoscaling), 400
//   NotFound          -> InvalidParameterValue / ValidationError, 400; monitoring ResourceNotFound, 404
//   AlreadyExists     -> AlreadyExists, 400 (ec2: InvalidParameterValue)
//   FailedPrecondition-> IncorrectState (ec2) / ValidationError, 400
//   Conflict          -> ResourceContention, 400
//   ResourceExhausted -> LimitExceeded, 400 (ec2: ResourceLimitExceeded)
//   Unauthenticated   -> AuthFailure (ec2, 401) / InvalidClientTokenId, 403
//   PermissionDenied  -> UnauthorizedOperation (ec2) / AccessDenied, 403
//   Unavailable       -> ServiceUnavailable, 503;  Internal -> InternalError (ec2) / InternalFailure, 500
AwsError AwsErrorFromStatus(const Status& status, const std::string& service);

}  // namespace stratus::aws
