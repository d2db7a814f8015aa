// InstanceHost: what the instance service needs from the machine an instance runs on.
//
// The service layer decides *what* happens to an instance (states, records, validation); an
// InstanceHost makes it happen on a host (network namespace and CNI, overlay root, runc). The real
// one is LocalInstanceHost (src/daemon); unit tests use a fake.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "compute/instance.h"
#include "image/image.h"

namespace stratus {

struct NetworkAttachment {
  std::string private_ip;
  std::string mac;
};

// Everything a host needs to (re)start an instance.
struct BootSpec {
  Instance instance;
  Image image;
  std::vector<std::string> layer_dirs;  // top first
};

// What a host holds right now, for reconciling with the store after a restart.
struct HostInventory {
  std::set<std::string> running;   // instances whose runtime container is running
  std::set<std::string> present;   // instances with any runtime state (running or not)
  std::set<std::string> attached;  // instances with a network attachment
};

class InstanceHost {
 public:
  virtual ~InstanceHost() = default;

  // Gives the instance its network namespace and an address on `subnet_id`. When `private_ip` is
  // set (a restart), the same address is requested. Idempotent for an attached instance.
  virtual Result<NetworkAttachment> AttachNetwork(const std::string& instance_id, const std::string& subnet_id,
                                                  const std::string& private_ip) = 0;

  // Removes the network namespace and frees the address. Succeeds when nothing is attached.
  virtual Status DetachNetwork(const std::string& instance_id) = 0;

  // Boots the instance from its root volume (creating it on first boot) and returns once stratus-init
  // reports ready (user data started, services spawned).
  virtual Status Boot(const BootSpec& spec) = 0;

  // Stops the instance's processes (SIGTERM, then SIGKILL after the stop timeout, at once with
  // `force`); keeps the root volume. Succeeds when it is not running.
  virtual Status Halt(const std::string& instance_id, bool force) = 0;

  // Stops the instance if needed and removes everything it has on the host but its network.
  virtual Status Destroy(const std::string& instance_id) = 0;

  // The console log: stratus-init's and the user data's output.
  virtual Result<std::string> ConsoleOutput(const std::string& instance_id) = 0;

  virtual Result<HostInventory> Inventory() = 0;
};

using InstanceHostPtr = std::unique_ptr<InstanceHost>;

}  // namespace stratus
