// The few rtnetlink requests Stratus makes itself (a link's deletion, a neighbour entry): cheaper
// than starting `ip` for each, which a launch would pay for.
#pragma once

#include <linux/netlink.h>

#include <cstddef>

namespace stratus::net {

// Appends attribute `type` with `len` bytes of `data` to `msg`, whose buffer holds `capacity` bytes.
// False (nothing appended) when it does not fit.
bool AddRtAttr(nlmsghdr* msg, size_t capacity, unsigned short type, const void* data, size_t len);

// Sends `msg` (NLM_F_REQUEST | NLM_F_ACK are set) on a new NETLINK_ROUTE socket in the calling
// thread's network namespace and waits for the kernel's acknowledgement. Returns 0 on success, else
// the errno the kernel (or the socket) gave, e.g. ENOENT for a missing neighbour entry.
int RtnetlinkAck(nlmsghdr* msg);

}  // namespace stratus::net
