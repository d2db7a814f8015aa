#include "daemon/local_instance_host.h"

#include "common/files.h"
#include "common/log.h"

namespace stratus {

namespace {
constexpr size_t kConsoleTail = 64 * 1024;  // EC2's GetConsoleOutput returns the last 64 KiB
}  // namespace

LocalInstanceHost::LocalInstanceHost(InstanceRuntime* runtime, net::HostNetwork* network,
                                     const InstanceTypeTable* types, LocalHostOptions options)
    : runtime_(runtime), network_(network), types_(types), options_(std::move(options)) {}

std::string LocalInstanceHost::InstanceDir(const std::string& instance_id) const {
  return options_.instances_dir + "/" + instance_id;
}

Result<NetworkAttachment> LocalInstanceHost::AttachNetwork(const std::string& instance_id,
                                                           const std::string& subnet_id,
                                                           const std::string& private_ip) {
  auto a = network_->Attach(instance_id, subnet_id, private_ip);
  if (a.ok()) return NetworkAttachment{a->ip, a->mac};
  if (a.status().code() != Code::kAlreadyExists) return a.status();
  // Attached before (a restart, or a start after stop): the namespace and its address are still
  // there; the address is published again, as on every path that gives one to an interface.
  STRATUS_ASSIGN_OR_RETURN(net::Attachment existing, network_->Reattach(instance_id));
  return NetworkAttachment{existing.ip, existing.mac};
}

Status LocalInstanceHost::DetachNetwork(const std::string& instance_id) {
  if (options_.forget) {
    Status st = options_.forget(instance_id);
    if (!st.ok()) LogError("security groups: interface not removed", {{"instance", instance_id}, {"error", st.ToString()}});
  }
  return network_->Detach(instance_id);
}

Status LocalInstanceHost::Boot(const BootSpec& boot) {
  const Instance& i = boot.instance;
  STRATUS_ASSIGN_OR_RETURN(InstanceType type, types_->Find(i.instance_type));
  RuntimeSpec spec;
  spec.instance_id = i.instance_id;
  spec.hostname = i.PrivateDnsName();
  spec.layer_dirs = boot.layer_dirs;
  spec.instance_dir = InstanceDir(i.instance_id);
  spec.type = type;
  spec.netns_path = "/var/run/netns/" + network_->NetnsName(i.instance_id);
  spec.sysctls = i.sysctls;
  for (const auto& kv : boot.image.config.env) {
    auto eq = kv.find('=');
    if (eq != std::string::npos) spec.env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  spec.env["INSTANCE_ID"] = i.instance_id;
  spec.services = boot.image.config.services;
  spec.user_data = i.user_data;
  spec.runtime = options_.runtime;
  spec.stop_timeout = options_.stop_timeout;
  // Not one packet before its security groups are in the kernel: an instance that cannot be filtered does not boot.
  if (options_.admit) STRATUS_RETURN_IF_ERROR(options_.admit(i).WithContext("security groups"));
  Status st = runtime_->Start(spec);
  if (!st.ok() && st.code() != Code::kAlreadyExists) return st;
  return runtime_->WaitReady(i.instance_id, options_.ready_timeout);
}

Status LocalInstanceHost::Halt(const std::string& instance_id, bool force) {
  // Init gets its own stop timeout to stop the services, and a second more before the host forces it.
  auto grace = options_.stop_timeout + std::chrono::seconds(1);
  return runtime_->Stop(instance_id, force ? std::chrono::milliseconds(0) : grace, InstanceDir(instance_id));
}

Status LocalInstanceHost::Destroy(const std::string& instance_id) {
  return runtime_->Destroy(instance_id, InstanceDir(instance_id), options_.terminate_timeout);
}

Result<std::string> LocalInstanceHost::ConsoleOutput(const std::string& instance_id) {
  std::string log = InstancePaths(InstanceDir(instance_id)).console_log;
  auto text = ReadFile(log);
  if (!text.ok()) return text.status();
  if (text->size() < kConsoleTail) {
    // Just rotated (stratus-console-relay): the rest of the last 64 KiB is in the previous file.
    auto previous = ReadFile(log + ".1");
    if (previous.ok()) text = *previous + *text;
  }
  if (text->size() > kConsoleTail) return text->substr(text->size() - kConsoleTail);
  return text;
}

Result<HostInventory> LocalInstanceHost::Inventory() {
  HostInventory inv;
  STRATUS_ASSIGN_OR_RETURN(auto states, runtime_->ListStates());
  for (const auto& [id, state] : states) {
    inv.present.insert(id);
    if (state.status == InstanceStatus::kRunning) inv.running.insert(id);
  }
  STRATUS_ASSIGN_OR_RETURN(auto attached, network_->ListAttached());
  inv.attached.insert(attached.begin(), attached.end());
  return inv;
}

}  // namespace stratus
