#include "aws/shape_values.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "common/base64.h"

namespace stratus::aws {

using nlohmann::json;

namespace {

// ec2 and monitoring name parameter errors MissingParameter / InvalidParameterValue; the query services that grew
// up on the Coral framework (ELBv2, Auto Scaling) say ValidationError.
bool UsesValidationError(const ServiceModel& service) {
  return service.signing_name() == "elasticloadbalancing" || service.signing_name() == "autoscaling";
}

std::string LowerCamelPath(const std::string& path) {
  std::string out = path;
  bool start = true;
  for (char& c : out) {
    if (start) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    start = c == '.';
  }
  return out;
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string FormatBound(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  return std::to_string(v);
}

std::optional<AwsError> CheckBounds(const ServiceModel& service, const Shape& shape, const json& v,
                                    const std::string& path) {
  double measure;
  const char* what;
  switch (shape.type) {
    case ShapeType::kString:
      if (!v.is_string()) return std::nullopt;
      measure = static_cast<double>(Utf8Length(v.get_ref<const std::string&>()));
      what = "length";
      break;
    case ShapeType::kList:
      measure = static_cast<double>(v.size());
      what = "number of items";
      break;
    case ShapeType::kBlob:
      if (!v.is_binary()) return std::nullopt;
      measure = static_cast<double>(v.get_binary().size());
      what = "length";
      break;
    case ShapeType::kInteger:
    case ShapeType::kLong:
    case ShapeType::kFloat:
    case ShapeType::kDouble:
      if (!v.is_number()) return std::nullopt;
      measure = v.get<double>();
      what = "value";
      break;
    default:
      return std::nullopt;
  }
  if (shape.min && measure < *shape.min) {
    return InvalidParameterError(service, path, std::string("Member must have ") + what + " greater than or equal to " +
                                                    FormatBound(*shape.min));
  }
  if (shape.max && measure > *shape.max) {
    return InvalidParameterError(service, path, std::string("Member must have ") + what + " less than or equal to " +
                                                    FormatBound(*shape.max));
  }
  return std::nullopt;
}

std::optional<AwsError> ValidateValue(const ServiceModel& service, const Shape& shape, const json& v,
                                      const std::string& path, int depth) {
  if (depth > kMaxNestingDepth) return InvalidParameterError(service, path, "nested too deeply");
  if (auto err = CheckBounds(service, shape, v, path)) return err;
  switch (shape.type) {
    case ShapeType::kStructure:
      if (!v.is_object()) return std::nullopt;
      for (const Member& m : shape.members) {
        std::string child = path.empty() ? m.name : path + "." + m.name;
        auto it = v.find(m.name);
        if (it == v.end() || it->is_null()) {
          if (m.required) return MissingParameterError(service, child);
          continue;
        }
        if (auto err = ValidateValue(service, *m.ref.shape, *it, child, depth + 1)) return err;
      }
      return std::nullopt;
    case ShapeType::kList:
      for (size_t i = 0; v.is_array() && i < v.size(); ++i) {
        if (auto err = ValidateValue(service, *shape.member.shape, v[i], path + "." + std::to_string(i + 1), depth + 1)) {
          return err;
        }
      }
      return std::nullopt;
    case ShapeType::kMap:
      for (auto it = v.begin(); v.is_object() && it != v.end(); ++it) {
        if (auto err = ValidateValue(service, *shape.value.shape, it.value(), path + "." + it.key(), depth + 1)) {
          return err;
        }
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

}  // namespace

AwsError MissingParameterError(const ServiceModel& service, const std::string& path) {
  if (UsesValidationError(service)) {
    return AwsError{"ValidationError", "1 validation error detected: Value null at '" + LowerCamelPath(path) +
                                           "' failed to satisfy constraint: Member must not be null", 400};
  }
  if (service.signing_name() == "ec2") {
    return AwsError{"MissingParameter", "The request must contain the parameter " + path, 400};
  }
  return AwsError{"MissingParameter", "The parameter " + path + " is required.", 400};
}

AwsError InvalidParameterError(const ServiceModel& service, const std::string& path, const std::string& detail) {
  if (UsesValidationError(service)) {
    return AwsError{"ValidationError", "1 validation error detected: Value at '" + LowerCamelPath(path) +
                                           "' failed to satisfy constraint: " + detail, 400};
  }
  return AwsError{"InvalidParameterValue", "Invalid value for parameter " + path + ": " + detail, 400};
}

std::variant<json, std::string> ScalarFromString(const ShapeRef& ref, std::string_view text) {
  std::string s(text);
  switch (ref.shape->type) {
    case ShapeType::kString:
      if (!IsValidUtf8(s)) return std::string("Member must be valid UTF-8");
      return json(std::move(s));
    case ShapeType::kInteger:
    case ShapeType::kLong: {
      char* end = nullptr;
      errno = 0;
      long long v = std::strtoll(s.c_str(), &end, 10);
      bool whole = !s.empty() && end == s.c_str() + s.size() && errno == 0 && !std::isspace(static_cast<unsigned char>(s[0]));
      bool fits = ref.shape->type == ShapeType::kLong ||
                  (v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max());
      if (!whole || !fits) return std::string("Member must be an integer");
      return json(v);
    }
    case ShapeType::kFloat:
    case ShapeType::kDouble: {
      char* end = nullptr;
      double v = std::strtod(s.c_str(), &end);
      if (s.empty() || end != s.c_str() + s.size() || std::isspace(static_cast<unsigned char>(s[0])) || !std::isfinite(v)) {
        return std::string("Member must be a number");
      }
      return json(v);
    }
    case ShapeType::kBoolean:
      if (s == "true" || s == "True" || s == "TRUE") return json(true);
      if (s == "false" || s == "False" || s == "FALSE") return json(false);
      return std::string("Member must be a boolean (true or false)");
    case ShapeType::kTimestamp: {
      auto t = ParseTimestamp(s);
      if (!t.ok()) return std::string("Member must be a timestamp (ISO 8601 or seconds since the epoch)");
      return TimestampJson(*t);
    }
    case ShapeType::kBlob: {
      auto bytes = Base64Decode(s, Base64Decoding::kLenient);
      if (!bytes.ok()) return std::string("Member must be base64-encoded");
      return json::binary(std::vector<uint8_t>(bytes->begin(), bytes->end()));
    }
    default:
      return std::string("Member must be a structure, list or map");
  }
}

std::optional<double> TimestampSeconds(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    auto t = ParseTimestamp(v.get_ref<const std::string&>());
    if (t.ok()) return *t;
  }
  return std::nullopt;
}

json TimestampJson(double seconds) {
  if (seconds == std::floor(seconds) && std::fabs(seconds) < 9e15) return json(static_cast<long long>(seconds));
  return json(seconds);
}

std::optional<std::string> BlobBytes(const json& v) {
  if (v.is_binary()) return std::string(v.get_binary().begin(), v.get_binary().end());
  if (v.is_string()) return v.get<std::string>();
  return std::nullopt;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; }
    else return false;
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

std::string ToValidUtf8(std::string_view s) {
  if (IsValidUtf8(s)) return std::string(s);
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n != 0 && i + n <= s.size() && IsValidUtf8(s.substr(i, n))) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::optional<AwsError> ValidateInput(const ServiceModel& service, const Shape& shape, const json& input) {
  return ValidateValue(service, shape, input, "", 0);
}

std::optional<std::string> ScalarToXmlText(const ShapeRef& ref, const json& v) {
  switch (ref.shape->type) {
    case ShapeType::kString:
      if (v.is_string()) return ToValidUtf8(v.get_ref<const std::string&>());
      if (v.is_number() || v.is_boolean()) return v.dump();
      return std::nullopt;
    case ShapeType::kInteger:
    case ShapeType::kLong:
      if (v.is_number_integer()) return v.dump();
      if (v.is_number_float()) return std::to_string(static_cast<long long>(v.get<double>()));
      return std::nullopt;
    case ShapeType::kFloat:
    case ShapeType::kDouble:
      if (v.is_number()) return v.dump();
      return std::nullopt;
    case ShapeType::kBoolean:
      if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
      return std::nullopt;
    case ShapeType::kTimestamp: {
      auto t = TimestampSeconds(v);
      if (!t) return std::nullopt;
      if (ref.timestamp_format == "unixTimestamp") return TimestampJson(*t).dump();
      if (ref.timestamp_format == "rfc822") return FormatRfc822(*t);
      return FormatIso8601(*t);
    }
    case ShapeType::kBlob: {
      auto bytes = BlobBytes(v);
      if (!bytes) return std::nullopt;
      return Base64Encode(*bytes);
    }
    default:
      return std::nullopt;
  }
}

}  // namespace stratus::aws
