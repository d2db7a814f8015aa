// libFuzzer target: the ELBv2 action and condition readers (REST bodies reach them unvalidated) never crash, and
// what they accept and validate survives a round trip: written in ELBv2's form and read again it is the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "elb/elb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  using namespace stratus::elb;
  using nlohmann::json;
  json doc = json::parse(bytes, bytes + size, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return 0;
  if (doc.contains("Actions")) {
    auto a = ActionsFromJson(doc["Actions"]);
    if (a.ok() && ValidateAction(*a).ok()) {
      json once = ToJson(*a);
      auto again = ActionFromJson(once);
      if (!again.ok() || ToJson(*again) != once) std::abort();
    }
  }
  if (doc.contains("Conditions")) {
    auto c = ConditionsFromJson(doc["Conditions"]);
    if (c.ok() && ValidateConditions(*c).ok()) {
      json once = json::array();
      for (const auto& cond : *c) once.push_back(ToJson(cond));
      auto again = ConditionsFromJson(once);
      if (!again.ok()) std::abort();
      json twice = json::array();
      for (const auto& cond : *again) twice.push_back(ToJson(cond));
      if (twice != once) std::abort();
    }
  }
  return 0;
}
