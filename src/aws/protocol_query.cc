#include "aws/protocol_query.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include "aws/shape_values.h"

namespace stratus::aws {

using nlohmann::json;

namespace {

// The form parameters as a tree: "Filter.1.Value.2=x" is Filter -> 1 -> Value -> 2 with value x.
struct ParamNode {
  std::optional<std::string> value;
  std::map<std::string, ParamNode> children;
};

using DecodeResult = std::variant<json, AwsError>;

class QueryDecoder {
 public:
  QueryDecoder(const ServiceModel& service, Protocol protocol) : service_(service), protocol_(protocol) {}

  DecodeResult Decode(const ShapeRef& ref, const ParamNode& node, const std::string& path, int depth) const {
    if (depth > kMaxNestingDepth) return InvalidParameterError(service_, path, "nested too deeply");
    switch (ref.shape->type) {
      case ShapeType::kStructure: return DecodeStructure(*ref.shape, node, path, depth);
      case ShapeType::kList: return DecodeList(ref, node, path, depth);
      case ShapeType::kMap: return DecodeMap(ref, node, path, depth);
      default: break;
    }
    if (!node.value) return InvalidParameterError(service_, path, "a value is required, not nested parameters");
    auto scalar = ScalarFromString(ref, *node.value);
    if (auto* why = std::get_if<std::string>(&scalar)) {
      return InvalidParameterError(service_, path, "Value (" + node.value->substr(0, 64) + ") is invalid. " + *why);
    }
    return std::get<json>(std::move(scalar));
  }

  DecodeResult DecodeStructure(const Shape& shape, const ParamNode& node, const std::string& path, int depth) const {
    json out = json::object();
    for (const Member& m : shape.members) {
      auto it = node.children.find(MemberKey(m));
      if (it == node.children.end()) continue;
      std::string child_path = path.empty() ? it->first : path + "." + it->first;
      DecodeResult r = Decode(m.ref, it->second, child_path, depth + 1);
      if (std::holds_alternative<AwsError>(r)) return r;
      out[m.name] = std::get<json>(std::move(r));
    }
    return out;
  }

  DecodeResult DecodeList(const ShapeRef& ref, const ParamNode& node, const std::string& path, int depth) const {
    const Shape& shape = *ref.shape;
    const ParamNode* items = &node;
    std::string items_path = path;
    if (protocol_ == Protocol::kQuery && !(ref.flattened || shape.flattened)) {
      std::string name = shape.member.location_name.empty() ? "member" : shape.member.location_name;
      auto it = node.children.find(name);
      if (it == node.children.end()) return json::array();  // "Name=" is how the query protocol sends []
      items = &it->second;
      items_path = path + "." + name;
    }
    json out = json::array();
    for (const auto& [index, child] : Numbered(*items)) {
      DecodeResult r = Decode(shape.member, *child, items_path + "." + std::to_string(index), depth + 1);
      if (std::holds_alternative<AwsError>(r)) return r;
      out.push_back(std::get<json>(std::move(r)));
    }
    return out;
  }

  DecodeResult DecodeMap(const ShapeRef& ref, const ParamNode& node, const std::string& path, int depth) const {
    const Shape& shape = *ref.shape;
    const ParamNode* entries = &node;
    if (!(ref.flattened || shape.flattened)) {
      auto it = node.children.find("entry");
      if (it == node.children.end()) return json::object();
      entries = &it->second;
    }
    std::string key_name = shape.key.location_name.empty() ? "key" : shape.key.location_name;
    std::string value_name = shape.value.location_name.empty() ? "value" : shape.value.location_name;
    json out = json::object();
    for (const auto& [index, entry] : Numbered(*entries)) {
      std::string entry_path = path + ".entry." + std::to_string(index);
      auto k = entry->children.find(key_name);
      auto v = entry->children.find(value_name);
      if (k == entry->children.end() || !k->second.value) return MissingParameterError(service_, entry_path + "." + key_name);
      if (!IsValidUtf8(*k->second.value)) return InvalidParameterError(service_, entry_path, "key must be valid UTF-8");
      if (v == entry->children.end()) return MissingParameterError(service_, entry_path + "." + value_name);
      DecodeResult r = Decode(shape.value, v->second, entry_path + "." + value_name, depth + 1);
      if (std::holds_alternative<AwsError>(r)) return r;
      out[*k->second.value] = std::get<json>(std::move(r));
    }
    return out;
  }

