#include "common/error_codes.h"

#include <iterator>

namespace stratus {

namespace {

// One row of the table in error_codes.h: a Status code's generic error code in each vocabulary.
struct ErrorCodes {
  Code code;
  const char* native;
  const char* ec2;
  const char* query;
  const char* monitoring;
};

constexpr ErrorCodes kErrorCodes[] = {
    {Code::kInvalidArgument, "InvalidParameterValue", "InvalidParameterValue", "ValidationError",
     "InvalidParameterValue"},
    {Code::kNotFound, "NotFound", "InvalidParameterValue", "ValidationError", "ResourceNotFound"},
    {Code::kAlreadyExists, "AlreadyExists", "InvalidParameterValue", "AlreadyExists", "AlreadyExists"},
    {Code::kFailedPrecondition, "IncorrectState", "IncorrectState", "ResourceInUse", "ResourceInUse"},
    {Code::kConflict, "ResourceContention", "ResourceContention", "ResourceContention", "ResourceContention"},
    {Code::kResourceExhausted, "LimitExceeded", "InstanceLimitExceeded", "LimitExceeded", "LimitExceeded"},
    {Code::kUnauthenticated, "AuthFailure", "AuthFailure", "AuthFailure", "AuthFailure"},
    {Code::kPermissionDenied, "UnauthorizedOperation", "UnauthorizedOperation", "AccessDenied", "AccessDenied"},
    {Code::kUnavailable, "ServiceUnavailable", "ServiceUnavailable", "ServiceUnavailable", "ServiceUnavailable"},
    {Code::kInternal, "InternalError", "InternalError", "InternalFailure", "InternalFailure"},
};

const ErrorCodes& RowOf(Code code) {
  for (const ErrorCodes& row : kErrorCodes) {
    if (row.code == code) return row;
  }
  return kErrorCodes[std::size(kErrorCodes) - 1];  // Ok (not an error) reads as Internal
}

}  // namespace

std::string AwsErrorCode(const Status& status, const std::string& vocabulary) {
  if (!status.error_code().empty()) return status.error_code();
  const ErrorCodes& row = RowOf(status.code());
  if (vocabulary == kNativeApi) return row.native;
  if (vocabulary == "ec2") return row.ec2;
  if (vocabulary == "monitoring") return row.monitoring;
  return row.query;
}

}  // namespace stratus
