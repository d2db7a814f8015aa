// IPv4 addresses and CIDR blocks as plain integers: parsing, printing, containment.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace stratus::net {

// Parses dotted-quad "10.1.2.3" into host byte order. InvalidArgument otherwise.
Result<uint32_t> ParseIpv4(const std::string& s);

// 0x0a010203 -> "10.1.2.3"
std::string FormatIpv4(uint32_t ip);

// A CIDR block such as 172.31.0.0/20.
struct Ipv4Cidr {
  uint32_t network = 0;  // host byte order, host bits zero
  int prefix = 0;        // 0..32

  uint32_t Mask() const { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
  bool Contains(uint32_t ip) const { return (ip & Mask()) == network; }
  // True when the two blocks share at least one address.
  bool Overlaps(const Ipv4Cidr& o) const {
    int p = prefix < o.prefix ? prefix : o.prefix;
    uint32_t m = p == 0 ? 0 : ~uint32_t{0} << (32 - p);
    return (network & m) == (o.network & m);
  }
  // The first usable address (network + 1): the gateway, as in AWS subnets.
  uint32_t FirstHost() const { return network + 1; }
  std::string ToString() const { return FormatIpv4(network) + "/" + std::to_string(prefix); }
};

// Parses "172.31.0.0/20". InvalidArgument for a malformed block or one whose host bits are not
// zero ("172.31.0.5/20"), as AWS refuses it.
Result<Ipv4Cidr> ParseCidr(const std::string& s);

}  // namespace stratus::net
