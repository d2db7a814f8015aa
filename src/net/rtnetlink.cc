#include "net/rtnetlink.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/fd.h"

namespace stratus::net {

bool AddRtAttr(nlmsghdr* msg, size_t capacity, unsigned short type, const void* data, size_t len) {
  const size_t attr_len = RTA_LENGTH(len);
  if (NLMSG_ALIGN(msg->nlmsg_len) + RTA_ALIGN(attr_len) > capacity) return false;
  auto* rta = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(msg) + NLMSG_ALIGN(msg->nlmsg_len));
  rta->rta_type = type;
  rta->rta_len = static_cast<unsigned short>(attr_len);
  std::memcpy(RTA_DATA(rta), data, len);
  msg->nlmsg_len = static_cast<unsigned>(NLMSG_ALIGN(msg->nlmsg_len) + RTA_ALIGN(attr_len));
  return true;
}

int RtnetlinkAck(nlmsghdr* msg) {
  UniqueFd sock(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!sock.valid()) return errno;
  msg->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  msg->nlmsg_seq = 1;
  if (send(sock.get(), msg, msg->nlmsg_len, 0) < 0) return errno;
  alignas(nlmsghdr) char buf[4096];
  ssize_t n = recv(sock.get(), buf, sizeof buf, 0);
  if (n < 0) return errno;
  auto* nh = reinterpret_cast<nlmsghdr*>(buf);
  if (!NLMSG_OK(nh, static_cast<unsigned>(n)) || nh->nlmsg_type != NLMSG_ERROR) return EPROTO;
  return -static_cast<nlmsgerr*>(NLMSG_DATA(nh))->error;
}

}  // namespace stratus::net
