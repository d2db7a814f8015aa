// The two form-encoded protocols with XML responses, driven by the model:
//  - ec2:   lists as Name.N, input keys from queryName or the capitalized locationName, responses without a
//           Result wrapper, <item> lists, <requestId>; errors as <Response><Errors><Error>...
//  - query: lists as Name.member.N, maps as Name.entry.N.key/value, <OpResponse><OpResult>...<ResponseMetadata>;
//           errors as <ErrorResponse><Error><Type>Sender</Type>...
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "aws/model.h"
#include "aws/types.h"

namespace stratus::aws {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Decodes the form parameters of a request (Action and Version included; they are skipped) into the neutral input
// of `op`. `protocol` is kEc2 or kQuery. Fails with the service's InvalidParameterValue / ValidationError on a value
// of the wrong type. Required members are checked separately (ValidateInput).
std::variant<nlohmann::json, AwsError> DecodeQueryInput(const ServiceModel& service, const Operation& op,
                                                        const QueryParams& params, Protocol protocol);

// Encodes `output` (neutral JSON, may be null/empty) as the XML response of `op`.
AwsResponse EncodeXmlResponse(const ServiceModel& service, const Operation& op, const nlohmann::json& output,
                              const std::string& request_id, Protocol protocol);

// Encodes an error in the ec2 (`protocol` == kEc2) or query format, with error.http_status.
AwsResponse EncodeXmlError(const std::string& xml_namespace, const AwsError& error, const std::string& request_id,
                           Protocol protocol);

}  // namespace stratus::aws
