#include "aws/protocol_json.h"

#include <cmath>
#include <limits>

#include "aws/shape_values.h"
#include "common/base64.h"

namespace stratus::aws {

using nlohmann::json;

namespace {

using Converted = std::variant<json, AwsError>;

class DocumentReader {
 public:
  DocumentReader(const ServiceModel& service, bool cbor) : service_(service), cbor_(cbor) {}

  Converted Read(const ShapeRef& ref, const json& v, const std::string& path, int depth) const {
    if (depth > kMaxNestingDepth) return Bad(path, "nested too deeply");
    const Shape& shape = *ref.shape;
    switch (shape.type) {
      case ShapeType::kStructure: return ReadStructure(shape, v, path, depth);
      case ShapeType::kList: {
        if (!v.is_array()) return Bad(path, "Member must be a list");
        json out = json::array();
        for (size_t i = 0; i < v.size(); ++i) {
          if (v[i].is_null()) continue;
          Converted r = Read(shape.member, v[i], path + "." + std::to_string(i + 1), depth + 1);
          if (std::holds_alternative<AwsError>(r)) return r;
          out.push_back(std::get<json>(std::move(r)));
        }
        return out;
      }
      case ShapeType::kMap: {
        if (!v.is_object()) return Bad(path, "Member must be a map");
        json out = json::object();
        for (auto it = v.begin(); it != v.end(); ++it) {
          if (it.value().is_null()) continue;
          Converted r = Read(shape.value, it.value(), path + "." + it.key(), depth + 1);
          if (std::holds_alternative<AwsError>(r)) return r;
          out[it.key()] = std::get<json>(std::move(r));
        }
        return out;
      }
      default: return ReadScalar(ref, v, path);
    }
  }

 private:
  Converted ReadStructure(const Shape& shape, const json& v, const std::string& path, int depth) const {
    if (!v.is_object()) return Bad(path, "Member must be a structure");
    json out = json::object();
    for (const Member& m : shape.members) {
      auto it = v.find(m.name);
      if (it == v.end() || it->is_null()) continue;
      Converted r = Read(m.ref, *it, path.empty() ? m.name : path + "." + m.name, depth + 1);
      if (std::holds_alternative<AwsError>(r)) return r;
      out[m.name] = std::get<json>(std::move(r));
    }
    if (shape.is_union && out.size() > 1) return Bad(path, "exactly one member of a union may be set");
    return out;
  }

  Converted ReadScalar(const ShapeRef& ref, const json& v, const std::string& path) const {
    switch (ref.shape->type) {
      case ShapeType::kString:
        if (!v.is_string() || !IsValidUtf8(v.get_ref<const std::string&>())) return Bad(path, "Member must be a string");
        return v;
      case ShapeType::kInteger:
      case ShapeType::kLong: {
        double d = v.is_number() ? v.get<double>() : NAN;
        if (!v.is_number() || d != std::floor(d)) return Bad(path, "Member must be an integer");
        if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())) {
          return Bad(path, "Member must be an integer");
        }
        long long i = v.is_number_float() ? static_cast<long long>(d) : v.get<long long>();
        if (ref.shape->type == ShapeType::kInteger &&
            (i < std::numeric_limits<int32_t>::min() || i > std::numeric_limits<int32_t>::max())) {
          return Bad(path, "Member must be a 32-bit integer");
        }
        return json(i);
      }
      case ShapeType::kFloat:
      case ShapeType::kDouble:
        if (v.is_number()) return json(v.get<double>());
        if (v == "NaN") return json(std::numeric_limits<double>::quiet_NaN());
        if (v == "Infinity") return json(std::numeric_limits<double>::infinity());
        if (v == "-Infinity") return json(-std::numeric_limits<double>::infinity());
        return Bad(path, "Member must be a number");
      case ShapeType::kBoolean:
        if (!v.is_boolean()) return Bad(path, "Member must be a boolean");
        return v;
      case ShapeType::kTimestamp: {
        auto t = TimestampSeconds(v);
        if (!t || !std::isfinite(*t)) return Bad(path, "Member must be a timestamp");
        return TimestampJson(*t);
      }
      case ShapeType::kBlob: {
        if (v.is_binary()) return v;
        if (!v.is_string()) return Bad(path, "Member must be a blob");
        auto bytes = Base64Decode(v.get_ref<const std::string&>(), Base64Decoding::kLenient);
        if (!bytes.ok()) return Bad(path, "Member must be base64-encoded");
        return json::binary(std::vector<uint8_t>(bytes->begin(), bytes->end()));
      }
      default: return Bad(path, "unsupported shape");
    }
  }

