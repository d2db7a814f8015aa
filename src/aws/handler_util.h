// Helpers shared by the handler_*.cc files: Status -> AwsError in each service's vocabulary (the macros below, over
// aws/errors.h), readers for the neutral JSON input (already validated against the model, so types are right;
// absent members are common), and ServiceOps to register the operations of a service the daemon may lack.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aws/errors.h"
#include "aws/handler.h"
#include "aws/types.h"
#include "common/status.h"
#include "common/tags.h"

namespace stratus::aws {

using nlohmann::json;

// An error for a parameter problem found by the handler itself.
AwsError ParamError(const std::string& service, const std::string& message);
AwsError MissingParam(const std::string& service, const std::string& name);

// Member readers: the value, or the default when absent or null.
std::string Str(const json& j, const char* name, const std::string& def = "");
std::vector<std::string> StrList(const json& j, const char* name);
std::optional<int64_t> OptInt(const json& j, const char* name);
std::optional<double> OptNum(const json& j, const char* name);
std::optional<bool> OptBool(const json& j, const char* name);

// [{Key, Value}] -> tags (missing Value = "").
std::vector<Tag> TagsOf(const json& list);
// The tags of TagSpecifications entries whose ResourceType is `resource_type` (or has none).
std::vector<Tag> TagSpecTags(const json& input, const std::string& resource_type);
// Tags in the API form, [{Key, Value}].
json TagList(const std::vector<Tag>& tags);

// Removes members whose value is an empty string (timestamps and enums the services leave empty would not
// encode), recursively in objects and arrays.
json DropEmpty(json j);

// EC2's filter wildcards: * any sequence, ? one character. AnyGlob: one of `patterns` matches `text`.
bool Glob(const std::string& pattern, const std::string& text);
bool AnyGlob(const std::vector<std::string>& patterns, const std::string& text);
// False when the input's Filters have one named `name` whose values all miss `value` (true without one).
bool FilterAccepts(const json& in, const std::string& name, const std::string& value);

// The ISO 8601 "YYYY-MM-DDTHH:MM:SSZ" of epoch seconds.
std::string IsoSeconds(double epoch_seconds);

}  // namespace stratus::aws

// Inside a handler lambda (returning StratusAwsHandler::Output) of a file that defines `kService`:
// unwraps a Result<T> into `var`, or returns its error in the service's vocabulary.
#define AWS_ASSIGN_OR_RETURN(var, expr)                                                            \
  auto var##_result = (expr);                                                                      \
  if (!var##_result.ok()) return ::stratus::aws::AwsErrorFromStatus(var##_result.status(), kService); \
  auto& var = *var##_result

#define AWS_RETURN_IF_ERROR(expr)                                                       \
  do {                                                                                  \
    ::stratus::Status _aws_st = (expr);                                                 \
    if (!_aws_st.ok()) return ::stratus::aws::AwsErrorFromStatus(_aws_st, kService);    \
  } while (0)

namespace stratus::aws {
// The error for an operation whose service this daemon does not run (yet): names the operation.
inline AwsError NotAvailable(const std::string& operation, const std::string& what) {
  return AwsError{"UnsupportedOperation",
                  operation + " is not available: this stratusd runs no " + what, 400};
}

// `op` behind a check that the daemon runs the service `service` points at: while that is null, the operation
// answers NotAvailable naming `operation` and `what` ("instance service"). `service` is read at each call, so it
// must outlive the handler (it is a member of the handler's AwsServices).
template <typename Service>
StratusAwsHandler::Op RequireService(Service* const& service, std::string operation, std::string what,
                                     StratusAwsHandler::Op op) {
  return [service = &service, operation = std::move(operation), what = std::move(what), op = std::move(op)](
             const json& in, const AwsCallContext& ctx) -> StratusAwsHandler::Output {
    if (*service == nullptr) return NotAvailable(operation, what);
    return op(in, ctx);
  };
}

// Registers the operations of one AWS service that all run on one Stratus service the daemon may lack:
//   ServiceOps<elb::LoadBalancerService> op(ops_, kService, s_.elb, "load balancer service");
//   op("CreateLoadBalancer", CreateLoadBalancer);   // ops_["elasticloadbalancing/CreateLoadBalancer"]
// Each operation runs its function on the service, or answers NotAvailable while the daemon has none
// (RequireService).
template <typename Service>
class ServiceOps {
 public:
  using Fn = std::function<StratusAwsHandler::Output(Service&, const json&)>;

  ServiceOps(std::map<std::string, StratusAwsHandler::Op>& ops, std::string aws_service, Service* const& service,
             std::string what)
      : ops_(ops), aws_service_(std::move(aws_service)), service_(&service), what_(std::move(what)) {}

  void operator()(const std::string& operation, Fn f) const {
    ops_[aws_service_ + "/" + operation] =
        RequireService(*service_, operation, what_,
                       [service = service_, f = std::move(f)](const json& in, const AwsCallContext&) {
                         return f(**service, in);
                       });
  }

 private:
  std::map<std::string, StratusAwsHandler::Op>& ops_;
  std::string aws_service_;  // "elasticloadbalancing", ...
  Service* const* service_;
  std::string what_;  // "load balancer service", for NotAvailable
};
}  // namespace stratus::aws
