// The layer-2 side of an instance address: the MAC an address brings with it, and the host's
// neighbour (ARP) entry for it.
//
// Why: addresses are reused. When an address moves to a new interface with a new MAC, the host (and
// any peer that talked to the old holder) keeps the old MAC in its neighbour cache: a REACHABLE entry
// for up to a minute, during which traffic goes to a dead port. Two rules make that impossible:
//   - the MAC is a function of the address (MacForIpv4), so whoever holds an address has its MAC and
//     every cache that knows the address already knows the right MAC;
//   - the host's entry is removed when an address leaves an interface and replaced (not merely
//     announced) when it lands on one, so nothing the host learnt earlier survives a move.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace stratus::net {

// The MAC of the interface holding `ip`: 02:42 followed by the four address bytes, as Docker does
// (02: locally administered, unicast). 10.1.2.3 -> "02:42:0a:01:02:03". Unique per address, so two
// interfaces on one bridge never share a MAC while their addresses differ.
std::string MacForIpv4(uint32_t ip);

// Sets the MAC of `ifname` in the calling thread's network namespace. A veth takes it while up.
// NotFound when there is no such interface.
Status SetLinkMac(const std::string& ifname, const std::string& mac);

// The MAC of `ifname` in the calling thread's network namespace. NotFound when there is no such
// interface.
Result<std::string> LinkMac(const std::string& ifname);

// Sets the host's neighbour entry for `ip` on `dev` (a bridge) to `mac`, replacing whatever entry
// was there (of any state, any MAC). The entry is STALE: used at once, then confirmed by the
// kernel's own unicast probe, as an entry learnt by ARP would be.
Status ReplaceNeighbour(const std::string& dev, const std::string& ip, const std::string& mac);

// Removes the neighbour entry for `ip` on `dev`. Succeeds when there is none (or no such device).
Status DeleteNeighbour(const std::string& dev, const std::string& ip);

}  // namespace stratus::net
