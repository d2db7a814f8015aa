#include "daemon/scaling_ports.h"

namespace stratus::scaling {

namespace {

InstanceView ViewOf(const Instance& i) { return {i.instance_id, StateName(i.state), i.subnet_id, i.private_ip}; }

}  // namespace

Result<std::string> InstanceServicePort::Launch(const LaunchSpec& spec) {
  RunRequest r;
  r.image = spec.image_id;
  r.instance_type = spec.instance_type;
  r.user_data = spec.user_data;
  r.tags = spec.tags;
  r.sysctls = spec.sysctls;
  r.subnet_id = spec.subnet_id;
  STRATUS_ASSIGN_OR_RETURN(auto launched, instances_->Run(r));
  if (launched.empty()) return Internal("RunInstances returned no instance");
  return launched.front().instance_id;
}

Result<InstanceView> InstanceServicePort::Get(const std::string& id) {
  STRATUS_ASSIGN_OR_RETURN(auto i, instances_->Get(id));
  return ViewOf(i);
}

Status InstanceServicePort::Terminate(const std::string& id) { return instances_->Terminate(id).status(); }

Result<std::vector<InstanceView>> InstanceServicePort::ListTagged(const std::string& key, const std::string& value) {
  STRATUS_ASSIGN_OR_RETURN(auto list, instances_->Describe({{"tag:" + key, {value}},
                                                            {"instance-state-name", {"pending", "running"}}}));
  std::vector<InstanceView> out;
  for (const auto& i : list) out.push_back(ViewOf(i));
  return out;
}

}  // namespace stratus::scaling
