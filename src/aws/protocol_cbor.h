// Smithy RPC v2 CBOR: POST /service/<ServiceName>/operation/<Operation>, smithy-protocol: rpc-v2-cbor,
// Content-Type application/cbor. Newer botocore (1.36+) speaks it to CloudWatch.
// The CBOR reader and writer are our own: bounded nesting, tag 1 (epoch timestamps) on output, byte strings for
// blobs, and no recursion a hostile body can drive deep.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "aws/model.h"
#include "aws/types.h"

namespace stratus::aws {

// Decodes one CBOR data item into json (byte strings -> binary, tags dropped keeping their content, undefined ->
// null). Fails with InvalidArgument on malformed or trailing data, non-text map keys, or nesting deeper than 64.
Result<nlohmann::json> CborToJson(std::string_view bytes);

// Parses an RPC v2 CBOR request body (empty means {}) into the neutral input of `op`.
std::variant<nlohmann::json, AwsError> DecodeCborInput(const ServiceModel& service, const Operation& op,
                                                       std::string_view body);

// Encodes neutral `value` of shape `ref` as CBOR, appending to `out`.
void EncodeCborValue(const ShapeRef& ref, const nlohmann::json& value, std::string* out);

// Encodes `output` as the RPC v2 CBOR response of `op`.
AwsResponse EncodeCborResponse(const Operation& op, const nlohmann::json& output);

// Encodes an error as the CBOR map {"__type": code, "message": ...}; query-compatible services also get
// x-amzn-query-error.
AwsResponse EncodeCborError(const AwsError& error, bool query_compatible);

}  // namespace stratus::aws
