// FakeInstanceHost: the InstanceHost of unit tests (compute/instance_host.h). It keeps instances in maps,
// hands out addresses 10.0.0.N, and boots, halts and destroys at once, so InstanceService and the services
// over it run without root. A test can make the next boot fail.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>

#include "compute/instance_host.h"

namespace stratus {

class FakeInstanceHost : public InstanceHost {
 public:
  Result<NetworkAttachment> AttachNetwork(const std::string& id, const std::string&, const std::string& ip) override {
    std::lock_guard lock(mu_);
    auto it = attached_.find(id);
    if (it != attached_.end()) return it->second;
    NetworkAttachment a{ip.empty() ? "10.0.0." + std::to_string(++next_ip_) : ip, "02:00:00:00:00:01"};
    attached_[id] = a;
    return a;
  }
  Status DetachNetwork(const std::string& id) override {
    std::lock_guard lock(mu_);
    attached_.erase(id);
    return Status::Ok();
  }
  Status Boot(const BootSpec& spec) override {
    std::lock_guard lock(mu_);
    if (!fail_boot_.ok()) return fail_boot_;
    running_.insert(spec.instance.instance_id);
    present_.insert(spec.instance.instance_id);
    booted_images_[spec.instance.instance_id] = spec.image.image_id;
    return Status::Ok();
  }
  Status Halt(const std::string& id, bool) override {
    std::lock_guard lock(mu_);
    running_.erase(id);
    return Status::Ok();
  }
  Status Destroy(const std::string& id) override {
    std::lock_guard lock(mu_);
    running_.erase(id);
    present_.erase(id);
    return Status::Ok();
  }
  Result<std::string> ConsoleOutput(const std::string& id) override { return "console of " + id + "\n"; }
  Result<HostInventory> Inventory() override {
    std::lock_guard lock(mu_);
    HostInventory inv;
    inv.running = running_;
    inv.present = present_;
    for (const auto& [id, a] : attached_) inv.attached.insert(id);
    return inv;
  }

  // Every following Boot fails with `st` (Ok: boots succeed again).
  void FailBoots(Status st) {
    std::lock_guard lock(mu_);
    fail_boot_ = std::move(st);
  }
  bool Running(const std::string& id) const {
    std::lock_guard lock(mu_);
    return running_.count(id) > 0;
  }
  bool Attached(const std::string& id) const {
    std::lock_guard lock(mu_);
    return attached_.count(id) > 0;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, NetworkAttachment> attached_;
  std::set<std::string> running_, present_;
  std::map<std::string, std::string> booted_images_;
  int next_ip_ = 1;
  Status fail_boot_;
};

}  // namespace stratus
