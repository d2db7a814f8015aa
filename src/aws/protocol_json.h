// awsJson1_0 (X-Amz-Target: <targetPrefix>.<Operation>, Content-Type application/x-amz-json-1.0) and the document
// conversion it shares with Smithy RPC v2 CBOR: wire documents use the model's member names like the neutral form,
// but timestamps are epoch numbers and blobs base64 (JSON) or byte strings (CBOR).
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "aws/model.h"
#include "aws/types.h"

namespace stratus::aws {

// Converts a parsed wire document (JSON, or CBOR decoded to json with byte strings as binary) of shape `ref` to
// the neutral form, checking types. `cbor` selects how blobs arrive. Fails with the service's parameter error.
std::variant<nlohmann::json, AwsError> WireDocumentToNeutral(const ServiceModel& service, const ShapeRef& ref,
                                                             const nlohmann::json& value, const std::string& path,
                                                             bool cbor);

// Parses an awsJson1_0 request body (empty means {}) into the neutral input of `op`.
std::variant<nlohmann::json, AwsError> DecodeJsonInput(const ServiceModel& service, const Operation& op,
                                                       std::string_view body);

// Encodes `output` as the awsJson response of `op`; `json_version` is the model's jsonVersion (1.0 or 1.1), which
// names the content type.
AwsResponse EncodeJsonResponse(const Operation& op, const nlohmann::json& output, const std::string& json_version = "1.0");

// Encodes an error as {"__type": code, "message": ...}; query-compatible services also get x-amzn-query-error.
AwsResponse EncodeJsonError(const AwsError& error, bool query_compatible, const std::string& json_version = "1.0");

}  // namespace stratus::aws
