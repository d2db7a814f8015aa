// libFuzzer target: the form/query decoder (ec2 and query protocols) over every operation of the embedded models,
// followed by model validation and XML re-encoding of the decoded input's operation output shape.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "aws/model.h"
#include "aws/protocol_query.h"
#include "aws/shape_values.h"

namespace {

struct Fixture {
  std::unique_ptr<stratus::aws::ModelSet> models = std::move(stratus::aws::ModelSet::LoadEmbedded()).value();
  std::vector<const stratus::aws::ServiceModel*> services;
  Fixture() {
    for (const char* s : {"ec2", "elasticloadbalancing", "autoscaling", "monitoring"}) services.push_back(models->Find(s));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stratus::aws;
  static Fixture* fx = new Fixture();
  if (size < 1) return 0;
  const ServiceModel& service = *fx->services[data[0] % fx->services.size()];
  std::string form(reinterpret_cast<const char*>(data + 1), size - 1);
  QueryParams params = ParseQueryString(form, true);
  std::string action;
  for (const auto& [k, v] : params) {
    if (k == "Action") action = v;
  }
  const Operation* op = service.FindOperation(action);
  if (op == nullptr) {
    // Pick an operation deterministically so inputs without a valid Action still reach the decoder.
    size_t n = service.operations().size(), pick = form.size() % n;
    auto it = service.operations().begin();
    std::advance(it, pick);
    op = &it->second;
  }
  auto decoded = DecodeQueryInput(service, *op, params, service.protocol());
  if (auto* input = std::get_if<nlohmann::json>(&decoded)) {
    if (op->input != nullptr) (void)ValidateInput(service, *op->input, *input);
    // Whatever decoded must also encode (the fake handler in tests echoes inputs back as outputs).
    AwsResponse r = EncodeXmlResponse(service, *op, *input, "fuzz", service.protocol());
    (void)r;
  }
  return 0;
}
