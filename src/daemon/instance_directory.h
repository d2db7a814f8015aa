// ServiceInstanceDirectory: how the metadata service finds out who is asking — the instance service's
// records, looked up by private IP.
#pragma once

#include "net/vpc.h"
#include "compute/instance_service.h"
#include "net/metadata_service.h"
#include "volume/volume_service.h"

namespace stratus {

class ServiceInstanceDirectory : public net::InstanceDirectory {
 public:
  // The pointers must outlive this object; `volumes` may be null.
  ServiceInstanceDirectory(const InstanceService* instances, const VpcInfo* vpc, std::string region,
                           const VolumeService* volumes = nullptr)
      : instances_(instances), vpc_(vpc), region_(std::move(region)), volumes_(volumes) {}

  std::optional<net::InstanceMetadata> FindByPrivateIp(const std::string& ip) override {
    auto i = instances_->FindByPrivateIp(ip);
    if (!i) return std::nullopt;
    net::InstanceMetadata md;
    md.instance_id = i->instance_id;
    md.ami_id = i->image_id;
    md.instance_type = i->instance_type;
    md.local_ipv4 = i->private_ip;
    md.local_hostname = i->PrivateDnsName();
    md.region = region_;
    for (const auto& s : vpc_->subnets) {
      if (s.subnet_id == i->subnet_id) md.availability_zone = s.availability_zone;
    }
    md.mac = i->mac;
    md.launch_time = i->launch_time;
    md.security_groups = {"default"};
    for (const auto& t : i->tags) md.tags[t.key] = t.value;
    md.user_data = i->user_data;
    if (volumes_ != nullptr) md.volume_devices = volumes_->DevicesOf(i->instance_id);
    return md;
  }

 private:
  const InstanceService* instances_;
  const VpcInfo* vpc_;
  std::string region_;
  const VolumeService* volumes_;
};

}  // namespace stratus
