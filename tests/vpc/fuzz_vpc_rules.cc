// libFuzzer target: the security group rule parser (EC2's IpPermissions, which the REST API takes too) over any
// JSON text, and the round trip of what it accepts: rules -> IpPermissions -> the same rules.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "vpc/vpc_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stratus::vpc;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return 0;
  auto rules = RulesFromPermissions(j, size % 2 == 0);
  if (!rules.ok()) return 0;
  auto again = RulesFromPermissions(PermissionsJson(*rules), size % 2 == 0);
  if (!again.ok() || again->size() != rules->size()) abort();
  return 0;
}
