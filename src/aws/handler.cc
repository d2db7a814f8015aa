#include "aws/handler.h"

#include "common/log.h"

namespace stratus::aws {

StratusAwsHandler::StratusAwsHandler(AwsServices services) : s_(std::move(services)) {
  RegisterEc2();
  RegisterEc2Images();
  RegisterEc2Network();
  RegisterEc2Vpc();
  RegisterEc2Volumes();
  RegisterEc2Snapshots();
  RegisterElbv2();
  RegisterElbv2Targets();
  RegisterAutoScaling();
  RegisterAutoScalingActions();
  RegisterCloudWatch();
  RegisterAcm();
}

std::variant<nlohmann::json, AwsError> StratusAwsHandler::Call(const std::string& service,
                                                               const std::string& operation,
                                                               const nlohmann::json& input,
                                                               const AwsCallContext& ctx) {
  auto it = ops_.find(service + "/" + operation);
  if (it == ops_.end()) {
    return AwsError{service == "ec2" ? "InvalidAction" : "InvalidAction",
                    "The action " + operation + " of service " + service +
                        " is not supported by Stratus (docs/aws-compat.md lists the supported ones)",
                    400};
  }
  try {
    return it->second(input, ctx);
  } catch (const std::exception& e) {
    // The input was validated against the model; an exception here is a bug. Report it, never crash.
    LogError("aws handler exception", {{"operation", operation}, {"error", e.what()}});
    return AwsError{service == "ec2" ? "InternalError" : "InternalFailure",
                    operation + " failed: " + e.what(), 500};
  }
}

std::vector<std::pair<std::string, std::string>> StratusAwsHandler::SupportedOperations() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, op] : ops_) {
    size_t slash = key.find('/');
    out.emplace_back(key.substr(0, slash), key.substr(slash + 1));
  }
  return out;
}

}  // namespace stratus::aws
