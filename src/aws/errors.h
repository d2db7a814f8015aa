// AWS errors from Statuses, for the AWS endpoint's services (the code table itself is common/error_codes.h,
// shared with the native REST API).
#pragma once

#include <string>

#include "aws/types.h"
#include "common/error_codes.h"
#include "common/status.h"

namespace stratus::aws {

// The AWS error of the AWS `service` for a failed `status`: AwsErrorCode(status, service), the Status's message,
// and HTTP 503 for Unavailable, 500 for Internal, 403 for Unauthenticated and PermissionDenied, 400 otherwise
// (AWS answers ResourceContention and ScalingActivityInProgress with 400s that clients may retry).
AwsError AwsErrorFromStatus(const Status& status, const std::string& service);

}  // namespace stratus::aws
