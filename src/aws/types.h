// The protocol-neutral vocabulary of the AWS wire layer: an HTTP request/response, an AWS error, and the handler
// interface that the service layer implements.
//
// Inputs and outputs are nlohmann::json objects keyed by the model's member names ("InstanceIds", "MaxResults"):
//   structure -> object, list -> array, map -> object, string -> string, integer/long -> integer,
//   float/double -> number, boolean -> bool,
//   timestamp -> number of seconds since the epoch (outputs may also give an ISO 8601 string),
//   blob -> json::binary with the raw bytes (outputs may also give a string of raw bytes).
// Every protocol decodes into and encodes from exactly this form, so the service layer never sees the wire.
#pragma once

#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "aws/wire.h"

namespace stratus::aws {

struct AwsRequest {
  std::string method;  // "GET", "POST"
  std::string path;    // raw (still percent-encoded) path, e.g. "/" or "/service/X/operation/Y"
  std::string query;   // raw query string without '?'
  Headers headers;     // case-insensitive names
  std::string body;
};

struct AwsResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  Headers headers;  // extra headers (x-amzn-RequestId, smithy-protocol, x-amzn-query-error)
};

// An error in AWS's terms. 4xx codes tell clients not to retry; use 5xx only for internal failures
// (InternalFailure, ServiceUnavailable) and 503/429-style throttling (Throttling, RequestLimitExceeded).
struct AwsError {
  std::string code;     // "InvalidInstanceID.NotFound", "ValidationError", "LoadBalancerNotFound"
  std::string message;  // what the user reads
  int http_status = 400;
};

// Who is calling and where; passed to every handler call.
struct AwsCallContext {
  std::string request_id;     // also sent back to the client (RequestId / requestId / x-amzn-RequestId)
  std::string region;         // the SigV4 credential scope's region
  std::string account_id;     // from the endpoint options
  std::string access_key_id;  // the verified signer
  std::string protocol;       // "ec2", "query", "json" or "cbor": for logs only, never for behaviour
};

// The service layer, as the wire layer sees it. One call per AWS operation.
class AwsHandler {
 public:
  virtual ~AwsHandler() = default;

  // Runs `operation` of `service` ("ec2", "elasticloadbalancing", "autoscaling", "monitoring") with `input`
  // (validated against the model: required members present, types right). Returns the output object (model member
  // names; members the model does not know are ignored) or an AwsError. Must not throw.
  virtual std::variant<nlohmann::json, AwsError> Call(const std::string& service, const std::string& operation,
                                                      const nlohmann::json& input, const AwsCallContext& ctx) = 0;
};

}  // namespace stratus::aws
