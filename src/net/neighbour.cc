#include "net/neighbour.h"

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/fd.h"
#include "net/ipv4.h"
#include "net/rtnetlink.h"

namespace stratus::net {
namespace {

Result<std::array<unsigned char, 6>> ParseMac(const std::string& mac) {
  std::array<unsigned char, 6> b{};
  unsigned v[6];
  char extra;
  if (std::sscanf(mac.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &extra) != 6)
    return InvalidArgument("invalid MAC address '" + mac + "'");
  for (int i = 0; i < 6; i++) b[i] = static_cast<unsigned char>(v[i]);
  return b;
}

// An interface ioctl (SIOC[GS]IFHWADDR) on `ifname` in the calling thread's namespace.
Status LinkIoctl(const std::string& ifname, unsigned long request, ifreq* ifr, const std::string& what) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) return InvalidArgument("invalid interface name '" + ifname + "'");
  std::memcpy(ifr->ifr_name, ifname.c_str(), ifname.size());
  UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return Internal(std::string("socket: ") + strerror(errno));
  if (ioctl(sock.get(), request, ifr) != 0) {
    if (errno == ENODEV) return NotFound("no interface " + ifname);
    return Internal(what + ifname + ": " + strerror(errno));
  }
  return Status::Ok();
}

// An RTM_NEWNEIGH / RTM_DELNEIGH for `ip` on `dev`, with room for the link-layer address.
struct NeighbourRequest {
  nlmsghdr nh;
  ndmsg ndm;
  char attrs[64];
};

Result<NeighbourRequest> MakeNeighbourRequest(unsigned short type, const std::string& dev, const std::string& ip) {
  STRATUS_ASSIGN_OR_RETURN(uint32_t addr, ParseIpv4(ip));
  NeighbourRequest req{};
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(ndmsg));
  req.nh.nlmsg_type = type;
  req.ndm.ndm_family = AF_INET;
  req.ndm.ndm_ifindex = static_cast<int>(if_nametoindex(dev.c_str()));
  if (req.ndm.ndm_ifindex == 0) return NotFound("no interface " + dev);
  uint32_t be = htonl(addr);
  AddRtAttr(&req.nh, sizeof req, NDA_DST, &be, sizeof be);
  return req;
}

}  // namespace

std::string MacForIpv4(uint32_t ip) {
  char mac[18];
  std::snprintf(mac, sizeof mac, "02:42:%02x:%02x:%02x:%02x", (ip >> 24) & 0xff, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
                ip & 0xff);
  return mac;
}

Status SetLinkMac(const std::string& ifname, const std::string& mac) {
  STRATUS_ASSIGN_OR_RETURN(auto bytes, ParseMac(mac));
  ifreq ifr{};
  ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
  std::memcpy(ifr.ifr_hwaddr.sa_data, bytes.data(), bytes.size());
  return LinkIoctl(ifname, SIOCSIFHWADDR, &ifr, "set MAC of ");
}

Result<std::string> LinkMac(const std::string& ifname) {
  ifreq ifr{};
  STRATUS_RETURN_IF_ERROR(LinkIoctl(ifname, SIOCGIFHWADDR, &ifr, "get MAC of "));
  const auto* b = reinterpret_cast<const unsigned char*>(ifr.ifr_hwaddr.sa_data);
  char mac[18];
  std::snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
  return std::string(mac);
}

Status ReplaceNeighbour(const std::string& dev, const std::string& ip, const std::string& mac) {
  STRATUS_ASSIGN_OR_RETURN(auto bytes, ParseMac(mac));
  STRATUS_ASSIGN_OR_RETURN(NeighbourRequest req, MakeNeighbourRequest(RTM_NEWNEIGH, dev, ip));
  req.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
  req.ndm.ndm_state = NUD_STALE;
  AddRtAttr(&req.nh, sizeof req, NDA_LLADDR, bytes.data(), bytes.size());
  int err = RtnetlinkAck(&req.nh);
  if (err != 0) return Internal("neighbour " + ip + " on " + dev + ": " + strerror(err));
  return Status::Ok();
}

Status DeleteNeighbour(const std::string& dev, const std::string& ip) {
  Result<NeighbourRequest> req = MakeNeighbourRequest(RTM_DELNEIGH, dev, ip);
  if (req.status().code() == Code::kNotFound) return Status::Ok();
  if (!req.ok()) return req.status();
  int err = RtnetlinkAck(&req->nh);
  if (err != 0 && err != ENOENT) return Internal("delete neighbour " + ip + " on " + dev + ": " + strerror(err));
  return Status::Ok();
}

}  // namespace stratus::net