  AwsError Bad(const std::string& path, const std::string& why) const {
    return InvalidParameterError(service_, path.empty() ? "(body)" : path, why);
  }

  const ServiceModel& service_;
  [[maybe_unused]] bool cbor_;
};

// Neutral -> wire JSON: same names; timestamps as epoch numbers, blobs base64.
json WriteDocument(const ShapeRef& ref, const json& v, int depth) {
  if (depth > kMaxNestingDepth || v.is_null()) return json();
  const Shape& shape = *ref.shape;
  switch (shape.type) {
    case ShapeType::kStructure: {
      json out = json::object();
      if (!v.is_object()) return out;
      for (const Member& m : shape.members) {
        auto it = v.find(m.name);
        if (it == v.end() || it->is_null()) continue;
        json w = WriteDocument(m.ref, *it, depth + 1);
        if (!w.is_null()) out[m.name] = std::move(w);
      }
      return out;
    }
    case ShapeType::kList: {
      json out = json::array();
      for (size_t i = 0; v.is_array() && i < v.size(); ++i) {
        json w = WriteDocument(shape.member, v[i], depth + 1);
        if (!w.is_null()) out.push_back(std::move(w));
      }
      return out;
    }
    case ShapeType::kMap: {
      json out = json::object();
      for (auto it = v.begin(); v.is_object() && it != v.end(); ++it) {
        json w = WriteDocument(shape.value, it.value(), depth + 1);
        if (!w.is_null()) out[it.key()] = std::move(w);
      }
      return out;
    }
    case ShapeType::kTimestamp: {
      auto t = TimestampSeconds(v);
      return t ? TimestampJson(*t) : json();
    }
    case ShapeType::kBlob: {
      auto bytes = BlobBytes(v);
      return bytes ? json(Base64Encode(*bytes)) : json();
    }
    case ShapeType::kFloat:
    case ShapeType::kDouble:
      if (v.is_number() && std::isnan(v.get<double>())) return "NaN";
      if (v.is_number() && std::isinf(v.get<double>())) return v.get<double>() > 0 ? "Infinity" : "-Infinity";
      return v;
    default:
      return v;
  }
}

}  // namespace

Converted WireDocumentToNeutral(const ServiceModel& service, const ShapeRef& ref, const json& value,
                                const std::string& path, bool cbor) {
  return DocumentReader(service, cbor).Read(ref, value, path, 0);
}

Converted DecodeJsonInput(const ServiceModel& service, const Operation& op, std::string_view body) {
  if (op.input == nullptr) return json::object();
  json doc = json::object();
  if (!body.empty()) {
    doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return AwsError{"SerializationException", "request body is not valid JSON", 400};
  }
  ShapeRef ref;
  ref.shape = op.input;
  return WireDocumentToNeutral(service, ref, doc, "", /*cbor=*/false);
}

AwsResponse EncodeJsonResponse(const Operation& op, const json& output, const std::string& json_version) {
  AwsResponse resp;
  resp.content_type = "application/x-amz-json-" + json_version;
  if (op.output == nullptr) {
    resp.body = "{}";
    return resp;
  }
  ShapeRef ref;
  ref.shape = op.output;
  resp.body = WriteDocument(ref, output, 0).dump(-1, ' ', false, json::error_handler_t::replace);
  return resp;
}

AwsResponse EncodeJsonError(const AwsError& error, bool query_compatible, const std::string& json_version) {
  AwsResponse resp;
  resp.status = error.http_status;
  resp.content_type = "application/x-amz-json-" + json_version;
  json body = {{"__type", error.code}, {"message", error.message}};
  resp.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  if (query_compatible) {
    resp.headers.emplace("x-amzn-query-error", error.code + (error.http_status >= 500 ? ";Receiver" : ";Sender"));
  }
  return resp;
}

}  // namespace stratus::aws
