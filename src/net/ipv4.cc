#include "net/ipv4.h"

#include <arpa/inet.h>

namespace stratus::net {

Result<uint32_t> ParseIpv4(const std::string& s) {
  in_addr a{};
  if (s.empty() || inet_pton(AF_INET, s.c_str(), &a) != 1)
    return InvalidArgument("invalid IPv4 address '" + s + "'");
  return ntohl(a.s_addr);
}

std::string FormatIpv4(uint32_t ip) {
  in_addr a{};
  a.s_addr = htonl(ip);
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

Result<Ipv4Cidr> ParseCidr(const std::string& s) {
  size_t slash = s.find('/');
  if (slash == std::string::npos)
    return InvalidArgument("invalid CIDR block '" + s + "': expected ADDRESS/PREFIX");
  Result<uint32_t> ip = ParseIpv4(s.substr(0, slash));
  if (!ip.ok()) return InvalidArgument("invalid CIDR block '" + s + "': bad address");
  std::string p = s.substr(slash + 1);
  if (p.empty() || p.size() > 2 || p.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(p) > 32)
    return InvalidArgument("invalid CIDR block '" + s + "': prefix must be 0..32");
  Ipv4Cidr c;
  c.prefix = std::stoi(p);
  c.network = *ip & c.Mask();
  if (c.network != *ip)
    return InvalidArgument("invalid CIDR block '" + s + "': did you mean " + c.ToString() + "?");
  return c;
}

}  // namespace stratus::net
