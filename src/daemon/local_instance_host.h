// LocalInstanceHost: InstanceHost on this machine — the instance runtime (overlay + runc) and the
// host network (netns + CNI + nftables).
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "compute/instance_host.h"
#include "compute/instance_runtime.h"
#include "compute/instance_types.h"
#include "net/host_network.h"

namespace stratus {

struct LocalHostOptions {
  std::string instances_dir;  // STATE/instances: one dir per instance (root volume, bundle, console log)
  std::string runtime = "runc";
  std::chrono::milliseconds stop_timeout{10000};
  std::chrono::milliseconds terminate_timeout{2000};
  std::chrono::milliseconds ready_timeout{30000};
  // Security groups (daemon/security_groups.h): the instance's interface is filtered before its processes start,
  // and leaves the filter with its network. Unset: nothing is filtered.
  std::function<Status(const Instance& instance)> admit;
  std::function<Status(const std::string& instance_id)> forget;
};

class LocalInstanceHost : public InstanceHost {
 public:
  // Every pointer must outlive this object.
  LocalInstanceHost(InstanceRuntime* runtime, net::HostNetwork* network, const InstanceTypeTable* types,
                    LocalHostOptions options);

  Result<NetworkAttachment> AttachNetwork(const std::string& instance_id, const std::string& subnet_id,
                                          const std::string& private_ip) override;
  Status DetachNetwork(const std::string& instance_id) override;
  Status Boot(const BootSpec& spec) override;
  Status Halt(const std::string& instance_id, bool force) override;
  Status Destroy(const std::string& instance_id) override;
  Result<std::string> ConsoleOutput(const std::string& instance_id) override;
  Result<HostInventory> Inventory() override;

  std::string InstanceDir(const std::string& instance_id) const;

 private:
  InstanceRuntime* runtime_;
  net::HostNetwork* network_;
  const InstanceTypeTable* types_;
  LocalHostOptions options_;
};

}  // namespace stratus
