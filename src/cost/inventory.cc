#include "cost/inventory.h"

namespace stratus::cost {

namespace {

Tags ToTags(const std::vector<Tag>& tags) {
  Tags out;
  for (const auto& t : tags) out.emplace_back(t.key, t.value);
  return out;
}

}  // namespace

std::function<Inventory()> MakeDaemonInventory(InstanceService* instances, elb::LoadBalancerService* elb,
                                               ImageStore* images) {
  return [instances, elb, images] {
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
      for (const auto& image : images->List()) {
        inv.images.push_back({image.name, images->ImageSizes(image).total, ToTags(image.tags)});
      }
    }
    return inv;
  };
}

}  // namespace stratus::cost
