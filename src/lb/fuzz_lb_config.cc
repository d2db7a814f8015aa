// libFuzzer target: the configuration parser (the control socket's input, certificates, actions and rule
// conditions included) must never crash, and whatever it accepts must survive a round trip: serialized and parsed
// again it is accepted and serializes the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "lb/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  using namespace stratus::lb;
  auto c = ParseConfigText(std::string(reinterpret_cast<const char*>(bytes), size));
  if (!c.ok()) return 0;
  nlohmann::json once = ConfigToJson(*c);
  auto again = ParseConfig(once);
  if (!again.ok() || ConfigToJson(*again) != once) std::abort();
  for (const auto& l : c->listeners) {
    for (const auto& r : l.rules) {
      for (const auto& cidr : r.source_ips) {
        uint32_t net = 0, mask = 0;
        if (!ParseCidr(cidr, &net, &mask).ok() || (net & ~mask) != 0) std::abort();
      }
    }
  }
  return 0;
}
