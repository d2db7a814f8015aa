#include "aws/model.h"

#include "aws/model_data.h"

namespace stratus::aws {

using json = nlohmann::ordered_json;

const Member* Shape::FindMember(const std::string& member_name) const {
  for (const Member& m : members) {
    if (m.name == member_name) return &m;
  }
  return nullptr;
}

namespace {

Result<ShapeType> ParseType(const std::string& t) {
  static const std::map<std::string, ShapeType> kTypes = {
      {"structure", ShapeType::kStructure}, {"list", ShapeType::kList},       {"map", ShapeType::kMap},
      {"string", ShapeType::kString},       {"integer", ShapeType::kInteger}, {"long", ShapeType::kLong},
      {"float", ShapeType::kFloat},         {"double", ShapeType::kDouble},   {"boolean", ShapeType::kBoolean},
      {"timestamp", ShapeType::kTimestamp}, {"blob", ShapeType::kBlob},
  };
  auto it = kTypes.find(t);
  if (it == kTypes.end()) return InvalidArgument("unknown shape type " + t);
  return it->second;
}

Result<Protocol> ParseProtocol(const std::string& p) {
  if (p == "ec2") return Protocol::kEc2;
  if (p == "query") return Protocol::kQuery;
  if (p == "json") return Protocol::kJson;
  if (p == "smithy-rpc-v2-cbor") return Protocol::kCbor;
  return InvalidArgument("unsupported protocol " + p);
}

std::string StringOr(const json& obj, const char* key, const std::string& fallback = "") {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

}  // namespace

Result<std::unique_ptr<ServiceModel>> ServiceModel::Parse(const json& doc) {
  if (!doc.is_object() || !doc.contains("metadata") || !doc.contains("shapes") || !doc.contains("operations")) {
    return InvalidArgument("not a service-2.json model");
  }
  auto model = std::make_unique<ServiceModel>();
  const json& meta = doc["metadata"];
  model->signing_name_ = StringOr(meta, "signingName", StringOr(meta, "endpointPrefix"));
  model->api_version_ = StringOr(meta, "apiVersion");
  model->xml_namespace_ = StringOr(meta, "xmlNamespace");
  model->target_prefix_ = StringOr(meta, "targetPrefix");
  model->json_version_ = StringOr(meta, "jsonVersion", "1.0");
  model->query_compatible_ = meta.contains("awsQueryCompatible");
  STRATUS_ASSIGN_OR_RETURN(model->protocol_, ParseProtocol(StringOr(meta, "protocol")));
  if (meta.contains("protocols") && meta["protocols"].is_array()) {
    for (const json& p : meta["protocols"]) {
      auto parsed = ParseProtocol(p.is_string() ? p.get<std::string>() : "");
      if (parsed.ok()) model->protocols_.push_back(*parsed);
    }
  }
  // The XML protocols are what every client generation can speak; prefer them as the "native" one.
  for (Protocol p : model->protocols_) {
    if (p == Protocol::kQuery || p == Protocol::kEc2) model->protocol_ = p;
  }
  if (model->protocols_.empty()) model->protocols_.push_back(model->protocol_);
  STRATUS_RETURN_IF_ERROR(model->ParseShapes(doc["shapes"]));
  STRATUS_RETURN_IF_ERROR(model->ParseOperations(doc["operations"]));
  model->shape_traits_.clear();
  return model;
}

bool ServiceModel::SupportsProtocol(Protocol p) const {
  for (Protocol q : protocols_) {
    if (q == p) return true;
  }
  return false;
}

Status ServiceModel::ParseShapes(const json& shapes) {
  if (!shapes.is_object()) return InvalidArgument("shapes is not an object");
  // Two passes: create every shape first so references can point at shapes defined later.
  for (auto it = shapes.begin(); it != shapes.end(); ++it) {
    auto shape = std::make_unique<Shape>();
    shape->name = it.key();
    shapes_[it.key()] = std::move(shape);
    json traits = json::object();
    for (const char* k : {"locationName", "queryName", "flattened", "timestampFormat"}) {
      if (it.value().contains(k)) traits[k] = it.value()[k];
    }
    shape_traits_[it.key()] = std::move(traits);
  }
  for (auto it = shapes.begin(); it != shapes.end(); ++it) {
    Status st = ParseShape(it.value(), shapes_[it.key()].get());
    if (!st.ok()) return st.WithContext("shape " + it.key());
  }
  return Status::Ok();
}

Result<ShapeRef> ServiceModel::ParseRef(const json& ref) const {
  if (!ref.is_object() || !ref.contains("shape") || !ref["shape"].is_string()) {
    return InvalidArgument("shape reference without a shape name");
  }
  const std::string target = ref["shape"].get<std::string>();
  auto it = shapes_.find(target);
  if (it == shapes_.end()) return InvalidArgument("reference to unknown shape " + target);
  json merged = shape_traits_.at(target);
  for (auto t = ref.begin(); t != ref.end(); ++t) merged[t.key()] = t.value();
  ShapeRef out;
  out.shape = it->second.get();
  out.location_name = StringOr(merged, "locationName");
  out.query_name = StringOr(merged, "queryName");
  out.flattened = merged.value("flattened", false);
  out.timestamp_format = StringOr(merged, "timestampFormat");
  return out;
}

Status ServiceModel::ParseShape(const json& def, Shape* shape) {
  STRATUS_ASSIGN_OR_RETURN(shape->type, ParseType(StringOr(def, "type")));
  shape->flattened = def.value("flattened", false);
  shape->is_union = def.value("union", false);
  if (def.contains("min") && def["min"].is_number()) shape->min = def["min"].get<double>();
  if (def.contains("max") && def["max"].is_number()) shape->max = def["max"].get<double>();
  if (def.contains("enum") && def["enum"].is_array()) {
    for (const json& e : def["enum"]) {
      if (e.is_string()) shape->enum_values.push_back(e.get<std::string>());
    }
  }
  if (def.contains("error") && def["error"].is_object()) shape->error_code = StringOr(def["error"], "code");
  if (shape->error_code.empty() && def.value("exception", false)) shape->error_code = shape->name;
  if (shape->type == ShapeType::kStructure && def.contains("members")) {
    std::vector<std::string> required;
    if (def.contains("required") && def["required"].is_array()) required = def["required"].get<std::vector<std::string>>();
    for (auto it = def["members"].begin(); it != def["members"].end(); ++it) {
      Member m;
      m.name = it.key();
      STRATUS_ASSIGN_OR_RETURN(m.ref, ParseRef(it.value()));
      for (const std::string& r : required) m.required = m.required || r == m.name;
      shape->members.push_back(std::move(m));
    }
  }
  if (shape->type == ShapeType::kList) {
    STRATUS_ASSIGN_OR_RETURN(shape->member, ParseRef(def.value("member", json::object())));
  }
  if (shape->type == ShapeType::kMap) {
    STRATUS_ASSIGN_OR_RETURN(shape->key, ParseRef(def.value("key", json::object())));
    STRATUS_ASSIGN_OR_RETURN(shape->value, ParseRef(def.value("value", json::object())));
  }
  return Status::Ok();
}

Status ServiceModel::ParseOperations(const json& ops) {
  if (!ops.is_object()) return InvalidArgument("operations is not an object");
  for (auto it = ops.begin(); it != ops.end(); ++it) {
    Operation op;
    op.name = it.key();
    const json& def = it.value();
    if (def.contains("input")) {
      op.input = FindShape(StringOr(def["input"], "shape"));
      if (op.input == nullptr) return InvalidArgument("operation " + op.name + ": unknown input shape");
    }
    if (def.contains("output")) {
      op.output = FindShape(StringOr(def["output"], "shape"));
      if (op.output == nullptr) return InvalidArgument("operation " + op.name + ": unknown output shape");
      op.result_wrapper = StringOr(def["output"], "resultWrapper");
    }
    operations_[op.name] = std::move(op);
  }
  return Status::Ok();
}

const Operation* ServiceModel::FindOperation(const std::string& op_name) const {
  auto it = operations_.find(op_name);
  return it == operations_.end() ? nullptr : &it->second;
}

const Shape* ServiceModel::FindShape(const std::string& shape_name) const {
  auto it = shapes_.find(shape_name);
  return it == shapes_.end() ? nullptr : it->second.get();
}

Result<std::unique_ptr<ModelSet>> ModelSet::LoadEmbedded() {
  auto set = std::make_unique<ModelSet>();
  for (std::string_view text : EmbeddedModels()) {
    json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return Internal("embedded AWS model is not valid JSON");
    auto model = ServiceModel::Parse(doc);
    if (!model.ok()) return model.status().WithContext("embedded AWS model");
    std::string name = (*model)->signing_name();
    set->services_[name] = std::move(*model);
  }
  return set;
}

const ServiceModel* ModelSet::Find(const std::string& signing_name) const {
  auto it = services_.find(signing_name);
  return it == services_.end() ? nullptr : it->second.get();
}

}  // namespace stratus::aws
