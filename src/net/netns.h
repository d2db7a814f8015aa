// Named network namespaces, as `ip netns` makes them: a new network namespace kept alive by a bind
// mount at /var/run/netns/NAME, so runc (CNI_NETNS, the OCI spec's namespace path) and
// `ip netns exec NAME` can join it. Done in-process (unshare + mount in a short-lived thread), not
// by running `ip`, because a launch pays for every millisecond.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/fd.h"
#include "common/status.h"

namespace stratus::net {

// Where named namespaces live; the same directory `ip netns` uses.
inline constexpr const char* kNetnsDir = "/var/run/netns";

// Returns "/var/run/netns/NAME".
std::string NetnsPath(const std::string& name);

// True when `name` is usable as a namespace name: 1..64 characters of [A-Za-z0-9_.-], not "." or "..".
bool IsValidNetnsName(const std::string& name);

// Creates the network namespace NAME with its loopback interface up. Returns AlreadyExists when a
// namespace of that name exists, InvalidArgument for a bad name, Internal when the kernel refuses.
// Nothing is left behind on failure. Safe to call concurrently for different names.
Status CreateNetns(const std::string& name);

// Makes an existing namespace (given by an fd to it, e.g. from NewUnnamedNetns) the named
// namespace NAME. Same errors as CreateNetns.
Status NameNetns(int netns_fd, const std::string& name);

// Creates a new, unnamed network namespace with its loopback up and returns an fd to it; the
// namespace lives as long as the fd (or a NameNetns bind mount of it). Used by pools.
Result<UniqueFd> NewUnnamedNetns();

// Deletes the namespace NAME (unmount + unlink). Succeeds when it does not exist. The kernel frees
// the namespace, and the interfaces in it, once nothing else holds it.
Status DeleteNetns(const std::string& name);

// True when /var/run/netns/NAME exists.
bool NetnsExists(const std::string& name);

// Names of the namespaces under /var/run/netns starting with `prefix`, sorted.
Result<std::vector<std::string>> ListNetns(const std::string& prefix);

// Runs fn in a thread that has joined the network namespace at `netns_path` (a path such as
// NetnsPath(name) or /proc/PID/ns/net) and returns fn's Status. Sockets fn opens belong to that
// namespace, and /proc/thread-self/net shows its interfaces. NotFound when the path does not exist.
Status RunInNetns(const std::string& netns_path, const std::function<Status()>& fn);

// Brings the interface `ifname` up in the calling thread's network namespace.
Status SetLinkUp(const std::string& ifname);

// The ifindex of the other end of `ifname` (a veth) in the calling thread's network namespace, as
// the kernel reports it (IFLA_LINK; the index is in the peer's namespace). NotFound when there is
// no such interface or it has no peer.
Result<int> LinkPeerIndex(const std::string& ifname);

// Deletes the interface `ifname` (a veth: both ends) in the calling thread's network namespace.
// NotFound when there is none.
Status DeleteLink(const std::string& ifname);

// Deletes a named namespace when destroyed unless Release()d: the cleanup of a half-done setup.
class NetnsGuard {
 public:
  explicit NetnsGuard(std::string name) : name_(std::move(name)) {}
  ~NetnsGuard();
  NetnsGuard(const NetnsGuard&) = delete;
  NetnsGuard& operator=(const NetnsGuard&) = delete;

  // Keeps the namespace: the destructor does nothing.
  void Release() { name_.clear(); }

 private:
  std::string name_;
};

}  // namespace stratus::net
