// The one table from Stratus Status codes to AWS-style error codes, for every front end: the AWS endpoint's four
// services and the native REST API (which answers EC2-like codes in {"Error": {"Code", "Message"}}).
// It is a fallback for failures whose Status carries no error_code(). Where AWS has a more specific code, the
// service layer sets it itself ("InvalidInstanceID.NotFound", "LoadBalancerNotFound", "IncorrectInstanceState",
// ...): SDK waiters and scripts match on those exact codes.
#pragma once

#include <string>

#include "common/status.h"

namespace stratus {

// The vocabulary name of the native REST API, for AwsErrorCode.
inline constexpr char kNativeApi[] = "stratus";

// The error code for a failed `status`: its error_code() when set, otherwise the generic code of `vocabulary`:
// "ec2", "monitoring" (CloudWatch), kNativeApi, or any other name for the query services (elasticloadbalancing,
// autoscaling).
//                       native               ec2                    elbv2/autoscaling   monitoring
//   InvalidArgument     InvalidParameterValue InvalidParameterValue ValidationError     InvalidParameterValue
//   NotFound            NotFound             InvalidParameterValue  ValidationError     ResourceNotFound
//   AlreadyExists       AlreadyExists        InvalidParameterValue  AlreadyExists       AlreadyExists
//   FailedPrecondition  IncorrectState       IncorrectState         ResourceInUse       ResourceInUse
//   Conflict            ResourceContention (all)
//   ResourceExhausted   LimitExceeded        InstanceLimitExceeded  LimitExceeded       LimitExceeded
//   Unauthenticated     AuthFailure (all)
//   PermissionDenied    UnauthorizedOperation UnauthorizedOperation AccessDenied       AccessDenied
//   Unavailable         ServiceUnavailable (all)
//   Internal (and Ok)   InternalError        InternalError          InternalFailure     InternalFailure
std::string AwsErrorCode(const Status& status, const std::string& vocabulary);

}  // namespace stratus
