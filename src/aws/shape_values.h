// Shape-driven value handling shared by every protocol: scalar conversions, parameter errors in each service's
// style, and validation of a decoded input against its model (required members, types, bounds).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "aws/model.h"
#include "aws/types.h"

namespace stratus::aws {

// Limits that keep hostile input bounded (the decoders are fuzzed).
constexpr int kMaxNestingDepth = 32;
constexpr size_t kMaxQueryParams = 20000;
constexpr size_t kMaxListIndex = 100000;

// "MissingParameter" (ec2, monitoring) or "ValidationError" (elasticloadbalancing, autoscaling), with AWS's wording.
AwsError MissingParameterError(const ServiceModel& service, const std::string& path);
// "InvalidParameterValue" (ec2, monitoring) or "ValidationError", naming the parameter and what was wrong.
AwsError InvalidParameterError(const ServiceModel& service, const std::string& path, const std::string& detail);

// Converts a wire string (query protocols) to the neutral JSON value of scalar shape `ref`. On failure returns
// the reason ("expected an integer") for InvalidParameterError.
std::variant<nlohmann::json, std::string> ScalarFromString(const ShapeRef& ref, std::string_view text);

// Converts an output timestamp (number of epoch seconds or any string ParseTimestamp accepts) to epoch seconds.
std::optional<double> TimestampSeconds(const nlohmann::json& v);

// Makes the neutral JSON number for epoch seconds (an integer when whole).
nlohmann::json TimestampJson(double seconds);

// Raw bytes of an output blob (json::binary or string); nullopt for other types.
std::optional<std::string> BlobBytes(const nlohmann::json& v);

// True when `s` is well-formed UTF-8 (clients always send UTF-8; the service layer may rely on it).
bool IsValidUtf8(std::string_view s);

// Returns `s` with every invalid UTF-8 sequence replaced by U+FFFD (outputs must stay parseable by clients).
std::string ToValidUtf8(std::string_view s);

// Checks `input` against structure `shape`: required members present, bounds (min/max length or value) respected.
// Types were already checked by the decoder. Returns the first violation.
std::optional<AwsError> ValidateInput(const ServiceModel& service, const Shape& shape, const nlohmann::json& input);

// Converts the neutral output value to a wire string for the XML protocols (timestamps per `ref`'s format,
// ISO 8601 by default; blobs base64; booleans "true"/"false"). Returns nullopt when `v` does not fit the shape.
std::optional<std::string> ScalarToXmlText(const ShapeRef& ref, const nlohmann::json& v);

}  // namespace stratus::aws
