#include "cost/inventory.h"

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

namespace stratus::cost {

namespace {

Tags ToTags(const std::vector<Tag>& tags) {
  Tags out;
  for (const auto& t : tags) out.emplace_back(t.key, t.value);
  return out;
}

int64_t DirBytes(const std::string& dir) {
  int64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code fe;
    if (it->is_regular_file(fe) && !it->is_symlink(fe)) total += static_cast<int64_t>(it->file_size(fe));
  }
  return total;
}

}  // namespace

std::function<Inventory()> MakeDaemonInventory(InstanceService* instances, elb::LoadBalancerService* elb,
                                               ImageStore* images) {
  // Only the metering thread calls the function, but keep the cache safe for any caller.
  struct LayerSizes {
    std::mutex mu;
    std::map<std::string, int64_t> bytes;  // GUARDED_BY(mu)
  };
  auto sizes = std::make_shared<LayerSizes>();
  return [instances, elb, images, sizes] {
    Inventory inv;
    if (auto all = instances->Describe({}); all.ok()) {
      for (const auto& i : *all) {
        if (i.state == InstanceState::kTerminated) continue;
        MeteredInstance m{i.instance_id, i.instance_type, StateName(i.state), "", ToTags(i.tags)};
        if (const std::string* g = i.FindTag("aws:autoscaling:groupName")) m.group = *g;
        inv.instances.push_back(std::move(m));
      }
    }
    if (elb) {
      if (auto lbs = elb->DescribeLoadBalancers({}); lbs.ok()) {
        for (const auto& lb : *lbs) inv.load_balancers.push_back({lb.name, ToTags(lb.tags)});
      }
    }
    if (images) {
      std::lock_guard lock(sizes->mu);
      for (const auto& image : images->List()) {
        MeteredImage m{image.name, 0, ToTags(image.tags)};
        for (const auto& digest : image.layers) {
          auto [it, added] = sizes->bytes.emplace(digest, 0);
          if (added) it->second = DirBytes(images->LayerDir(digest));
          m.bytes += it->second;
        }
        inv.images.push_back(std::move(m));
      }
    }
    return inv;
  };
}

}  // namespace stratus::cost