 private:
  // The input key of a structure member.
  std::string MemberKey(const Member& m) const {
    const ShapeRef& ref = m.ref;
    if (protocol_ == Protocol::kEc2) {
      if (!ref.query_name.empty()) return ref.query_name;
      if (!ref.location_name.empty()) {
        std::string name = ref.location_name;
        name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
        return name;
      }
      return m.name;
    }
    if (ref.shape->type == ShapeType::kList && (ref.flattened || ref.shape->flattened) &&
        !ref.shape->member.location_name.empty()) {
      return ref.shape->member.location_name;
    }
    return ref.location_name.empty() ? m.name : ref.location_name;
  }

  // The children named 1, 2, 3... in numeric order; other names are ignored.
  static std::vector<std::pair<size_t, const ParamNode*>> Numbered(const ParamNode& node) {
    std::vector<std::pair<size_t, const ParamNode*>> out;
    for (const auto& [name, child] : node.children) {
      if (name.empty() || name.size() > 6 || name[0] == '0') continue;
      if (!std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
      size_t index = std::stoul(name);
      if (index >= 1 && index <= kMaxListIndex) out.emplace_back(index, &child);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
  }

  const ServiceModel& service_;
  Protocol protocol_;
};

// ---- XML encoding ----

void Element(std::string* out, const std::string& name, const std::string& text) {
  *out += "<" + name + ">" + XmlEscape(text) + "</" + name + ">";
}

void EncodeValue(std::string* out, const ShapeRef& ref, const json& v, const std::string& name, int depth);

// The element name of a structure member (a flattened list takes its member's name).
std::string MemberElementName(const Member& m) {
  const ShapeRef& ref = m.ref;
  if (ref.shape->type == ShapeType::kList && (ref.flattened || ref.shape->flattened) &&
      !ref.shape->member.location_name.empty()) {
    return ref.shape->member.location_name;
  }
  return ref.location_name.empty() ? m.name : ref.location_name;
}

void EncodeMembers(std::string* out, const Shape& shape, const json& v, int depth) {
  if (!v.is_object()) return;
  for (const Member& m : shape.members) {
    auto it = v.find(m.name);
    if (it == v.end() || it->is_null()) continue;
    EncodeValue(out, m.ref, *it, MemberElementName(m), depth + 1);
  }
}

void EncodeList(std::string* out, const ShapeRef& ref, const json& v, const std::string& name, int depth) {
  if (!v.is_array()) return;
  const Shape& shape = *ref.shape;
  if (ref.flattened || shape.flattened) {
    for (const json& item : v) EncodeValue(out, shape.member, item, name, depth + 1);
    return;
  }
  std::string item_name = shape.member.location_name.empty() ? "member" : shape.member.location_name;
  *out += "<" + name + ">";
  for (const json& item : v) EncodeValue(out, shape.member, item, item_name, depth + 1);
  *out += "</" + name + ">";
}

void EncodeMap(std::string* out, const ShapeRef& ref, const json& v, const std::string& name, int depth) {
  if (!v.is_object()) return;
  const Shape& shape = *ref.shape;
  bool flat = ref.flattened || shape.flattened;
  std::string key_name = shape.key.location_name.empty() ? "key" : shape.key.location_name;
  std::string value_name = shape.value.location_name.empty() ? "value" : shape.value.location_name;
  if (!flat) *out += "<" + name + ">";
  for (auto it = v.begin(); it != v.end(); ++it) {
    *out += flat ? "<" + name + ">" : std::string("<entry>");
    Element(out, key_name, ToValidUtf8(it.key()));
    EncodeValue(out, shape.value, it.value(), value_name, depth + 1);
    *out += flat ? "</" + name + ">" : std::string("</entry>");
  }
  if (!flat) *out += "</" + name + ">";
}

void EncodeValue(std::string* out, const ShapeRef& ref, const json& v, const std::string& name, int depth) {
  if (depth > kMaxNestingDepth || v.is_null()) return;
  switch (ref.shape->type) {
    case ShapeType::kStructure:
      if (!v.is_object()) return;
      *out += "<" + name + ">";
      EncodeMembers(out, *ref.shape, v, depth);
      *out += "</" + name + ">";
      return;
    case ShapeType::kList: return EncodeList(out, ref, v, name, depth);
    case ShapeType::kMap: return EncodeMap(out, ref, v, name, depth);
    default: {
      std::optional<std::string> text = ScalarToXmlText(ref, v);
      if (text) Element(out, name, *text);
    }
  }
}

constexpr char kXmlDecl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

}  // namespace

std::variant<json, AwsError> DecodeQueryInput(const ServiceModel& service, const Operation& op,
                                              const QueryParams& params, Protocol protocol) {
  if (params.size() > kMaxQueryParams) {
    return InvalidParameterError(service, "(request)", "too many parameters (" + std::to_string(params.size()) + ")");
  }
  ParamNode root;
  for (const auto& [key, value] : params) {
    if (key == "Action" || key == "Version") continue;
    ParamNode* node = &root;
    size_t pos = 0;
    int segments = 0;
    while (true) {
      size_t dot = key.find('.', pos);
      node = &node->children[key.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos)];
      if (++segments > 3 * kMaxNestingDepth) return InvalidParameterError(service, key.substr(0, 128), "nested too deeply");
      if (dot == std::string::npos) break;
      pos = dot + 1;
    }
    node->value = value;
  }
  if (op.input == nullptr) return json::object();
  QueryDecoder decoder(service, protocol);
  return decoder.DecodeStructure(*op.input, root, "", 0);
}

AwsResponse EncodeXmlResponse(const ServiceModel& service, const Operation& op, const json& output,
                              const std::string& request_id, Protocol protocol) {
  AwsResponse resp;
  resp.content_type = "text/xml";
  std::string& out = resp.body;
  std::string root = op.name + "Response";
  out = kXmlDecl;
  out += "<" + root + " xmlns=\"" + XmlEscape(service.xml_namespace()) + "\">";
  if (protocol == Protocol::kEc2) {
    Element(&out, "requestId", request_id);
    if (op.output != nullptr) {
      EncodeMembers(&out, *op.output, output, 0);
    } else {
      Element(&out, "return", "true");
    }
  } else {
    if (op.output != nullptr) {
      std::string wrapper = op.result_wrapper.empty() ? op.name + "Result" : op.result_wrapper;
      out += "<" + wrapper + ">";
      EncodeMembers(&out, *op.output, output, 0);
      out += "</" + wrapper + ">";
    }
    out += "<ResponseMetadata>";
    Element(&out, "RequestId", request_id);
    out += "</ResponseMetadata>";
  }
  out += "</" + root + ">";
  return resp;
}

AwsResponse EncodeXmlError(const std::string& xml_namespace, const AwsError& error, const std::string& request_id,
                           Protocol protocol) {
  AwsResponse resp;
  resp.status = error.http_status;
  resp.content_type = "text/xml";
  std::string& out = resp.body;
  out = kXmlDecl;
  if (protocol == Protocol::kEc2) {
    out += "<Response><Errors><Error>";
    Element(&out, "Code", ToValidUtf8(error.code));
    Element(&out, "Message", ToValidUtf8(error.message));
    out += "</Error></Errors>";
    Element(&out, "RequestID", request_id);
    out += "</Response>";
    return resp;
  }
  out += "<ErrorResponse xmlns=\"" + XmlEscape(xml_namespace) + "\"><Error>";
  Element(&out, "Type", error.http_status >= 500 ? "Receiver" : "Sender");
  Element(&out, "Code", ToValidUtf8(error.code));
  Element(&out, "Message", ToValidUtf8(error.message));
  out += "</Error>";
  Element(&out, "RequestId", request_id);
  out += "</ErrorResponse>";
  return resp;
}

}  // namespace stratus::aws
