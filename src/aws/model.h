// AWS service models: the shapes and operations of botocore's service-2.json, loaded at run time from trimmed
// copies embedded in the binary (data/aws-models/). Every protocol decoder/encoder walks these tables; there is
// no per-operation code anywhere in src/aws/.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace stratus::aws {

enum class ShapeType { kStructure, kList, kMap, kString, kInteger, kLong, kFloat, kDouble, kBoolean, kTimestamp, kBlob };

enum class Protocol { kEc2, kQuery, kJson, kCbor };

struct Shape;

// A reference to a shape from a structure member, a list element or a map key/value, with the serialization
// traits of the reference merged over those of the target shape (as botocore does).
struct ShapeRef {
  const Shape* shape = nullptr;
  std::string location_name;  // "locationName": the wire name (XML element / query key), empty if none
  std::string query_name;     // "queryName": EC2 input key override, empty if none
  bool flattened = false;     // lists/maps without a wrapper element
  std::string timestamp_format;  // "iso8601", "unixTimestamp", "rfc822" or empty for the protocol default
};

struct Member {
  std::string name;  // the model's member name ("InstanceIds"); the key in the protocol-neutral JSON
  ShapeRef ref;
  bool required = false;
};

struct Shape {
  std::string name;
  ShapeType type = ShapeType::kString;
  std::vector<Member> members;  // structure members in model order
  ShapeRef member;              // list element
  ShapeRef key, value;          // map key and value
  bool flattened = false;
  bool is_union = false;
  std::optional<double> min, max;  // length (strings, lists, blobs) or value (numbers) bounds
  std::vector<std::string> enum_values;
  std::string error_code;  // for exception shapes: the wire error code ("error": {"code": ...})

  // Returns the member named `name`, or nullptr.
  const Member* FindMember(const std::string& name) const;
};

struct Operation {
  std::string name;
  const Shape* input = nullptr;   // nullptr when the operation takes no input
  const Shape* output = nullptr;  // nullptr when the operation returns nothing
  std::string result_wrapper;     // query protocol: the <XResult> element name
};

class ServiceModel {
 public:
  // Parses a service-2.json document (ordered, so structure members keep the model's order on the wire). Fails
  // with InvalidArgument when a shape reference dangles or a type is unknown.
  static Result<std::unique_ptr<ServiceModel>> Parse(const nlohmann::ordered_json& doc);

  // The SigV4 signing name / endpoint prefix: ec2, elasticloadbalancing, autoscaling, monitoring.
  const std::string& signing_name() const { return signing_name_; }
  // The model's native protocol (ec2 or query); CloudWatch additionally accepts json and cbor.
  Protocol protocol() const { return protocol_; }
  bool SupportsProtocol(Protocol p) const;
  const std::string& api_version() const { return api_version_; }
  const std::string& xml_namespace() const { return xml_namespace_; }
  const std::string& target_prefix() const { return target_prefix_; }  // awsJson X-Amz-Target prefix
  const std::string& json_version() const { return json_version_; }    // awsJson: 1.0 or 1.1
  bool query_compatible() const { return query_compatible_; }           // awsQueryCompatible trait

  // Returns the operation named `name` (case-sensitive), or nullptr.
  const Operation* FindOperation(const std::string& name) const;
  // Returns the shape named `name`, or nullptr.
  const Shape* FindShape(const std::string& name) const;
  const std::map<std::string, Operation>& operations() const { return operations_; }

 private:
  Status ParseShapes(const nlohmann::ordered_json& shapes);
  Status ParseShape(const nlohmann::ordered_json& def, Shape* shape);
  Result<ShapeRef> ParseRef(const nlohmann::ordered_json& ref) const;
  Status ParseOperations(const nlohmann::ordered_json& ops);

  std::string signing_name_, api_version_, xml_namespace_, target_prefix_, json_version_;
  Protocol protocol_ = Protocol::kQuery;
  std::vector<Protocol> protocols_;
  bool query_compatible_ = false;
  std::map<std::string, std::unique_ptr<Shape>> shapes_;
  std::map<std::string, Operation> operations_;
  std::map<std::string, nlohmann::ordered_json> shape_traits_;  // shape-level serialization traits, merged into refs
};

// The four embedded models, keyed by signing name (ec2, elasticloadbalancing, autoscaling, monitoring).
class ModelSet {
 public:
  // Loads and parses the embedded models. Fails only if an embedded model is corrupt (a build bug).
  static Result<std::unique_ptr<ModelSet>> LoadEmbedded();

  // Returns the service model for a SigV4 credential-scope service name, or nullptr.
  const ServiceModel* Find(const std::string& signing_name) const;

 private:
  std::map<std::string, std::unique_ptr<ServiceModel>> services_;
};

}  // namespace stratus::aws
