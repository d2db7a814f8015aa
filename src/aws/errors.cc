#include "aws/errors.h"

namespace stratus::aws {

namespace {

int HttpStatusOf(Code code) {
  switch (code) {
    case Code::kUnavailable: return 503;
    case Code::kInternal: return 500;
    case Code::kUnauthenticated:
    case Code::kPermissionDenied: return 403;
    default: return 400;
  }
}

}  // namespace

AwsError AwsErrorFromStatus(const Status& status, const std::string& service) {
  return AwsError{AwsErrorCode(status, service), status.message(), HttpStatusOf(status.code())};
}

}  // namespace stratus::aws
